// A stdio upstream whose command is missing (ENOENT), or whose child exits at once, is retried
// with exponential backoff (100 ms doubling): a handful of spawns and log lines in a window
// where a fixed 100 ms retry would make fifteen. Counts only, no timing assertions.

import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { buildConfig } from '../../src/config/index.ts';
import { Upstream } from '../../src/upstream/upstream.ts';

const WINDOW_MS = 1500;
let up: Upstream | undefined;
afterEach(async () => up?.close());

async function watch(upstream: Record<string, unknown>) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const cfg = buildConfig({ auth: { demo: true }, upstreams: [upstream] }, 'test');
  up = new Upstream(cfg.upstreams[0], pino({ level: 'warn' }, sink), { headers: () => ({}) });
  await up.start();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  return { lines, attempts: up.process!.attempts };
}

describe('stdio restart backoff', () => {
  it.each([
    { why: 'a missing command (ENOENT)', cfg: { command: '/nonexistent/warden-no-such-cmd' } },
    { why: 'a child that exits at once', cfg: { command: process.execPath, args: ['-e', '0'] } },
  ])('backs off after $why', async ({ cfg }) => {
    const { lines, attempts } = await watch({ name: 'gone', ...cfg });
    // 100, 200, 400, 800 ms: at most 5 spawns in 1.5 s (a fixed 100 ms retry: ~15).
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThan(7);
    const restarting = lines.filter((l) => l.msg === 'stdio upstream exited; restarting');
    expect(restarting.length).toBeLessThanOrEqual(attempts);
    // Each line says how long it waits, and the waits grow.
    const delays = restarting.map((l) => l.delay_ms as number);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(new Set(delays).size).toBe(delays.length);
    expect(up!.ready).toBe(false);
  });
});
