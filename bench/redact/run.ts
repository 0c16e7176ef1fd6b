// Redaction throughput: the full built-in pattern set through RE2 (what the gateway runs) beside
// the same patterns as JS RegExp (V8's backtracking Irregexp), in one run, on the same inputs.
//   npx tsx bench/redact/run.ts [--mb N] [--cap-ms N]
// Reports MB/s on mixed JSON (text as one string, and as a parsed value walked field by field),
// on the same JSON with no secrets, and the time on a ReDoS-style input, where the JS engine is
// stopped in a worker after a time cap and reported as ">cap".
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { buildRedactor, BUILTIN_DETECTORS } from '../../src/audit/redact/index.ts';
import { adversarial, mixedJson } from './corpus.ts';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '8' }, 'cap-ms': { type: 'string', default: '10000' } },
});
const MB = Number(values.mb);
const CAP_MS = Number(values['cap-ms']);

const redactor = buildRedactor();
// The JS twin: the same sources as one union with a capture group per detector; validators run
// identically, so the comparison is the regex engine.
// JS has no inline `(?i:…)` before Node 23; the twin drops the flag (it only changes which
// label spellings match, not the work per byte), and needs `u` (and `Script=`) for \p{…}.
const jsUnion = new RegExp(
  BUILTIN_DETECTORS.map(
    (d) =>
      `(${d.source.replace(/\(\?i:/g, '(?:').replace(/\\p\{(Latin|Greek|Cyrillic)\}/g, '\\p{Script=$1}')})`,
  ).join('|'),
  'gu',
);
function jsRedact(s: string): number {
  let n = 0;
  for (const _ of s.matchAll(jsUnion)) n++;
  return n;
}

function best(fn: () => void, bytes: number, reps = 5): number {
  fn(); // warm-up
  let bestS = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    fn();
    bestS = Math.min(bestS, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return bytes / 1e6 / bestS;
}

const { value, text } = mixedJson(MB * 1e6);
const clean = mixedJson(MB * 1e6, 7);
const cleanText = clean.text.replace(/[@:]/g, ' ').replace(/\d/g, 'x');
const bytes = Buffer.byteLength(text);
console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, node ${process.version}`);
console.log(
  `input: ${(bytes / 1e6).toFixed(1)} MB mixed JSON (MCP-like tool results, ~1 secret per 1.6 KB)`,
);
const rows: Array<[string, number, number]> = [
  [
    'mixed JSON, one string',
    best(() => redactor.text(text), bytes),
    best(() => jsRedact(text), bytes),
  ],
  ['mixed JSON, parsed value', best(() => redactor.value(value), bytes), NaN],
  [
    'same JSON, no secrets',
    best(() => redactor.text(cleanText), cleanText.length),
    best(() => jsRedact(cleanText), cleanText.length),
  ],
];
console.log('case                        re2 MB/s   JS RegExp MB/s');
for (const [name, a, b] of rows)
  console.log(
    `${name.padEnd(28)}${a.toFixed(1).padStart(8)}   ${Number.isNaN(b) ? '   (n/a)' : b.toFixed(1).padStart(8)}`,
  );

// ReDoS-style input: time for 100 KB and 1 MB (linear growth ⇒ ratio ≈ 10).
for (const size of [100_000, 1_000_000]) {
  const adv = adversarial(size);
  const t = process.hrtime.bigint();
  redactor.text(adv);
  const re2Ms = Number(process.hrtime.bigint() - t) / 1e6;
  const jsMs = await jsInWorker(adv, CAP_MS);
  console.log(
    `ReDoS-style ${(size / 1e3).toFixed(0).padStart(5)} KB: re2 ${re2Ms.toFixed(1)} ms, JS RegExp ${jsMs === null ? `>${CAP_MS} ms (stopped)` : `${jsMs.toFixed(1)} ms`}`,
  );
}

/** Runs the JS union in a worker so a catastrophic backtrack can be terminated at the cap. */
function jsInWorker(input: string, capMs: number): Promise<number | null> {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const re = new RegExp(workerData.source, 'g');
    const t = process.hrtime.bigint();
    let n = 0; for (const _ of workerData.input.matchAll(re)) n++;
    parentPort.postMessage(Number(process.hrtime.bigint() - t) / 1e6);`;
  return new Promise((resolve) => {
    const w = new Worker(src, { eval: true, workerData: { source: jsUnion.source, input } });
    const timer = setTimeout(() => {
      void w.terminate();
      resolve(null);
    }, capMs);
    w.once('message', (ms: number) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(ms);
    });
  });
}
