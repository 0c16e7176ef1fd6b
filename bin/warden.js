#!/usr/bin/env node
// Entry point of the `warden` command: the compiled JavaScript in dist/, built by `npm ci`
// (the `prepare` script) or `npm run build`. What runs in production is this, on plain Node;
// tsx runs the TypeScript sources only in development (`npm run dev`) and the tests.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('warden: dist/ is missing: run `npm run build` (npm ci runs it)\n');
  process.exit(2);
}
await import(main.href);
