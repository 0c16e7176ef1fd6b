// The engine runs compiled modules through the unmodified opa-wasm SDK and turns its raw
// throws (strings for opa_abort, plain objects for missing builtins) into WardenErrors.
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors/index.ts';
import type { PolicyArtifact } from '../../src/policy/bundle.ts';
import {
  checkInputText,
  instantiateEngine,
  loadEngine,
  mapEvalError,
} from '../../src/policy/engine.ts';
import { compileModules } from '../../src/rego/compile.ts';

function artifact(text: string, entrypoints: string[], data: Record<string, unknown> = {}) {
  const c = compileModules([{ path: 'test.rego', text }], { entrypoints });
  return {
    wasm: c.wasm,
    data,
    manifest: { revision: 'rev-1', roots: [''], wasm: [] },
    revision: 'rev-1',
    entrypoints: c.entrypoints,
    minPages: c.minPages,
  } satisfies PolicyArtifact;
}

const ECHO = `package t

echo := input

greeting := sprintf("hello %s", [input.name])

cfg := data.config.limit

conflict := x if {
  some x in input.xs
}
`;

describe('evaluation', () => {
  it('evaluates entrypoints with input and data, and reports the revision', async () => {
    const eng = await instantiateEngine(
      artifact(ECHO, ['t/echo', 't/greeting', 't/cfg'], { config: { limit: 8192 } }),
    );
    expect(eng.revision).toBe('rev-1');
    expect(eng.entrypoints).toEqual(expect.arrayContaining(['t/echo', 't/greeting', 't/cfg']));
    expect(eng.evaluate({ a: [1, 'x', null] }, 't/echo')).toEqual({
      result: { a: [1, 'x', null] },
    });
    expect(eng.evaluate({ name: 'ada' }, 't/greeting')).toEqual({ result: 'hello ada' });
    expect(eng.evaluate(undefined, 't/cfg')).toEqual({ result: 8192 });
    eng.setData({ config: { limit: 1 } });
    expect(eng.evaluate(undefined, 't/cfg')).toEqual({ result: 1 });
  });

  it('keeps falsy inputs (the SDK alone would drop false, 0 and "")', async () => {
    const eng = await instantiateEngine(artifact(ECHO, ['t/echo']));
    expect(eng.evaluate(false, 't/echo')).toEqual({ result: false });
    expect(eng.evaluate(0, 't/echo')).toEqual({ result: 0 });
    expect(eng.evaluate('', 't/echo')).toEqual({ result: '' });
    expect(eng.evaluate(undefined, 't/echo')).toEqual({ result: undefined });
  });

  it('passes JSON input text through exactly (integers beyond 2^53)', async () => {
    const eng = await instantiateEngine(
      artifact('package t\n\nbig if input.n == 12345678901234567890123\n', ['t/big']),
    );
    expect(eng.evaluateJson('{"n": 12345678901234567890123}', 't/big')).toEqual({ result: true });
    expect(eng.evaluateJson('{"n": 12345678901234567890124}', 't/big')).toEqual({
      result: undefined,
    });
  });

  it('loads a Rego directory by path', async () => {
    const eng = await loadEngine('policies', { entrypoints: ['mcp/authz/decision'] });
    expect(eng.entrypoints).toEqual(['mcp/authz/decision']);
    expect(eng.revision).toMatch(/^[0-9a-f]{16,}$/);
  });
});

describe('errors', () => {
  it('turns a conflict (opa_abort) into POLICY_EVAL_ERROR, and keeps working after', async () => {
    const eng = await instantiateEngine(artifact(ECHO, ['t/conflict', 't/echo']));
    let err: unknown;
    try {
      eng.evaluate({ xs: [1, 2] }, 't/conflict');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WardenError);
    expect(err).toMatchObject({
      code: 'POLICY_EVAL_ERROR',
      message: expect.stringMatching(/conflict/),
    });
    expect(eng.evaluate({ xs: [3] }, 't/conflict')).toEqual({ result: 3 });
    expect(eng.evaluate({ k: 1 }, 't/echo')).toEqual({ result: { k: 1 } });
  });

  it('turns a throwing host builtin into POLICY_EVAL_ERROR, then recovers', async () => {
    let calls = 0;
    const eng = await instantiateEngine(artifact('package t\n\nn := time.now_ns()\n', ['t/n']), {
      builtins: {
        'time.now_ns': () => {
          if (++calls === 1) throw new Error('clock on fire');
          return 42;
        },
      },
    });
    expect(() => eng.evaluate({}, 't/n')).toThrow(
      expect.objectContaining({ code: 'POLICY_EVAL_ERROR', message: 'clock on fire' }),
    );
    // The next evaluation runs on a fresh instance of the same module, data reloaded.
    expect(eng.evaluate({}, 't/n')).toEqual({ result: 42 });
  });

  it('fixes time.now_ns for one evaluation (the builtins hook)', async () => {
    const eng = await instantiateEngine(
      artifact('package t\n\nsame if time.now_ns() == time.now_ns()\n', ['t/same']),
    );
    expect(eng.evaluate({}, 't/same')).toEqual({ result: true });
  });

  it('refuses at load a module whose builtins have no implementation, naming them', async () => {
    const a = artifact('package t\n\nr := http.send({"method": "get", "url": input.u})\n', ['t/r']);
    await expect(instantiateEngine(a)).rejects.toMatchObject({
      code: 'POLICY_BUILTIN_MISSING',
      message: expect.stringContaining('http.send'),
      details: { missing: ['http.send'] },
    });
  });

  it('maps the SDK throw shapes', () => {
    expect(mapEvalError('p.rego:3:1: var assignment conflict', 'a/b')).toMatchObject({
      code: 'POLICY_EVAL_ERROR',
      message: 'p.rego:3:1: var assignment conflict',
      status: 500,
    });
    expect(
      mapEvalError({ message: 'not implemented: built-in function 3: http.send' }, 'a/b'),
    ).toMatchObject({ code: 'POLICY_BUILTIN_MISSING' });
    expect(mapEvalError(new WebAssembly.RuntimeError('unreachable'), 'a/b')).toMatchObject({
      code: 'POLICY_EVAL_ERROR',
      message: 'policy module trapped: unreachable',
    });
  });

  it('rejects unknown entrypoints clearly', async () => {
    const eng = await instantiateEngine(artifact(ECHO, ['t/echo']));
    expect(() => eng.evaluate({}, 'nope/x')).toThrow(
      expect.objectContaining({
        code: 'POLICY_ENTRYPOINT_UNKNOWN',
        message: expect.stringContaining('t/echo'),
      }),
    );
  });

  it('rejects oversized and deeply nested input before it reaches WASM', async () => {
    const eng = await instantiateEngine(artifact(ECHO, ['t/echo']), {
      limits: { maxInputBytes: 1000, maxInputDepth: 10 },
    });
    expect(() => eng.evaluate({ s: 'x'.repeat(2000) }, 't/echo')).toThrow(
      expect.objectContaining({ code: 'POLICY_INPUT_TOO_LARGE', status: 413 }),
    );
    let deep: unknown = 1;
    for (let i = 0; i < 11; i++) deep = [deep];
    expect(() => eng.evaluate(deep, 't/echo')).toThrow(
      expect.objectContaining({ code: 'POLICY_INPUT_TOO_LARGE' }),
    );
    // Far too deep for JSON.stringify's recursion: still a clean error.
    let abyss: unknown = 1;
    for (let i = 0; i < 200_000; i++) abyss = { a: abyss };
    expect(() => eng.evaluate(abyss, 't/echo')).toThrow(
      expect.objectContaining({ code: 'POLICY_INPUT_TOO_LARGE' }),
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => eng.evaluate(cyclic, 't/echo')).toThrow(
      expect.objectContaining({ code: 'POLICY_INPUT_INVALID' }),
    );
    expect(eng.evaluate({ ok: true }, 't/echo')).toEqual({ result: { ok: true } });
  });

  it('counts depth outside strings only, and bytes in UTF-8', () => {
    const limits = { maxInputBytes: 100, maxInputDepth: 2 };
    expect(() => checkInputText('{"a": "[[[[{{{{\\"[["}', limits)).not.toThrow();
    expect(() => checkInputText('[[[1]]]', limits)).toThrow(/nested deeper than 2/);
    expect(() => checkInputText(`"${'é'.repeat(40)}"`, limits)).not.toThrow();
    expect(() => checkInputText(`"${'é'.repeat(60)}"`, limits)).toThrow(/122 bytes/);
  });
});
