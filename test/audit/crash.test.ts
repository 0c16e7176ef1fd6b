// Durability: a process writing audit records in written or durable mode is killed with
// SIGKILL mid-run.
// Every record it acknowledged must be in the files and the chain must verify; a restarted
// writer repairs a torn tail (if any) and continues the same chain.
// (The gateway-level variant — kill -9 the gateway under 1,000 tools/calls — needs the
// gateway wired to this module; it belongs with the gateway's end-to-end tests.)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyFiles } from '../../src/audit/index.ts';
import { tempDir } from './helpers.ts';

const WRITER = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));

/** Runs the writer until `acks` acknowledgements arrived, then SIGKILLs it. */
function runAndKill(path: string, start: number, acks: number, mode: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', WRITER, path, String(start), mode];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let buf = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = /^ack (\d+)$/.exec(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (m) acked.push(Number(m[1]));
        if (acked.length === acks) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited ${code}: ${err}`));
    });
  });
}

const allRecords = (dir: string): { files: string[]; ids: Set<number> } => {
  const files = readdirSync(dir).map((f) => join(dir, f));
  const ids = new Set<number>();
  for (const f of files)
    for (const l of readFileSync(f, 'utf8').split('\n'))
      if (l.endsWith('}')) ids.add((JSON.parse(l) as { request_id: number }).request_id);
  return { files, ids };
};

describe.each(['written', 'durable'])('%s mode survives SIGKILL', (mode) => {
  it('keeps every acknowledged record, and the chain verifies', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.jsonl');
    const acked = await runAndKill(path, 0, 400, mode);
    expect(acked.length).toBeGreaterThanOrEqual(400);
    let { files, ids } = allRecords(dir);
    for (const id of acked) expect(ids.has(id)).toBe(true);
    expect(files.length).toBeGreaterThan(1); // rotation happened under load
    const first = await verifyFiles(files);
    // A torn last line is possible only for an unacknowledged record; anything else is a bug.
    if (!first.ok) expect(first.problem).toMatchObject({ kind: 'truncated' });

    // Restart: the tail is repaired and the chain continues.
    const more = await runAndKill(path, 100_000, 100, mode);
    ({ files, ids } = allRecords(dir));
    for (const id of [...acked, ...more]) expect(ids.has(id)).toBe(true);
    const second = await verifyFiles(files);
    if (!second.ok) expect(second.problem).toMatchObject({ kind: 'truncated', file: path });
    expect(second.records).toBeGreaterThanOrEqual(acked.length + more.length);
    expect(second.firstSeq).toBe(0);
  });
});
