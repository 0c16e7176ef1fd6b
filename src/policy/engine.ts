// The policy engine: a compiled (or prebuilt) OPA WASM module run by the unmodified
// @open-policy-agent/opa-wasm SDK, with our host builtins. Everything that can go wrong is
// turned into a WardenError with a stable code here, so callers (the gateway's policy stage,
// the CLI) never see the SDK's raw throws (it throws plain strings for opa_abort and plain
// objects for missing builtins; see src/opa.js in the SDK).
import * as sdk from '@open-policy-agent/opa-wasm';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { isWardenError, WardenError } from '../errors/index.ts';
import {
  beginEvaluation,
  endEvaluation,
  hostBuiltins,
  type EvalOutput,
} from '../rego/builtins/index.ts';
import {
  loadPolicySource,
  wasmDataPages,
  wasmMemoryLimits,
  type LoadOptions,
  type PolicyArtifact,
} from './bundle.ts';
import { PolicyErrorCode as Code, policyEvalError, policyUserError } from './errors.ts';

/** Builtins the SDK implements itself (src/builtins in @open-policy-agent/opa-wasm 1.10). */
export const SDK_BUILTINS = [
  'json.is_valid',
  'sprintf',
  'regex.split',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
];

// The SDK's ESM entry exports only `loadPolicy` by name; the rest hangs off its default export.
const { loadPolicy } = sdk;
const { loadPolicySync } = (sdk as unknown as { default: typeof sdk }).default;

type HostFn = (...args: unknown[]) => unknown;
const HOST_BUILTINS = hostBuiltins as Record<string, HostFn>;

/** Inputs are checked before they reach the module: its JSON parser and evaluator recurse, and
 *  a multi-megabyte input would grow WASM memory that is never given back. */
export interface InputLimits {
  maxInputBytes: number;
  maxInputDepth: number;
}
export const DEFAULT_INPUT_LIMITS: InputLimits = { maxInputBytes: 1 << 20, maxInputDepth: 64 };

export interface EngineOptions extends LoadOptions {
  limits?: Partial<InputLimits>;
  /** Extra host builtins (tests, embedders); they override the project's own. */
  builtins?: Record<string, HostFn>;
  /** Receives print() output and trace() notes of every evaluation (dropped without it). */
  output?: (o: EvalOutput) => void;
}

/** Per-call options: an output hook for this one evaluation (overrides the engine's). */
export interface EvalOptions {
  output?: (o: EvalOutput) => void;
}

export interface EvalResult {
  /** The entrypoint's value; undefined when the rule is undefined for this input. */
  result: unknown;
}

export interface PolicyEngine {
  /** Bundle revision (manifest revision, or the content hash). */
  readonly revision: string;
  readonly entrypoints: string[];
  /** The builtins the module calls through the host. */
  readonly builtins: string[];
  evaluate(input: unknown, entrypoint?: string, opts?: EvalOptions): EvalResult;
  /** Same, for input already encoded as JSON text (keeps integers beyond 2^53 exact). */
  evaluateJson(json: string | undefined, entrypoint?: string, opts?: EvalOptions): EvalResult;
  setData(data: unknown): void;
  setDataJson(json: string): void;
}

/** Loads a directory or bundle (see bundle.ts) and instantiates it. */
export async function loadEngine(
  source: string | PolicyArtifact,
  opts: EngineOptions = {},
): Promise<PolicyEngine> {
  const artifact = typeof source === 'string' ? await loadPolicySource(source, opts) : source;
  return instantiateEngine(artifact, opts);
}

export async function instantiateEngine(
  artifact: PolicyArtifact,
  opts: EngineOptions = {},
): Promise<PolicyEngine> {
  const limits: InputLimits = { ...DEFAULT_INPUT_LIMITS, ...opts.limits };
  const custom = { ...HOST_BUILTINS, ...opts.builtins };
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(artifact.wasm as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw policyUserError(Code.BUNDLE_INVALID, `invalid WASM module: ${(e as Error).message}`);
  }
  const mem = wasmMemoryLimits(artifact.wasm);
  // The data segments must fit the memory at instantiation; the heap grows from there.
  const dataPages = wasmDataPages(artifact.wasm);
  const descriptor = (): WebAssembly.MemoryDescriptor => ({
    initial: Math.min(
      Math.max(artifact.minPages ?? 0, mem?.min ?? 0, dataPages + 1),
      mem?.max ?? Infinity,
    ),
    ...(mem?.max !== undefined ? { maximum: mem.max } : {}),
  });
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(module, descriptor(), custom);
  } catch (e) {
    throw policyUserError(Code.BUNDLE_INVALID, `cannot load WASM module: ${describe(e)}`);
  }
  const builtins = moduleBuiltins(policy);
  const unimplemented = builtins.filter((b) => !SDK_BUILTINS.includes(b) && !(b in custom));
  // A builtin only rules outside every entrypoint's reach call (known for modules compiled
  // here) does not refuse the policy: calling it fails that evaluation, naming it.
  const reachable = artifact.reachableBuiltins;
  const missing = reachable ? unimplemented.filter((b) => reachable.includes(b)) : unimplemented;
  for (const b of unimplemented) {
    if (missing.includes(b)) continue;
    custom[b] = () => {
      throw new Error(`builtin ${b} has no implementation here`);
    };
  }
  if (missing.length > 0) {
    throw policyUserError(
      Code.BUILTIN_MISSING,
      `policy uses builtins with no implementation: ${missing.join(', ')}`,
      { details: { missing } },
    );
  }
  const entrypoints = Object.keys(policy.entrypoints as Record<string, number>);
  let dataJson = JSON.stringify(artifact.data ?? {});
  try {
    policy.setData(encode(dataJson));
  } catch (e) {
    throw policyUserError(Code.BUNDLE_INVALID, `cannot load data: ${describe(e)}`);
  }
  // An abort, trap or throwing builtin can leave the instance's globals mid-update, so the next
  // evaluation after a failure gets a fresh instance of the already-compiled module.
  let poisoned = false;
  const revive = () => {
    policy = loadPolicySync(module, descriptor(), custom);
    policy.setData(encode(dataJson));
    poisoned = false;
  };

  const run = (json: string | undefined, entrypoint?: string, eo?: EvalOptions): EvalResult => {
    const ep = entrypoint ?? entrypoints[0];
    if (ep === undefined || !entrypoints.includes(ep)) {
      throw policyUserError(
        Code.ENTRYPOINT_UNKNOWN,
        `unknown entrypoint ${JSON.stringify(ep)} (module has: ${entrypoints.join(', ') || 'none'})`,
        { status: 500 },
      );
    }
    if (json !== undefined) checkInputText(json, limits);
    if (poisoned) revive();
    // OPA fixes time.now_ns and caches rand/uuid per query: one evaluation = one query.
    beginEvaluation({ output: eo?.output ?? opts.output });
    let rs: unknown;
    try {
      rs = policy.evaluate(json === undefined ? undefined : encode(json), ep);
    } catch (e) {
      // Any throw unwinds through WASM frames mid-evaluation; don't trust that instance again.
      poisoned = true;
      throw mapEvalError(e, ep);
    } finally {
      endEvaluation();
    }
    if (!Array.isArray(rs) || rs.length === 0) return { result: undefined };
    return { result: (rs[0] as { result?: unknown }).result };
  };

  return {
    revision: artifact.revision,
    entrypoints,
    builtins,
    evaluate(input, entrypoint, eo) {
      return run(input === undefined ? undefined : encodeInput(input), entrypoint, eo);
    },
    evaluateJson: run,
    setData(data) {
      setDataJson(JSON.stringify(data ?? {}));
    },
    setDataJson,
  };

  function setDataJson(json: string): void {
    try {
      policy.setData(encode(json));
      dataJson = json;
    } catch (e) {
      poisoned = true;
      throw policyUserError(Code.BUNDLE_INVALID, `cannot load data: ${describe(e)}`);
    }
  }
}

function encodeInput(input: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch (e) {
    // RangeError: a structure deep enough to overflow the JS stack is "too large" for us.
    if (e instanceof RangeError) {
      throw policyEvalError(Code.INPUT_TOO_LARGE, 'input is too deeply nested', {
        status: 413,
        rpcCode: -32602,
      });
    }
    throw policyEvalError(Code.INPUT_INVALID, `input is not JSON: ${(e as Error).message}`, {
      status: 400,
      rpcCode: -32602,
    });
  }
  if (json === undefined) {
    throw policyEvalError(Code.INPUT_INVALID, 'input is not JSON', {
      status: 400,
      rpcCode: -32602,
    });
  }
  return json;
}

const utf8 = new TextEncoder();
/** JSON text → an exactly-sized ArrayBuffer. The SDK treats any falsy input (`false`, `0`, "")
 *  as "no input", so inputs always go over as bytes, which it copies verbatim. */
function encode(json: string): ArrayBuffer {
  const bytes = utf8.encode(json);
  return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

/** Reads the module's `builtins()` map (name → id) through its own JSON dumper. */
function moduleBuiltins(policy: LoadedPolicy): string[] {
  const ex = policy.wasmInstance as WebAssembly.Instance;
  const fns = ex.exports as Record<string, (...a: number[]) => number>;
  const heap = fns.opa_heap_ptr_get();
  try {
    const addr = fns.opa_json_dump(fns.builtins());
    const buf = new Uint8Array(policy.mem.buffer);
    let end = addr;
    while (buf[end] !== 0) end++;
    const map = JSON.parse(new TextDecoder().decode(buf.subarray(addr, end))) as object;
    return Object.keys(map);
  } finally {
    fns.opa_heap_ptr_set(heap); // the dump's scratch memory is not the data's
  }
}

function describe(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String(e.message);
  return String(e);
}

/** SDK throws → WardenError. opa_abort arrives as a string (e.g. "p.rego:3:1: var assignment
 *  conflict"); a builtin the SDK cannot dispatch as `{message: "not implemented: …"}`. */
export function mapEvalError(e: unknown, entrypoint: string): WardenError {
  if (isWardenError(e)) return e;
  const msg = describe(e);
  if (
    typeof e === 'object' &&
    e !== null &&
    !(e instanceof Error) &&
    /^not implemented/.test(msg)
  ) {
    return policyEvalError(Code.BUILTIN_MISSING, msg, { cause: e, details: { entrypoint } });
  }
  const prefix = e instanceof WebAssembly.RuntimeError ? 'policy module trapped: ' : '';
  return policyEvalError(Code.EVAL_ERROR, `${prefix}${msg}`, {
    cause: e,
    details: { entrypoint },
  });
}

/** Rejects encoded input over the byte limit or nested deeper than allowed. One pass over the
 *  text, skipping strings, so the check costs far less than the evaluation it protects. */
export function checkInputText(json: string, limits: InputLimits): void {
  const tooLarge = (msg: string) =>
    policyEvalError(Code.INPUT_TOO_LARGE, msg, { status: 413, rpcCode: -32602 });
  // UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length: only measure when it could matter.
  if (json.length * 3 > limits.maxInputBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > limits.maxInputBytes) {
      throw tooLarge(`input is ${bytes} bytes (limit ${limits.maxInputBytes})`);
    }
  }
  // Nesting deeper than the limit needs more opening brackets than that.
  if (json.length <= limits.maxInputDepth) return;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxInputDepth) {
        throw tooLarge(`input is nested deeper than ${limits.maxInputDepth} levels`);
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}
