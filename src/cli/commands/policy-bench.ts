// `warden policy bench (DIR|BUNDLE) [QUERY] [-e ENTRYPOINT] [--input FILE|-] [-d FILE]...
// [--count N] [--format pretty|json]`: evaluates an entrypoint over an input repeatedly and
// reports the time per evaluation, like `opa bench` (samples, ns/op). The input is encoded once;
// each sample is one full evaluation through the WASM module (input copy, eval, result decode),
// which is what the gateway pays per call.
import { parse, usageError } from '../args.ts';
import type { Io } from '../io.ts';
import { BENCH_USAGE } from '../help.ts';
import { EVAL_OPTIONS, prepareEval } from './policy-eval.ts';

const BENCH_OPTIONS = {
  ...EVAL_OPTIONS,
  count: { type: 'string', short: 'n' },
} as const;

/** Without --count: run for about this long (after a warm-up), as `opa bench`'s default
 *  benchtime of 1s. */
const TARGET_NS = 1e9;

export async function runBench(args: string[], io: Io): Promise<number> {
  const p = parse(args, BENCH_OPTIONS);
  const format = (p.values.format as string | undefined) ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') {
    throw usageError(
      `invalid --format ${JSON.stringify(format)}: expected pretty or json`,
      '--format',
    );
  }
  const countArg = p.values.count as string | undefined;
  const count = countArg === undefined ? undefined : Number(countArg);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw usageError(
      `invalid --count ${JSON.stringify(countArg)}: expected a positive integer`,
      '--count',
    );
  }
  const { engine, entrypoint, inputJson } = await prepareEval(p, io, BENCH_USAGE);
  const once = () => engine.evaluateJson(inputJson, entrypoint);
  const defined = once().result !== undefined; // warm-up, and the first error surfaces here
  for (let i = 0; i < 10; i++) once();
  let n = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  do {
    once();
    n++;
    if (count === undefined && (n & 63) === 0) elapsed = Number(process.hrtime.bigint() - started);
  } while (count === undefined ? elapsed < TARGET_NS : n < count);
  elapsed = Number(process.hrtime.bigint() - started);
  const nsPerOp = Math.round(elapsed / n);
  const heap = process.memoryUsage().heapUsed;
  if (format === 'json') {
    io.stdout(
      JSON.stringify(
        { entrypoint, defined, N: n, T: elapsed, ns_per_op: nsPerOp, heap_bytes: heap },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const rows: [string, string][] = [
    ['entrypoint', entrypoint],
    ['result', defined ? 'defined' : 'undefined'],
    ['samples', String(n)],
    ['ns/op', String(nsPerOp)],
    ['ops/s', String(Math.round(1e9 / Math.max(nsPerOp, 1)))],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) io.stdout(`${k.padEnd(w)}  ${v}\n`);
  return 0;
}
