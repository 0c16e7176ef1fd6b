// Loads the prebuilt Rego evaluator module (build/rego-runtime.wasm, built from ./assembly by
// scripts/build-runtime.mjs at `npm ci`). Run from the TypeScript sources (development, tests)
// it is rebuilt when missing or older than its sources; the compiled gateway (dist/) never
// builds at run time: a production image may have neither the sources nor the compiler.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../../errors/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const wasmPath = join(root, 'build/rego-runtime.wasm');
const srcDir = join(root, 'src/rego/runtime/assembly');
const buildScript = join(root, 'scripts/build-runtime.mjs');

let cached: Uint8Array<ArrayBuffer> | undefined;

function mtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

/** Running from dist/ (compiled), not from the sources through tsx. */
const compiled = import.meta.url.endsWith('.js');

function isStale(): boolean {
  const built = mtime(wasmPath);
  if (compiled) return false;
  if (built < 0) return true;
  // a packaged install may ship the artifact without the AssemblyScript sources
  let sources: string[];
  try {
    sources = readdirSync(srcDir);
  } catch {
    return false;
  }
  const newest = Math.max(mtime(buildScript), ...sources.map((f) => mtime(join(srcDir, f))));
  return newest > built;
}

/** The runtime module's bytes (build/rego-runtime.wasm), built first if needed. */
export function runtimeWasm(): Uint8Array<ArrayBuffer> {
  if (cached) return cached;
  if (isStale()) {
    try {
      execFileSync(process.execPath, [buildScript], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new WardenError(
        'REGO_RUNTIME_BUILD_FAILED',
        `building the Rego WASM runtime failed: ${stderr}`,
        {
          cause: e,
        },
      );
    }
  }
  try {
    cached = new Uint8Array(readFileSync(wasmPath));
  } catch (e) {
    throw new WardenError(
      'REGO_RUNTIME_MISSING',
      `${wasmPath} is missing: run \`npm run build\` (npm ci runs it)`,
      { cause: e },
    );
  }
  return cached;
}
