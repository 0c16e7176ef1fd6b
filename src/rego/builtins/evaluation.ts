// Per-evaluation state of the host builtins. OPA fixes `time.now_ns()` once per query (every call
// in one evaluation sees the same instant) and caches `rand.intn` / `uuid.rfc4122` results per
// query. The opa-wasm SDK gives builtins no evaluation context, so the state lives here:
//
// - The engine calls `beginEvaluation()` synchronously before each `policy.evaluate(...)`; the
//   state then holds until the next `beginEvaluation()` or `endEvaluation()`.
// - Without that call, the state is created on first use and dropped at the end of the current
//   synchronous job (a microtask), which `evaluate` never spans since it is synchronous.

/** What `print` and `trace` emit during one evaluation: a line of print output (with the
 *  `file:line` of the call when the compiler recorded it), a trace note, or (coverage builds
 *  only) the `file:line` of an evaluated expression. */
export interface EvalOutput {
  kind: 'print' | 'note' | 'cover';
  text: string;
  where?: string;
}

interface EvalState {
  nowNs?: bigint;
  output?: (o: EvalOutput) => void;
  cache: Map<string, unknown>;
  pinned: boolean;
}

let state: EvalState | undefined;

export interface BeginEvaluationOptions {
  /** Fix the clock for this evaluation (nanoseconds since the Unix epoch), e.g. for tests. */
  nowNs?: bigint;
  /** Receives print() lines and trace() notes; without it they are dropped, as OPA drops
   *  print output when no print hook is installed. */
  output?: (o: EvalOutput) => void;
}

export function beginEvaluation(opts: BeginEvaluationOptions = {}): void {
  state = { nowNs: opts.nowNs, output: opts.output, cache: new Map(), pinned: true };
}

export function emitOutput(o: EvalOutput): void {
  state?.output?.(o);
}

export function endEvaluation(): void {
  state = undefined;
}

function current(): EvalState {
  if (!state) {
    const fresh: EvalState = { cache: new Map(), pinned: false };
    state = fresh;
    queueMicrotask(() => {
      if (state === fresh) state = undefined;
    });
  }
  return state;
}

/** Wall-clock nanoseconds, at microsecond resolution (what performance.now offers). */
function wallClockNs(): bigint {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return BigInt(us) * 1000n;
}

export function evaluationNowNs(): bigint {
  const s = current();
  s.nowNs ??= wallClockNs();
  return s.nowNs;
}

export function evaluationCache<T>(key: string, make: () => T): T {
  const s = current();
  if (!s.cache.has(key)) s.cache.set(key, make());
  return s.cache.get(key) as T;
}
