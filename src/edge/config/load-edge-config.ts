import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { EdgewardError } from '../../shared/errors.js';
import type { EdgeConfig } from './edge-config.js';
import { validateEdgeConfig } from './validate-edge-config.js';

/** Reads and validates edge.yaml; every failure is an EdgewardError 'invalid_config'. */
export async function loadEdgeConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: { zonesRequired?: boolean } = {},
): Promise<EdgeConfig> {
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
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    throw new EdgewardError('invalid_config', `${abs} is not valid YAML${where}: ${(e as Error).message}`, {
      field: 'config',
      cause: e,
    });
  }
  return validateEdgeConfig(raw, dirname(abs), env, opts);
}
