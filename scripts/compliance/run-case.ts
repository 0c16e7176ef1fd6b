// One compliance case through the real pipeline: compileModules → loadPolicy (via the engine,
// i.e. the unmodified opa-wasm SDK with our host builtins) → setData → evaluate. Expectations
// follow OPA's own WASM harness (../shared/opa-cases/README.md):
//   - strict_error: WASM has no strict builtin errors, so an expected error means an empty
//     result (or the case's want_result, where it gives one);
//   - want_error / want_error_code: only conflict errors must be raised; for other errors an
//     evaluation error or an empty result both pass;
//   - rego_* error codes are compile-time: compileModules must throw a RegoError.
import { isWardenError } from '../../src/errors/index.ts';
import { PolicyErrorCode } from '../../src/policy/errors.ts';
import { instantiateEngine } from '../../src/policy/engine.ts';
import { compileModules } from '../../src/rego/compile.ts';
import { isRegoError } from '../../src/rego/errors.ts';
import {
  parseJsonTerm,
  planQuery,
  toJson,
  UnsupportedTerm,
  WRAPPER_PACKAGE,
  type CaseQuery,
  type TestCase,
} from './cases.ts';
import { resultMatches, show, sortBinding, valuesEqual } from './compare.ts';

export type Outcome =
  | { status: 'pass' }
  | { status: 'fail'; reason: string }
  | { status: 'skip'; reason: string; builtins?: string[] };

export const COMPILE_ERROR_CODES = new Set([
  'rego_parse_error',
  'rego_compile_error',
  'rego_type_error',
  'rego_unsafe_var_error',
  'rego_recursion_error',
]);

const CONFLICT = /conflict|must not produce multiple outputs|keys must be unique/i;

/** Generous limits: the cases are small, and the point is to test evaluation. */
const LIMITS = { maxInputBytes: 64 << 20, maxInputDepth: 10_000 };

export async function runCase(c: TestCase): Promise<Outcome> {
  let q = planQuery(c.query, c.want_result);
  if (!q) return { status: 'skip', reason: 'query shape' };
  let inputJson: string | undefined;
  let inputModule: string | undefined;
  try {
    if (c.input_term !== undefined) inputJson = toJson(parseJsonTerm(c.input_term));
    else if (c.input !== undefined) inputJson = toJson(c.input);
  } catch (e) {
    if (!(e instanceof UnsupportedTerm)) throw e;
    // JSON cannot carry a Rego set as input; Rego can: evaluate the entrypoint under
    // `with input as <term>` in a wrapper rule, which is the same evaluation.
    if (q.kind !== 'entrypoint') return { status: 'skip', reason: 'input_term not JSON' };
    const ref = q.entrypoint === '' ? 'data' : `data.${q.entrypoint.split('/').join('.')}`;
    inputModule = `package ${WRAPPER_PACKAGE}_input\n\nresult := v if {\n\tv := ${ref} with input as ${c.input_term}\n}\n`;
    q = { ...q, entrypoint: `${WRAPPER_PACKAGE}_input/result` };
  }
  const wantCompileError =
    c.want_error_code !== undefined && COMPILE_ERROR_CODES.has(c.want_error_code);
  const files = c.modules.map((text, i) => ({ path: `${c.category}/module-${i}.rego`, text }));
  const wrapperPath = `${c.category}/query.rego`;
  if (q.kind === 'wrapper') files.push({ path: wrapperPath, text: q.module });
  if (inputModule) files.push({ path: `${c.category}/input.rego`, text: inputModule });

  let compiled;
  try {
    compiled = compileModules(files, { entrypoints: [q.entrypoint] });
  } catch (e) {
    if (isRegoError(e)) {
      // The wrapper only restates the query; an error inside it (a free variable such as
      // `data.p[i] = x`) means the query has no single-entrypoint form.
      if (e.loc.file === wrapperPath) return { status: 'skip', reason: 'query shape' };
      return wantCompileError
        ? { status: 'pass' }
        : { status: 'fail', reason: `compile error: ${e.toLine()}` };
    }
    return { status: 'fail', reason: `compiler crashed: ${(e as Error)?.stack ?? String(e)}` };
  }
  if (wantCompileError) return { status: 'fail', reason: `expected ${c.want_error_code}` };

  let engine;
  try {
    engine = await instantiateEngine(
      {
        wasm: compiled.wasm,
        data: {},
        manifest: { revision: '', roots: [''], wasm: [] },
        revision: '',
        entrypoints: compiled.entrypoints,
        minPages: compiled.minPages,
      },
      { limits: LIMITS },
    );
    if (c.data !== undefined) engine.setDataJson(toJson(c.data));
  } catch (e) {
    if (isWardenError(e) && e.code === PolicyErrorCode.BUILTIN_MISSING) {
      const missing = (e.details?.missing as string[] | undefined) ?? [];
      return { status: 'skip', reason: `builtin not implemented`, builtins: missing };
    }
    return { status: 'fail', reason: `load failed: ${(e as Error).message}` };
  }

  let result: unknown;
  let error: string | undefined;
  try {
    result = engine.evaluateJson(inputJson, q.entrypoint).result;
  } catch (e) {
    if (!isWardenError(e)) throw e;
    error = e.message;
  }
  return judgeCase(c, q, result, error);
}

/** The verdict for a result (undefined = empty set) or an evaluation error message. */
export function judgeCase(
  c: TestCase,
  q: CaseQuery,
  result: unknown,
  error: string | undefined,
): Outcome {
  const got = () => (error !== undefined ? `error: ${error}` : `got ${show(result)}`);
  const wantsError = c.want_error !== undefined || c.want_error_code !== undefined;
  if (wantsError && c.strict_error) {
    if (c.want_result) return compareResult(c, q, result, error);
    return error === undefined && result === undefined
      ? { status: 'pass' }
      : { status: 'fail', reason: `want empty result (strict_error), ${got()}` };
  }
  if (wantsError) {
    const conflict =
      c.want_error_code === 'eval_conflict_error' || CONFLICT.test(c.want_error ?? '');
    if (conflict) {
      return error !== undefined && CONFLICT.test(error)
        ? { status: 'pass' }
        : { status: 'fail', reason: `want conflict error, ${got()}` };
    }
    return error !== undefined || result === undefined
      ? { status: 'pass' }
      : { status: 'fail', reason: `want error or empty result, ${got()}` };
  }
  return compareResult(c, q, result, error);
}

function compareResult(
  c: TestCase,
  q: CaseQuery,
  result: unknown,
  error: string | undefined,
): Outcome {
  if (error !== undefined) return { status: 'fail', reason: `unexpected error: ${error}` };
  const want = c.want_result ?? [];
  const sort = c.sort_bindings === true;
  const mismatch = (wanted: unknown): Outcome => ({
    status: 'fail',
    reason: `want ${show(wanted)}, got ${show(result)}`,
  });
  if (q.kind === 'entrypoint') {
    if (resultMatches(want, q.variable, result, sort)) return { status: 'pass' };
    return mismatch(want.length === 0 ? undefined : want[0][q.variable]);
  }
  if (want.length === 0) return result === undefined ? { status: 'pass' } : mismatch(undefined);
  if (q.vars.length === 0) return result === true ? { status: 'pass' } : mismatch(true);
  const row = want[0];
  const got = result as Record<string, unknown> | undefined;
  const ok =
    got !== undefined &&
    got !== null &&
    typeof got === 'object' &&
    q.vars.every((v) =>
      valuesEqual(sort ? sortBinding(row[v]) : row[v], sort ? sortBinding(got[v]) : got[v]),
    );
  return ok ? { status: 'pass' } : mismatch(row);
}
