// Audit per-record cost: build + redact + seal (canonical JSON, SHA-256 chain) + file sink, for a
// typical tools/call record, in async and sync mode. Reports µs of CPU per record.
//   npx tsx bench/audit/run.ts [--n N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAuditor } from '../../src/audit/auditor.ts';
import { parseAuditConfig } from '../../src/audit/config.ts';
import type { AuditInput } from '../../src/audit/record.ts';
import { canonicalize, seal, GENESIS } from '../../src/audit/canonical.ts';
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
console.log(
  `per record CPU: buildRecord ${build.toFixed(1)} µs, canonicalize ${canon.toFixed(1)} µs, seal ${sealUs.toFixed(1)} µs`,
);

for (const mode of ['async', 'sync'] as const) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-bench-'));
  const cfg = parseAuditConfig({
    mode,
    sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }],
    spool: { dir: join(dir, 'spool') },
  });
  const auditor = await createAuditor(cfg);
  const n = mode === 'sync' ? Math.min(N, 2000) : N;
  // Concurrency 32, like a loaded gateway: sync mode group-commits. Each loop yields to the
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
  await auditor.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `${mode}: ${((d.user + d.system) / n).toFixed(1)} µs CPU/record, ${((n / wall) * 1000).toFixed(0)} records/s (n=${n})`,
  );
}
