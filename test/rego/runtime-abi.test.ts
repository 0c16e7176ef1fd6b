// The OPA ABI surface of the runtime: imports/exports, both evaluation paths of the JS SDK,
// the heap protocol, aborts and the state reset between evaluations.
import { describe, expect, test } from 'vitest';
import { createRequire } from 'node:module';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { Op } from '../../src/rego/ir.ts';
import { runtimeWasm } from '../../src/rego/runtime/index.ts';
import { IRBuilder, RawModule, resultOf } from '../../src/rego/runtime/testkit.ts';

// the ESM entry of the SDK does not re-export LoadedPolicy; its CommonJS entry does
const { LoadedPolicy } = createRequire(import.meta.url)(
  '@open-policy-agent/opa-wasm',
) as typeof import('@open-policy-agent/opa-wasm');

/** allow if input.user in data.admins, via a memoized helper; aborts when input.boom. */
function policy(): IRBuilder {
  const b = new IRBuilder();
  const member = b.builtin('internal.member_2', 2);
  const conflict = b.func({
    params: 2,
    locals: 4,
    result: 2,
    memoize: true,
    body: {
      stmts: [
        { op: Op.Dot, source: 0, key: b.k('boom'), target: 3 },
        { op: Op.AssignOnce, source: b.k(1), target: 2 },
        { op: Op.AssignOnce, source: b.k(2), target: 2 },
      ],
    },
  });
  b.entry('authz/allow', [
    {
      op: Op.Block,
      blocks: [{ stmts: [{ op: Op.Call, func: conflict, args: [0, 1], target: 5 }] }],
    },
    { op: Op.Dot, source: 0, key: b.k('user'), target: 3 },
    { op: Op.Dot, source: 1, key: b.k('admins'), target: 4 },
    { op: Op.CallBuiltin, builtin: member, args: [3, 4], target: 2 },
  ]);
  return b;
}

describe('module surface', () => {
  test('imports are only the OPA ABI ones; globals say ABI 1.3', () => {
    const mod = new WebAssembly.Module(policy().link().wasm);
    const allowed = [
      'memory',
      'opa_abort',
      'opa_println',
      'opa_builtin0',
      'opa_builtin1',
      'opa_builtin2',
      'opa_builtin3',
      'opa_builtin4',
    ];
    for (const i of WebAssembly.Module.imports(mod)) {
      expect(i.module).toBe('env');
      expect(allowed).toContain(i.name);
    }
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
    for (const name of [
      'opa_wasm_abi_version',
      'opa_wasm_abi_minor_version',
      'eval',
      'builtins',
      'entrypoints',
      'opa_eval_ctx_new',
      'opa_eval_ctx_set_input',
      'opa_eval_ctx_set_data',
      'opa_eval_ctx_set_entrypoint',
      'opa_eval_ctx_get_result',
      'opa_malloc',
      'opa_free',
      'opa_json_parse',
      'opa_value_parse',
      'opa_json_dump',
      'opa_value_dump',
      'opa_heap_ptr_get',
      'opa_heap_ptr_set',
      'opa_value_add_path',
      'opa_value_remove_path',
      'opa_value_free',
      'opa_eval',
      'opa_heap_blocks_stash',
      'opa_heap_stash_clear',
      'opa_heap_blocks_restore',
      'memory',
    ]) {
      expect(exports).toContain(name);
    }
    const inst = new RawModule(policy().link().wasm, 2);
    const g = inst.x as unknown as Record<string, WebAssembly.Global>;
    expect(g.opa_wasm_abi_version.value).toBe(1);
    expect(g.opa_wasm_abi_minor_version.value).toBe(3);
  });

  test('the runtime declares at most 2 pages of memory', () => {
    const bytes = runtimeWasm();
    // the import's minimum is the LEB128 after "memory" and its limits flag
    const text = Buffer.from(bytes).toString('latin1');
    const at = text.indexOf('\u0006memory\u0002');
    expect(at).toBeGreaterThan(0);
    expect(bytes[at + 9]).toBeLessThanOrEqual(2);
  });
});

describe('evaluation through the JS SDK', () => {
  test('ABI 1.2 fast path (opa_eval) and the pre-1.2 ctx/eval path agree', async () => {
    const p = await policy().load();
    p.setData({ admins: ['ann', 'bob'] });
    // the SDK's own pre-1.2 code path, forced on a second instance
    const other = await policy().load();
    const legacy = new LoadedPolicy(other.wasmInstance as never, other.mem, 1);
    legacy.setData({ admins: ['ann', 'bob'] });
    for (const pol of [p, legacy]) {
      expect(pol.evaluate({ user: 'bob' }, 'authz/allow')).toEqual([{ result: true }]);
      expect(pol.evaluate({ user: 'eve' })).toEqual([{ result: false }]);
      expect(pol.evaluate({})).toEqual([]);
    }
  });

  test('conflicts throw, and the next evaluation starts clean', async () => {
    const p = await policy().load();
    p.setData({ admins: ['ann'] });
    for (let i = 0; i < 200; i++) {
      expect(() => p.evaluate({ user: 'ann', boom: true })).toThrow('var assignment conflict');
      expect(resultOf(p.evaluate({ user: 'ann' }))).toBe(true);
    }
  });

  test('input nested deeper than 1000 levels aborts the evaluation', async () => {
    const p = await policy().load();
    const deep = JSON.parse('['.repeat(1001) + ']'.repeat(1001));
    expect(() => p.evaluate(deep)).toThrow('input too deeply nested');
    expect(() => p.setData(deep)).toThrow('input too deeply nested');
    expect(p.evaluate({})).toEqual([]);
  });

  test('the heap is reset per evaluation: memory does not grow over many evaluations', async () => {
    const p = await policy().load();
    p.setData({ admins: Array.from({ length: 100 }, (_, i) => `user${i}`) });
    const input = {
      user: 'user99',
      pad: 'x'.repeat(10_000),
      list: Array.from({ length: 500 }, (_, i) => ({ i })),
    };
    for (let i = 0; i < 50; i++) p.evaluate(input);
    const size = p.mem.buffer.byteLength;
    for (let i = 0; i < 3000; i++) expect(resultOf(p.evaluate(input))).toBe(true);
    expect(p.mem.buffer.byteLength).toBe(size);
  });
});

describe('raw exports', () => {
  test('opa_eval: result addresses repeat, format 1 is Rego syntax, no input = 0 length', () => {
    const b = new IRBuilder();
    b.entry('e', [
      { op: Op.MakeSet, target: 2 },
      { op: Op.SetAdd, set: 2, value: 0 },
      { op: Op.SetAdd, set: 2, value: b.k('a') },
    ]);
    const { wasm, minPages } = b.link();
    const m = new RawModule(wasm, minPages);
    const data = m.parse('{}');
    const heap = m.x.opa_heap_ptr_get();
    const input = new TextEncoder().encode('{"k": [1, "é"]}');
    new Uint8Array(m.memory.buffer).set(input, heap);
    const evalOnce = (format: number) =>
      m.x.opa_eval(0, 0, data, heap, input.length, heap + input.length, format);
    const first = evalOnce(0);
    expect(m.cstr(first)).toBe('[{"result":["a",{"k":[1,"é"]}]}]');
    expect(evalOnce(0)).toBe(first);
    expect(m.cstr(evalOnce(1))).toBe('[{"result":{"a", {"k": [1, "é"]}}}]');
    // no input: SetAdd of the undefined input ends the block; the set stays empty
    expect(m.cstr(m.x.opa_eval(0, 0, data, 0, 0, heap, 0))).toBe('[{"result":[]}]');
  });

  test('the pre-1.2 exports can be driven by hand', () => {
    const p = policy().link();
    const m = new RawModule(p.wasm, p.minPages);
    const data = m.parse('{"admins": ["x"]}');
    const input = m.parse('{"user": "x"}');
    const ctx = m.x.opa_eval_ctx_new();
    m.x.opa_eval_ctx_set_input(ctx, input);
    m.x.opa_eval_ctx_set_data(ctx, data);
    m.x.opa_eval_ctx_set_entrypoint(ctx, 0);
    expect(m.x.eval(ctx)).toBe(0);
    expect(m.json(m.x.opa_eval_ctx_get_result(ctx))).toBe('[{"result":true}]');
    expect(m.json(m.x.entrypoints())).toBe('{"authz/allow":0}');
  });

  test('the heap cap aborts with a message instead of trapping', () => {
    const m = new RawModule(new IRBuilder().link().wasm, 2);
    expect(() => m.x.opa_malloc(1100 * 1024 * 1024)).toThrow('out of memory (heap limit 1 GiB)');
  });

  test('a bare runtime loads in the SDK without builtins', async () => {
    const p = await loadPolicy(runtimeWasm());
    expect(p.entrypoints).toEqual({});
  });
});
