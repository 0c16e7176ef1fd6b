// Start-up cost of `warden serve` on the embedded demo, tsx (development) vs the compiled
// dist/ (production), in one run: time from spawn to the `listening on` line, and the resident
// memory of the gateway process tree (the gateway, tsx's esbuild service when there is one;
// the demo's stdio `db` child is the upstream's, not the gateway's, and is left out) after it
// has been idle for a moment. Also the time of a short CLI command (`warden policy eval` of
// the shipped policy), which every operator script pays.
// Method: ROUNDS interleaved rounds (tsx, compiled, tsx, …) so that drift of a shared machine
// hits both alike; the median of each, and the ratio. Goal: compiled ≤ 1 s to listening,
// ≤ 90 MB idle RSS, CLI ≤ 300 ms.
// Usage: npx tsx bench/startup/run.ts [--rounds 5] [--idle-ms 2000]

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: { rounds: { type: 'string' }, 'idle-ms': { type: 'string' } },
});
const ROUNDS = Number(values.rounds ?? 5);
const IDLE_MS = Number(values['idle-ms'] ?? 2000);
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

const MODES = {
  tsx: { serve: [TSX, 'src/cli/main.ts'], label: 'tsx src/cli/main.ts' },
  compiled: { serve: ['bin/warden.js'], label: 'node bin/warden.js (dist/)' },
} as const;
type Mode = keyof typeof MODES;

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The pids of a process's tree, with each one's command line. */
function tree(pid: number): Array<{ pid: number; cmd: string }> {
  const out = [{ pid, cmd: '' }];
  for (let i = 0; i < out.length; i++) {
    let kids: string[] = [];
    try {
      kids = readFileSync(`/proc/${out[i].pid}/task/${out[i].pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean);
    } catch {
      /* gone */
    }
    for (const k of kids) {
      const cmd = readFileSync(`/proc/${k}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(k), cmd });
    }
  }
  return out;
}

async function serveOnce(mode: Mode): Promise<{ ms: number; rssMb: number }> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...MODES[mode].serve, 'serve', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const ms = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (!out.includes('listening on ')) return;
      child.stdout!.removeAllListeners('data');
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
    child.once('exit', (code) => reject(new Error(`${mode}: exited ${code} before listening`)));
  });
  child.stdout!.resume();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  // The gateway and its own helpers (tsx's esbuild); not the demo's db upstream child.
  const procs = tree(child.pid!).filter((p) => !p.cmd.includes('demo/db-server'));
  const rssMb = procs.reduce((a, p) => a + rssKb(p.pid), 0) / 1024;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rssMb };
}

function cliOnce(mode: Mode): number {
  const t0 = process.hrtime.bigint();
  execFileSync(
    process.execPath,
    [...MODES[mode].serve, 'policy', 'eval', 'policies', '--input', '-'],
    { cwd: ROOT, input: '{"method":"tools/call"}', stdio: ['pipe', 'ignore', 'ignore'] },
  );
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  const res: Record<Mode, { ms: number[]; rss: number[]; cli: number[] }> = {
    tsx: { ms: [], rss: [], cli: [] },
    compiled: { ms: [], rss: [], cli: [] },
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of Object.keys(MODES) as Mode[]) {
      const s = await serveOnce(mode);
      res[mode].ms.push(s.ms);
      res[mode].rss.push(s.rssMb);
      res[mode].cli.push(cliOnce(mode));
    }
    process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`);
  }
  const m = (mode: Mode) => ({
    ms: median(res[mode].ms),
    rss: median(res[mode].rss),
    cli: median(res[mode].cli),
  });
  const t = m('tsx');
  const c = m('compiled');
  console.log(
    `startup of the embedded demo, ${ROUNDS} interleaved rounds, medians; ${cpus().length}× ${cpus()[0]?.model}, Node ${process.version}`,
  );
  console.log('mode                          to listening   idle RSS   policy eval (CLI)');
  for (const [mode, v] of [
    ['tsx', t],
    ['compiled', c],
  ] as const)
    console.log(
      `${MODES[mode].label.padEnd(30)}${`${v.ms.toFixed(0)} ms`.padStart(12)}${`${v.rss.toFixed(0)} MB`.padStart(11)}${`${v.cli.toFixed(0)} ms`.padStart(20)}`,
    );
  console.log(
    `compiled / tsx: ${(c.ms / t.ms).toFixed(2)}× time, ${(c.rss / t.rss).toFixed(2)}× memory, ${(c.cli / t.cli).toFixed(2)}× CLI`,
  );
  console.log(
    `goals (compiled): ≤ 1000 ms ${c.ms <= 1000 ? 'met' : 'NOT met'}, ≤ 90 MB ${c.rss <= 90 ? 'met' : 'NOT met'}, CLI ≤ 300 ms ${c.cli <= 300 ? 'met' : 'NOT met'}`,
  );
}

await main();
