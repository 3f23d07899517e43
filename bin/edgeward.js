#!/usr/bin/env node
// The CLI is written in TypeScript and compiled by `npm install` (the `prepare` script) into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error(
    'edgeward: dist/ is missing; run `npm install` (or `npm run build`) in the Edgeward folder first.',
  );
  process.exit(2);
}
await import(entry.href);
