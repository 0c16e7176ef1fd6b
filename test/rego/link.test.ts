// The linker: policy IR appended to a module as a data segment at 65536.
import { describe, expect, test } from 'vitest';
import { encodePolicy, Op } from '../../src/rego/ir.ts';
import { BLOB_ADDR, linkPolicy } from '../../src/rego/link.ts';
import { runtimeWasm } from '../../src/rego/runtime/index.ts';
import { IRBuilder, RawModule, resultOf } from '../../src/rego/runtime/testkit.ts';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const memImport = (limits: number[]) => {
  const body = [
    0x01,
    0x03,
    0x65,
    0x6e,
    0x76,
    0x06,
    0x6d,
    0x65,
    0x6d,
    0x6f,
    0x72,
    0x79,
    0x02,
    ...limits,
  ];
  return [0x02, body.length, ...body];
};

describe('linkPolicy', () => {
  test('the blob lands at 65536 as [u32 length][IR]', () => {
    const b = new IRBuilder();
    b.entry('x', [{ op: Op.Assign, source: b.k('hello'), target: 2 }]);
    const ir = encodePolicy(b.policy());
    const { wasm, minPages } = linkPolicy(runtimeWasm(), ir);
    expect(WebAssembly.validate(wasm)).toBe(true);
    expect(minPages).toBe(2);
    const m = new RawModule(wasm, minPages);
    const view = new DataView(m.memory.buffer);
    expect(view.getUint32(BLOB_ADDR, true)).toBe(ir.length);
    expect(new Uint8Array(m.memory.buffer, BLOB_ADDR + 4, ir.length)).toEqual(ir);
    // the heap starts after the blob
    expect(m.x.opa_heap_ptr_get()).toBeGreaterThanOrEqual(BLOB_ADDR + 4 + ir.length);
  });

  test('a large policy raises the memory minimum', async () => {
    const b = new IRBuilder();
    const big = 'x'.repeat(300_000);
    b.entry('x', [{ op: Op.Len, source: b.k(big), target: 2 }]);
    const { wasm, minPages } = b.link();
    expect(minPages).toBe(Math.ceil((BLOB_ADDR + 4 + encodePolicy(b.policy()).length) / 65536));
    const mem = WebAssembly.Module.imports(new WebAssembly.Module(wasm)).find(
      (i) => i.kind === 'memory',
    );
    expect(mem).toBeDefined();
    expect(() => new RawModule(wasm, minPages - 1)).toThrow(); // the import minimum is enforced
    expect(resultOf((await b.load()).evaluate({}))).toBe(300_000);
  });

  test('decoding a policy with many constants never overwrites the blob', async () => {
    const b = new IRBuilder();
    b.entry('x', [{ op: Op.MakeArray, capacity: 0, target: 2 }]);
    const stmts = b.funcs[0].body.stmts;
    for (let i = 0; i < 4000; i++)
      stmts.push({ op: Op.ArrayAppend, array: 2, value: b.k({ i, s: `v${i}` }) });
    const out = resultOf((await b.load()).evaluate({})) as { i: number }[];
    expect(out.length).toBe(4000);
    expect(out[3999]).toEqual({ i: 3999, s: 'v3999' });
  });

  test('the bare runtime (no blob) is an empty policy', () => {
    const rt = runtimeWasm();
    const m = new RawModule(rt, 1);
    expect(m.json(m.x.entrypoints())).toBe('{}');
    expect(m.json(m.x.builtins())).toBe('{}');
    const mem = WebAssembly.Module.imports(new WebAssembly.Module(rt)).find(
      (i) => i.kind === 'memory',
    );
    expect(mem).toBeDefined();
  });

  test('modules without a data section, with a data count section, with a memory maximum', () => {
    const ir = new Uint8Array([1, 2, 3, 4]);
    const bare = new Uint8Array([...HEADER, ...memImport([0x00, 0x01])]);
    const a = linkPolicy(bare, ir);
    expect(WebAssembly.validate(a.wasm)).toBe(true);
    expect(a.minPages).toBe(2);
    const withCount = new Uint8Array([
      ...HEADER,
      ...memImport([0x00, 0x03]),
      0x0c,
      0x01,
      0x01, // data count: 1
      0x0b,
      0x07,
      0x01,
      0x00,
      0x41,
      0x00,
      0x0b,
      0x01,
      0xaa, // one segment at 0
    ]);
    const c = linkPolicy(withCount, ir);
    expect(WebAssembly.validate(c.wasm)).toBe(true);
    expect(c.minPages).toBe(3); // never lowered
    const capped = new Uint8Array([...HEADER, ...memImport([0x01, 0x01, 0x02])]);
    expect(() => linkPolicy(capped, new Uint8Array(70_000))).toThrow('memory max is 2');
    expect(WebAssembly.validate(linkPolicy(capped, ir).wasm)).toBe(true);
  });

  test('rejects what is not a module', () => {
    expect(() => linkPolicy(new Uint8Array([1, 2, 3]), new Uint8Array())).toThrow(
      'not a WebAssembly module',
    );
    expect(() => linkPolicy(new Uint8Array(HEADER), new Uint8Array())).toThrow(
      'does not import env.memory',
    );
  });
});
