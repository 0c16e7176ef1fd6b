// Memory for OPA-built modules: the data segments decide the pages needed, not only the
// declared minimum (a large `opa build` module declares 3 pages and carries ~884 KB of data).
import { describe, expect, it } from 'vitest';
import { wasmDataPages } from '../../src/policy/bundle.ts';

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

/** A module importing env.memory (min 3 pages) with active segments at the given offsets. */
function moduleWith(segments: [offset: number, length: number][]): Uint8Array<ArrayBuffer> {
  const imp = [1, 3, ...[0x65, 0x6e, 0x76], 6, ...Buffer.from('memory'), 2, 0, 3];
  const data: number[] = [...leb(segments.length)];
  for (const [off, len] of segments) {
    data.push(0, 0x41, ...sleb(off), 0x0b, ...leb(len), ...new Array<number>(len).fill(7));
  }
  // a passive segment (flag 1) occupies no memory
  data[0] += 1;
  data.push(1, 2, 9, 9);
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  return Uint8Array.from([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(2, imp),
    ...section(11, data),
  ]);
}

describe('wasmDataPages', () => {
  it('counts the pages the active data segments reach', () => {
    const wasm = moduleWith([
      [1024, 16],
      [884 * 1024, 100],
    ]);
    expect(WebAssembly.validate(wasm)).toBe(true);
    expect(wasmDataPages(wasm)).toBe(Math.ceil((884 * 1024 + 100) / 65536));
    // The declared 3 pages are too few: instantiation with them fails, with ours it works.
    const mod = new WebAssembly.Module(wasm);
    const tooSmall = new WebAssembly.Memory({ initial: 3 });
    expect(() => new WebAssembly.Instance(mod, { env: { memory: tooSmall } })).toThrow();
    const enough = new WebAssembly.Memory({ initial: wasmDataPages(wasm) });
    expect(() => new WebAssembly.Instance(mod, { env: { memory: enough } })).not.toThrow();
  });

  it('is 0 for a module without data or a malformed one', () => {
    expect(wasmDataPages(moduleWith([]))).toBe(0);
    expect(wasmDataPages(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 11, 5, 1]))).toBe(0);
  });
});
