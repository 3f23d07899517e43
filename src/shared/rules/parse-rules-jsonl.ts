import { EdgewardError } from '../errors.js';
import type { BlockRule } from './block-rule.js';
import { parseRule } from './parse-rule.js';

/**
 * The rules file format of `edgeward proxy --rules`: JSON lines, one rule a line; blank lines and lines starting
 * with '#' are skipped; a rule's id defaults to its line number. Bad lines are all reported, each naming its line
 * and field; a caller refuses a file with any error rather than enforce part of it.
 */
export interface ParsedRules {
  readonly rules: BlockRule[];
  readonly errors: EdgewardError[];
}

export class RulesParser {
  readonly rules: BlockRule[] = [];
  readonly errors: EdgewardError[] = [];
  private lineNo = 0;

  /** With `onRule`, each good rule goes there instead of into `rules` (a million rules need not all be held). */
  constructor(private readonly onRule?: (rule: BlockRule) => void) {}

  line(text: string): void {
    const lineNo = ++this.lineNo;
    const t = text.trim();
    if (t === '' || t.startsWith('#')) return;
    // Named only for a bad line: turning every line's number into a string would go through V8's number-string
    // cache, whose entries outlive young-generation collections, and a million lines would promote megabytes of
    // them into the old generation, which stays committed.
    const where = () => `line ${lineNo}`;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (e) {
      this.errors.push(
        new EdgewardError('invalid_rule', `${where()}: not valid JSON (${(e as Error).message})`, {
          field: where(),
        }),
      );
      return;
    }
    const r = parseRule(value, lineNo, where);
    if (r.rule) {
      if (this.onRule) this.onRule(r.rule);
      else this.rules.push(r.rule);
    } else this.errors.push(...r.errors);
  }
}

export function parseRulesJsonl(text: string): ParsedRules {
  const p = new RulesParser();
  for (const line of text.split('\n')) p.line(line);
  return { rules: p.rules, errors: p.errors };
}
export { readRulesFile } from './read-rules-file.js';
