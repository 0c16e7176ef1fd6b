#!/usr/bin/env node
// Entry point of the `warden` command. The sources are TypeScript; tsx compiles them on load
// (esbuild, milliseconds) so the package needs no separate build step to run.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
