// `warden policy build DIR [-o FILE] [-e ENTRYPOINT]...`: Rego directory → OPA bundle
// (/policy.wasm, /data.json, /.manifest), the layout `opa build -t wasm` writes.
import { writeFile } from 'node:fs/promises';
import { UserInputError } from '../../errors/index.ts';
import { compileDir, DEFAULT_ENTRYPOINT, readPolicyDir, writeBundle } from '../../policy/bundle.ts';
import { parseModule } from '../../rego/parser.ts';
import { missingBuiltinErrors, unimplemented } from './policy-builtins.ts';
import { normalizeEntrypoint, parse, positionals } from '../args.ts';
import type { Io } from '../io.ts';
import { BUILD_USAGE } from '../help.ts';

export async function runBuild(args: string[], io: Io): Promise<number> {
  const p = parse(args, {
    output: { type: 'string', short: 'o' },
    entrypoint: { type: 'string', short: 'e', multiple: true },
    'v0-compatible': { type: 'boolean' },
  });
  const [dir] = positionals(p, ['DIR'], BUILD_USAGE);
  const out = (p.values.output as string | undefined) ?? 'bundle.tar.gz';
  const eps = ((p.values.entrypoint as string[] | undefined) ?? [DEFAULT_ENTRYPOINT]).map(
    normalizeEntrypoint,
  );
  const started = performance.now();
  const regoVersion = p.values['v0-compatible'] === true ? 'v0' : undefined;
  const artifact = await compileDir(dir, { entrypoints: [...new Set(eps)], regoVersion });
  // Only a builtin an entrypoint reaches fails evaluations (the engine refuses just those).
  await refuseUnimplemented(
    dir,
    artifact.reachableBuiltins ?? artifact.hostBuiltins ?? [],
    regoVersion,
  );
  const bundle = writeBundle(artifact);
  const ms = performance.now() - started;
  try {
    await writeFile(out, bundle);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UserInputError('CLI_FILE_UNWRITABLE', `cannot write: ${code}`, { where: out });
  }
  io.stdout(
    `wrote ${out} (${bundle.byteLength} bytes; wasm ${artifact.wasm.byteLength} bytes; ` +
      `revision ${artifact.revision}; entrypoints ${artifact.entrypoints.join(', ')}) ` +
      `in ${ms.toFixed(0)} ms\n`,
  );
  return 0;
}

/** A module calling a builtin nothing implements would fail every evaluation: refuse it now,
 *  at the first such call (`file:line:col`). */
async function refuseUnimplemented(
  dir: string,
  hostCalls: string[],
  regoVersion: 'v0' | undefined,
): Promise<void> {
  if (unimplemented(hostCalls).length === 0) return;
  const { files } = await readPolicyDir(dir, { includeTests: false, regoVersion });
  const [first] = missingBuiltinErrors(
    files.map((f) => parseModule(f.path, f.text, f.regoVersion)),
    hostCalls,
  );
  if (first) throw first;
}
