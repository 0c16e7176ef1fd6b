// Joins a policy's encoded IR (src/rego/ir.ts) to the prebuilt runtime module: one active data
// segment at BLOB_ADDR holding [u32 byteLength][IR bytes], which the runtime decodes on first
// use. Only the data (and data count) sections and the memory import's minimum change; no
// code is generated, so linking takes well under a millisecond.
// Binary format: WebAssembly Core Specification §5.5 (modules), §5.2.2 (LEB128 integers).
import { WardenError } from '../errors/index.ts';

/** Must match BLOB_ADDR in src/rego/runtime/assembly/decode.ts. */
export const BLOB_ADDR = 65536;
const PAGE = 65536;
const SEC_IMPORT = 2;
const SEC_DATA = 11;
const SEC_DATACOUNT = 12;
const SEC_CODE = 10;

export interface LinkedPolicy {
  wasm: Uint8Array<ArrayBuffer>;
  /** Pages the module's memory needs at least; pass as `initial` to loadPolicy. */
  minPages: number;
}

function linkError(msg: string): WardenError {
  return new WardenError('REGO_LINK_FAILED', `cannot link policy: ${msg}`);
}

function readU32(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw linkError('truncated LEB128 integer');
    const b = buf[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [result, pos];
    if (shift > 35) throw linkError('LEB128 integer too long');
  }
}

function u32(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function i32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

interface Section {
  id: number;
  body: Uint8Array;
  raw: Uint8Array; // id, size and body, for sections copied unchanged
}

function parseSections(wasm: Uint8Array): Section[] {
  if (
    wasm.length < 8 ||
    wasm[0] !== 0 ||
    wasm[1] !== 0x61 ||
    wasm[2] !== 0x73 ||
    wasm[3] !== 0x6d
  ) {
    throw linkError('runtime is not a WebAssembly module');
  }
  const sections: Section[] = [];
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos];
    const [size, start] = readU32(wasm, pos + 1);
    if (start + size > wasm.length) throw linkError('truncated section');
    sections.push({
      id,
      body: wasm.subarray(start, start + size),
      raw: wasm.subarray(pos, start + size),
    });
    pos = start + size;
  }
  return sections;
}

function readName(buf: Uint8Array, pos: number): [string, number] {
  const [n, p] = readU32(buf, pos);
  return [new TextDecoder().decode(buf.subarray(p, p + n)), p + n];
}

/** Rewrites the import section with the memory import's minimum raised to `minPages`;
 *  returns the new body and the effective minimum. */
function raiseMemoryMin(body: Uint8Array, minPages: number): [Uint8Array, number] {
  const [count, start] = readU32(body, 0);
  let pos = start;
  for (let i = 0; i < count; i++) {
    let mod: string;
    let name: string;
    [mod, pos] = readName(body, pos);
    [name, pos] = readName(body, pos);
    const kind = body[pos++];
    if (kind === 0)
      [, pos] = readU32(body, pos); // function: type index
    else if (kind === 1) {
      pos++; // table: reftype then limits
      const flags = body[pos++];
      [, pos] = readU32(body, pos);
      if (flags & 1) [, pos] = readU32(body, pos);
    } else if (kind === 3)
      pos += 2; // global: valtype, mutability
    else if (kind === 2) {
      if (mod !== 'env' || name !== 'memory') throw linkError('unexpected memory import');
      const flags = body[pos];
      const [min, afterMin] = readU32(body, pos + 1);
      const effective = Math.max(min, minPages);
      const out = [...body.subarray(0, pos + 1), ...u32(effective), ...body.subarray(afterMin)];
      if (flags & 1) {
        const [max] = readU32(body, afterMin);
        if (max < effective)
          throw linkError(`policy needs ${effective} pages, memory max is ${max}`);
      }
      return [Uint8Array.from(out), effective];
    } else throw linkError(`unknown import kind ${kind}`);
  }
  throw linkError('runtime does not import env.memory');
}

function section(id: number, body: ArrayLike<number>): number[] {
  return [id, ...u32(body.length), ...Array.from(body)];
}

export function linkPolicy(runtime: Uint8Array, ir: Uint8Array): LinkedPolicy {
  const sections = parseSections(runtime);
  const blobEnd = BLOB_ADDR + 4 + ir.length;
  const needPages = Math.ceil(blobEnd / PAGE);
  const lenPrefix = [
    ir.length & 0xff,
    (ir.length >>> 8) & 0xff,
    (ir.length >>> 16) & 0xff,
    ir.length >>> 24,
  ];
  const segment = [0, 0x41, ...i32(BLOB_ADDR), 0x0b, ...u32(ir.length + 4), ...lenPrefix];

  const parts: Uint8Array[] = [runtime.subarray(0, 8)];
  let minPages = needPages;
  let wroteData = false;
  const dataSection = (existing?: Uint8Array): Uint8Array => {
    let count = 0;
    let rest: Uint8Array = new Uint8Array(0);
    if (existing) {
      const [n, p] = readU32(existing, 0);
      count = n;
      rest = existing.subarray(p);
    }
    const countBytes = u32(count + 1);
    const bodyLen = countBytes.length + rest.length + segment.length + ir.length;
    const header = [SEC_DATA, ...u32(bodyLen), ...countBytes];
    const out = new Uint8Array(header.length + rest.length + segment.length + ir.length);
    out.set(header, 0);
    out.set(rest, header.length);
    out.set(segment, header.length + rest.length);
    out.set(ir, header.length + rest.length + segment.length);
    return out;
  };
  for (const s of sections) {
    if (s.id === SEC_IMPORT) {
      const [body, effective] = raiseMemoryMin(s.body, needPages);
      minPages = effective;
      parts.push(Uint8Array.from(section(SEC_IMPORT, body)));
    } else if (s.id === SEC_DATACOUNT) {
      const [n] = readU32(s.body, 0);
      parts.push(Uint8Array.from(section(SEC_DATACOUNT, u32(n + 1))));
    } else if (s.id === SEC_DATA) {
      parts.push(dataSection(s.body));
      wroteData = true;
    } else {
      // a module without data: the data section goes right after the code section
      if (!wroteData && s.id === 0 && sections.some((x) => x.id === SEC_CODE)) {
        parts.push(dataSection());
        wroteData = true;
      }
      parts.push(s.raw);
    }
  }
  if (!sections.some((s) => s.id === SEC_IMPORT))
    throw linkError('runtime does not import env.memory');
  if (!wroteData) parts.push(dataSection());
  const total = parts.reduce((n, p) => n + p.length, 0);
  const wasm = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    wasm.set(p, off);
    off += p.length;
  }
  return { wasm, minPages };
}
