import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { EdgewardError } from '../errors.js';

/**
 * Reads a YAML configuration file (edge.yaml, control.yaml) into plain data, for the caller to validate. A file
 * that cannot be read or parsed is an EdgewardError 'invalid_config' (field 'config') naming the file and line.
 */
export async function readYamlFile(path: string): Promise<{ abs: string; raw: unknown }> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw new EdgewardError('invalid_config', `cannot read ${abs}: ${(e as Error).message}`, {
      field: 'config',
      cause: e,
    });
  }
  try {
    return { abs, raw: parse(text, { prettyErrors: true }) as unknown };
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    throw new EdgewardError('invalid_config', `${abs} is not valid YAML${where}: ${(e as Error).message}`, {
      field: 'config',
      cause: e,
    });
  }
}
