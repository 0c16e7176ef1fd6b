// Child processes of the conformance harness: each runs in its own process group (so the
// grandchildren npm, tsx or the suite may start go with it), is bounded in time, and is killed
// when the harness exits for any reason, including Ctrl-C.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // negative pid: the whole group (detached: true)
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) killGroup(c, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(sig, () => {
      for (const c of live) killGroup(c, 'SIGTERM');
      process.exit(130);
    });
}

/** Spawns `cmd` detached in a new process group, tracked for cleanup at exit. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  hookExit();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves with the exit code (signal → 128+n style code 1) once the child has exited. */
export function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(1);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code ?? 1));
    child.once('error', () => resolve(1));
  });
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the child is gone. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** Runs to completion; kills the group and resolves with `timedOut` after `timeoutMs`. */
export async function runBounded(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number; timedOut: boolean }> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stop(child, 2000);
  }, timeoutMs);
  const code = await exited(child);
  clearTimeout(timer);
  return { code: timedOut ? 124 : code, timedOut };
}

/** Calls `onLine` for every complete line the stream emits. */
export function eachLine(stream: NodeJS.ReadableStream | null, onLine: (l: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
  });
}

/**
 * Waits for a stdout line matching `re` (e.g. `listening on …`). Rejects if the child exits
 * first or after `timeoutMs`, with the last lines of its stderr to say why.
 */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<string[]> {
  const tail: string[] = [];
  eachLine(child.stderr, (l) => {
    tail.push(l);
    if (tail.length > 20) tail.shift();
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${why}${tail.length ? `; stderr:\n  ${tail.join('\n  ')}` : ''}`));
    };
    const timer = setTimeout(
      () => fail(`no line matching ${re} within ${timeoutMs} ms`),
      timeoutMs,
    );
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before ready`));
    child.once('error', (e) => fail(`could not start: ${e.message}`));
    eachLine(child.stdout, (l) => {
      const m = re.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve([...m]);
      }
    });
  });
}
