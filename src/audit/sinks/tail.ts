// Where a JSONL audit file's chain ends: the last complete line's seq and hash. A line without
// its "\n" is a write cut off by a crash; it was never acknowledged (the record is only
// acknowledged after the whole line is written and synced), so it is cut away before appending,
// or the next record would be glued onto it.
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ChainHead } from '../canonical.ts';

const CHUNK = 64 * 1024;

export async function readLastRecord(path: string, logger?: Logger): Promise<ChainHead | null> {
  let fh;
  try {
    fh = await open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    let size = (await fh.stat()).size;
    if (size === 0) return null;
    // Scan backwards for the last "\n"; everything after it is a torn tail.
    const end = await lastNewline(fh, size);
    if (end < size - 1) {
      logger?.warn(
        { file: path, bytes: size - end - 1 },
        'audit file ended in a partial record; removing it',
      );
      await fh.truncate(end + 1);
      await fh.datasync();
      size = end + 1;
    }
    if (end < 0) return null;
    const start = (await lastNewline(fh, end)) + 1;
    const buf = Buffer.alloc(end - start);
    await fh.read(buf, 0, buf.length, start);
    const rec = JSON.parse(buf.toString('utf8')) as { seq?: unknown; hash?: unknown };
    if (typeof rec.seq !== 'number' || typeof rec.hash !== 'string') return null;
    return { seq: rec.seq + 1, prev: rec.hash };
  } finally {
    await fh.close();
  }
}

/** Offset of the last "\n" strictly before `before`, or -1. */
async function lastNewline(
  fh: import('node:fs/promises').FileHandle,
  before: number,
): Promise<number> {
  let pos = before;
  const buf = Buffer.alloc(CHUNK);
  while (pos > 0) {
    const from = Math.max(0, pos - CHUNK);
    const { bytesRead } = await fh.read(buf, 0, pos - from, from);
    const i = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (i >= 0) return from + i;
    pos = from;
  }
  return -1;
}
