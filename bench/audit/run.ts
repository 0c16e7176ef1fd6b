// Audit per-record cost: build + redact + seal (canonical JSON, SHA-256 or keyed HMAC chain) +
// file sink, for a typical tools/call record, and per durability mode in one run: records/s and
// CPU per record at 32 concurrent writers, and the commit latency record() makes a tools/call
// answer wait (p50/p99, one writer at a time; async answers do not wait, so ~0).
//   npx tsx bench/audit/run.ts [--n N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAuditor } from '../../src/audit/auditor.ts';
import { parseAuditConfig } from '../../src/audit/config.ts';
import type { AuditInput } from '../../src/audit/record.ts';
import { canonicalize, seal, GENESIS, hmacHasher } from '../../src/audit/canonical.ts';
import { buildRecord } from '../../src/audit/record.ts';
import { buildRedactor } from '../../src/audit/redact/index.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const N = Number(values.n);

const input = (i: number): AuditInput => ({
  time: new Date().toISOString(),
  request_id: i,
  subject: 'alice@example.com',
  client: 'bench-client',
  route: '/u/db/mcp',
  upstream: 'db',
  method: 'tools/call',
  tool: 'query',
  decision: 'allow',
  reasons: [],
  outcome: 'ok',
  status: 200,
  duration_ms: 1.234,
  arguments: { sql: 'select id, name from customers where region = $1 limit 10', params: ['emea'] },
  result_value: {
    content: [{ type: 'text', text: `rows: 10, first id 4821, region emea, took 3 ms (${i})` }],
    isError: false,
  },
  policy_revision: 'rev-1',
  headers: { 'user-agent': 'bench/1.0', authorization: 'Bearer abcdefghijklmnop' },
});

function cpuUs(fn: () => void, n: number): number {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / n;
}

// Pure CPU parts, no I/O.
const redactor = buildRedactor();
const head = { seq: 0, prev: GENESIS };
for (let i = 0; i < 2000; i++) seal(head, buildRecord(input(i), redactor, false));
const build = cpuUs(() => {
  for (let i = 0; i < N; i++) buildRecord(input(i), redactor, false);
}, N);
const body = buildRecord(input(1), redactor, false);
const canon = cpuUs(() => {
  for (let i = 0; i < N; i++) canonicalize(body);
}, N);
const sealUs = cpuUs(() => {
  for (let i = 0; i < N; i++) seal(head, body);
}, N);
const hmac = hmacHasher(Buffer.from('bench chain key, 32 bytes long..'));
const sealHmacUs = cpuUs(() => {
  for (let i = 0; i < N; i++) seal(head, body, hmac);
}, N);
console.log(
  `per record CPU: buildRecord ${build.toFixed(1)} µs, canonicalize ${canon.toFixed(1)} µs, seal ${sealUs.toFixed(1)} µs (SHA-256), ${sealHmacUs.toFixed(1)} µs (HMAC-SHA-256)`,
);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

for (const mode of ['async', 'written', 'durable'] as const) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-bench-'));
  const cfg = parseAuditConfig({
    mode,
    sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }],
    spool: { dir: join(dir, 'spool') },
  });
  const auditor = await createAuditor(cfg);
  // Commit latency: what one answer waits for, writers one at a time.
  const lat: number[] = [];
  const nLat = mode === 'durable' ? Math.min(N, 500) : Math.min(N, 5000);
  for (let i = 0; i < nLat; i++) {
    const t0 = process.hrtime.bigint();
    await auditor.record(input(i));
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await auditor.flush();
  const n = mode === 'durable' ? Math.min(N, 4000) : N;
  // Concurrency 32, like a loaded gateway: durable mode group-commits. Each loop yields to the
  // event loop between records, as requests do (async mode seals on the next turn).
  const t = process.cpuUsage();
  const w = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        await auditor.record(input(next++));
        await new Promise((r) => setImmediate(r));
      }
    }),
  );
  await auditor.flush();
  const d = process.cpuUsage(t);
  const wall = Number(process.hrtime.bigint() - w) / 1e6;
  const fsyncs = auditor.files[0].fsyncs;
  await auditor.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `${mode.padEnd(8)} ${((n / wall) * 1000).toFixed(0).padStart(7)} records/s, ${((d.user + d.system) / n).toFixed(1)} µs CPU/record (n=${n}, c=32, ${fsyncs} fdatasyncs); commit latency p50 ${pct(lat, 50).toFixed(3)} ms, p99 ${pct(lat, 99).toFixed(3)} ms (n=${nLat}, c=1)`,
  );
}
