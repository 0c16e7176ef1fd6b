// Compile Rego sources (each with its Rego version) and evaluate entrypoints through the
// project's engine, the way `warden policy eval` does.
import type { RegoVersion } from '../../src/rego/ast.ts';
import { compileArtifact } from '../../src/policy/bundle.ts';
import { instantiateEngine } from '../../src/policy/engine.ts';

export async function evalRego(
  src: string | string[],
  entrypoints: string[],
  opts: { version?: RegoVersion; input?: unknown; data?: Record<string, unknown> } = {},
): Promise<Record<string, unknown>> {
  const files = (Array.isArray(src) ? src : [src]).map((text, i) => ({
    path: `m${i}.rego`,
    text,
    ...(opts.version && { regoVersion: opts.version }),
  }));
  const engine = await instantiateEngine(compileArtifact(files, opts.data ?? {}, entrypoints));
  return Object.fromEntries(entrypoints.map((ep) => [ep, engine.evaluate(opts.input, ep).result]));
}
