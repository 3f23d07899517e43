import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { EdgewardError } from '../errors.js';
import type { BlockRule } from './block-rule.js';
import { RulesParser, type ParsedRules } from './parse-rules-jsonl.js';

/**
 * Reads a JSON-lines rules file as a stream, so a file of millions of rules is never held whole as text. With
 * `onRule`, rules are handed over one by one and not collected (`rules` is then empty).
 */
export async function readRulesFile(path: string, onRule?: (rule: BlockRule) => void): Promise<ParsedRules> {
  const parser = new RulesParser(onRule);
  try {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    for await (const line of lines) parser.line(line);
  } catch (e) {
    throw new EdgewardError('invalid_config', `cannot read the rules file ${path}: ${(e as Error).message}`, {
      field: 'rules',
      cause: e,
    });
  }
  return { rules: parser.rules, errors: parser.errors };
}
