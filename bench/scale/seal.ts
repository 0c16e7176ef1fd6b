// Issue #8 bar: the cost of sealing and opening a session id (goal ≤ 20 µs each). Measured on
// a realistic state (two upstream sessions, client capabilities), one op at a time with
// process.hrtime.bigint() around each call, after a warm-up that lets V8 optimise both paths.

import { randomBytes } from 'node:crypto';
import { createSessionSealer, sessionSubject, type SessionState } from '../../src/session/seal.ts';

export interface OpStats {
  op: string;
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function time(op: string, n: number, fn: (i: number) => unknown): OpStats {
  const us: number[] = new Array(n);
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = fn(i);
    us[i] = Number(process.hrtime.bigint() - t) / 1e3;
    if (r) sink++;
  }
  if (sink !== n) throw new Error(`${op}: ${n - sink} of ${n} ops failed`);
  const mean = us.reduce((a, b) => a + b, 0) / n;
  us.sort((a, b) => a - b);
  return { op, n, p50: pct(us, 50), p99: pct(us, 99), mean };
}

/** Seal and open `n` ids (after `warm` of each); returns the stats and the id length. */
export function benchSeal(n = 20_000, warm = 5_000): { stats: OpStats[]; idLength: number } {
  // Two keys: a rotation in progress, so open may have to look past the first key id.
  const sealer = createSessionSealer({
    keys: [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')],
    ttlS: 3600,
  });
  const sub = sessionSubject({ issuer: 'https://idp.example.com', sub: 'alice@example.com' });
  const state: SessionState = {
    sub,
    upstreamSessions: { api: crypto.randomUUID(), events: crypto.randomUUID() },
    protocolVersion: '2025-06-18',
    clientCapabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
    createdAt: Date.now(),
  };
  const ids = Array.from({ length: n }, () => sealer.seal(state));
  for (let i = 0; i < warm; i++) sealer.open(sealer.seal(state), sub);
  const seal = time('seal', n, () => sealer.seal(state));
  const open = time('open', n, (i) => sealer.open(ids[i], sub));
  // The rejection path runs on every forged or foreign id: it must not be the slow one.
  const other = time('open (other subject → null)', n, (i) => sealer.open(ids[i], 'x') === null);
  return { stats: [seal, open, other], idLength: ids[0].length };
}
