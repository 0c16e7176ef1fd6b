// Builds the prebuilt Rego evaluator (src/rego/runtime/assembly, AssemblyScript) into
// build/rego-runtime.wasm. Runs on `npm ci` (the `prepare` script) and on demand from
// src/rego/runtime/index.ts when the artifact is missing or older than its sources.
// Policies never run asc: src/rego/link.ts appends their IR to this module as a data segment.
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/rego/runtime/assembly');
export const outFile = join(root, 'build/rego-runtime.wasm');
/** The linker puts the policy blob at this address; static data must end below it. */
const BLOB_ADDR = 65536;
const ALLOWED_IMPORTS = new Set([
  'env.memory',
  'env.opa_abort',
  'env.opa_println',
  'env.opa_builtin0',
  'env.opa_builtin1',
  'env.opa_builtin2',
  'env.opa_builtin3',
  'env.opa_builtin4',
]);

function uleb(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [result, pos];
  }
}

/** End address of the highest active data segment (i32.const offsets), per the binary format
 *  (WebAssembly Core Spec §5.5.14). */
function staticDataEnd(wasm) {
  let pos = 8;
  let end = 0;
  while (pos < wasm.length) {
    const id = wasm[pos];
    let size;
    [size, pos] = uleb(wasm, pos + 1);
    const next = pos + size;
    if (id === 11) {
      let count;
      [count, pos] = uleb(wasm, pos);
      for (let i = 0; i < count; i++) {
        let kind;
        [kind, pos] = uleb(wasm, pos);
        if (kind !== 0) throw new Error(`unexpected data segment kind ${kind}`);
        if (wasm[pos] !== 0x41) throw new Error('data segment offset is not i32.const');
        let offset;
        [offset, pos] = uleb(wasm, pos + 1); // small positive offsets: sleb == uleb
        pos++; // end
        let len;
        [len, pos] = uleb(wasm, pos);
        pos += len;
        end = Math.max(end, offset + len);
      }
    }
    pos = next;
  }
  return end;
}

export async function buildRuntime({ quiet = false } = {}) {
  const started = performance.now();
  const { default: asc } = await import('assemblyscript/asc');
  mkdirSync(dirname(outFile), { recursive: true });
  const rel = (p) => relative(root, p);
  // write to a private file and rename: concurrent builds (parallel test workers) never see
  // a half-written module
  const tmpFile = outFile.replace(/\.wasm$/, `.${process.pid}.tmp.wasm`);
  const args = [
    rel(join(srcDir, 'index.ts')),
    '--runtime',
    rel(join(srcDir, 'rt')),
    '--use',
    `abort=${rel(join(srcDir, 'env'))}/asAbort`,
    '--importMemory',
    '--initialMemory',
    '1',
    process.env.REGO_RUNTIME_OPT ?? '-O3',
    '--noAssert',
    '-o',
    rel(tmpFile),
  ];
  let stderrText = '';
  let wasm;
  let dataEnd;
  try {
    const { error } = await asc.main(args, {
      stdout: { write: () => true },
      stderr: { write: (s) => ((stderrText += String(s)), true) },
      baseDir: root,
    });
    if (error) throw new Error(`asc failed: ${error.message}\n${stderrText}`);
    wasm = readFileSync(tmpFile);
    for (const imp of WebAssembly.Module.imports(new WebAssembly.Module(wasm))) {
      const name = `${imp.module}.${imp.name}`;
      if (!ALLOWED_IMPORTS.has(name)) {
        throw new Error(`runtime imports ${name}, not allowed by the OPA ABI`);
      }
    }
    dataEnd = staticDataEnd(wasm);
    if (dataEnd >= BLOB_ADDR) {
      throw new Error(`runtime static data ends at ${dataEnd}, must stay below ${BLOB_ADDR}`);
    }
    renameSync(tmpFile, outFile);
  } finally {
    rmSync(tmpFile, { force: true });
  }
  const ms = Math.round(performance.now() - started);
  if (!quiet) {
    process.stderr.write(
      `rego runtime: ${rel(outFile)} ${wasm.length} bytes, static data ${dataEnd} B, built in ${ms} ms\n`,
    );
  }
  return { bytes: wasm.length, ms };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildRuntime();
}
