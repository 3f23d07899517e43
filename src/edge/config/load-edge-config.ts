import { dirname } from 'node:path';
import { readYamlFile } from '../../shared/config/read-yaml-file.js';
import type { EdgeConfig } from './edge-config.js';
import { validateEdgeConfig } from './validate-edge-config.js';

/** Reads and validates edge.yaml; every failure is an EdgewardError 'invalid_config'. */
export async function loadEdgeConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: { zonesRequired?: boolean } = {},
): Promise<EdgeConfig> {
  const { abs, raw } = await readYamlFile(path);
  return validateEdgeConfig(raw, dirname(abs), env, opts);
}
