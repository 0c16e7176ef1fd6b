// What a WASM module needs of the memory it imports, read from its binary (WebAssembly core
// spec §5.5): the declared limits of `env.memory` and the extent of its active data segments.
// The SDK creates the memory before instantiation, so both must be known beforehand.

/** An unsigned LEB128 integer at `pos` (core spec §5.2.2) and the position after it. */
function leb128(wasm: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = wasm[pos++];
    if (b === undefined) throw new RangeError('truncated');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

/** The limits of the module's imported memory (`env.memory`), read from its import section
 *  (WebAssembly core spec §5.5.5 import section, §5.3.7 limits). The SDK creates the memory,
 *  so it must be at least the declared minimum; `opa build` modules declare 2 pages. */
export function wasmMemoryLimits(wasm: Uint8Array): { min: number; max?: number } | undefined {
  let pos = 8; // magic + version
  const u32 = (): number => {
    const [v, next] = leb128(wasm, pos);
    pos = next;
    return v;
  };
  const name = (): string => {
    const len = u32();
    const s = new TextDecoder().decode(wasm.subarray(pos, pos + len));
    pos += len;
    return s;
  };
  const limits = (): { min: number; max?: number } => {
    const flags = wasm[pos++];
    const min = u32();
    return flags & 1 ? { min, max: u32() } : { min };
  };
  try {
    while (pos < wasm.length) {
      const id = wasm[pos++];
      const size = u32();
      const end = pos + size;
      if (id !== 2) {
        pos = end;
        continue;
      }
      for (let n = u32(); n > 0; n--) {
        const mod = name();
        const field = name();
        const kind = wasm[pos++];
        if (kind === 0) u32();
        else if (kind === 1) {
          pos++;
          limits();
        } else if (kind === 2) {
          const l = limits();
          if (mod === 'env' && field === 'memory') return l;
        } else if (kind === 3) pos += 2;
        else if (kind === 4) {
          pos++;
          u32();
        } else return undefined;
      }
      return undefined;
    }
  } catch {
    return undefined; // malformed: WebAssembly.Module will say why
  }
  return undefined;
}

/** Memory pages the module's active data segments reach (WebAssembly core spec §5.5.14 data
 *  section: an i32.const offset, then the bytes). `opa build` declares a minimum (2–3 pages)
 *  that a large policy's data outgrows, so the memory must be sized from the segments, as the
 *  JS SDK's larger default does by chance. 0 when the module has none or is malformed. */
export function wasmDataPages(wasm: Uint8Array): number {
  let pos = 8;
  const u32 = (): number => {
    const [v, next] = leb128(wasm, pos);
    pos = next;
    return v;
  };
  const i32Const = (): number | undefined => {
    if (wasm[pos++] !== 0x41) return undefined; // only i32.const offsets (a global.get: unknown)
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = wasm[pos++];
      if (b === undefined) throw new RangeError('truncated');
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= ~0 << shift;
    if (wasm[pos++] !== 0x0b) return undefined;
    return result >>> 0;
  };
  let end = 0;
  try {
    while (pos < wasm.length) {
      const id = wasm[pos++];
      const size = u32();
      const next = pos + size;
      if (id === 11) {
        for (let n = u32(); n > 0; n--) {
          const flags = u32();
          if (flags === 1) {
            pos += u32(); // passive: no place in memory
            continue;
          }
          if (flags === 2) u32(); // memory index
          const offset = i32Const();
          const len = u32();
          pos += len;
          if (offset !== undefined) end = Math.max(end, offset + len);
        }
      }
      pos = next;
    }
  } catch {
    return 0;
  }
  return Math.ceil(end / 65536);
}
