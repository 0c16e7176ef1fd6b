// How `warden policy test` reports: the text lines (one per failure, every test with -v, with
// its duration and its print() output indented below) or `opa test --format json`'s array of
// results (location, package, name, fail, error, duration in ns, output as base64, as OPA's
// tester.Result marshals). https://www.openpolicyagent.org/docs/cli#opa-test
import type { EvalOutput } from '../../rego/builtins/index.ts';
import type { TestRule } from './policy-test.ts';

export interface TestOutcome {
  test: TestRule;
  ok: boolean;
  error?: string;
  /** Nanoseconds. */
  durationNs: number;
  output: EvalOutput[];
}

/** "1.234ms" / "523µs", as Go's time.Duration prints short durations. */
export function formatDuration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)}s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)}ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)}µs`;
  return `${Math.round(ns)}ns`;
}

/** print() lines and (with -v) trace notes, indented under the test's line. */
function outputLines(o: TestOutcome, verbose: boolean): string {
  let s = '';
  for (const x of o.output) {
    if (x.kind === 'note' && !verbose) continue;
    const text = x.kind === 'note' ? `note: ${x.text}` : x.text;
    const where = x.where ? `${x.where}: ` : '';
    s += `    ${where}${text}\n`;
  }
  return s;
}

export function textReport(outcomes: TestOutcome[], verbose: boolean): string {
  let s = '';
  for (const o of outcomes) {
    const at = `${o.test.file}:${o.test.line} ${o.test.name}`;
    const took = verbose ? ` (${formatDuration(o.durationNs)})` : '';
    if (o.ok) {
      if (!verbose) continue;
      s += `PASS ${at}${took}\n`;
    } else {
      s += o.error === undefined ? `FAIL ${at}${took}\n` : `FAIL ${at}${took}: ${o.error}\n`;
    }
    s += outputLines(o, verbose);
  }
  return s + summary(outcomes);
}

export function summary(outcomes: TestOutcome[]): string {
  const passed = outcomes.filter((o) => o.ok).length;
  return `${passed} passed, ${outcomes.length - passed} failed\n`;
}

export function jsonReport(outcomes: TestOutcome[]): string {
  const results = outcomes.map((o) => {
    const dot = o.test.name.lastIndexOf('.');
    const printed = o.output
      .filter((x) => x.kind === 'print')
      .map((x) => `${x.text}\n`)
      .join('');
    return {
      location: { file: o.test.file, row: o.test.line, col: o.test.col ?? 1 },
      package: o.test.name.slice(0, dot),
      name: o.test.name.slice(dot + 1),
      // OPA marks `fail` on a false/undefined test; an evaluation error is `error` alone.
      ...(o.ok || o.error !== undefined ? {} : { fail: true }),
      ...(o.error === undefined ? {} : { error: { code: 'eval_error', message: o.error } }),
      duration: Math.round(o.durationNs),
      ...(printed ? { output: Buffer.from(printed).toString('base64') } : {}),
    };
  });
  return JSON.stringify(results, null, 2) + '\n';
}
