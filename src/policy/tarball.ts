// OPA bundles are gzipped tar archives (ustar). Reading is hardened, since a bundle may come
// from a URL: no traversal, no links, bounded sizes, gzip bombs stopped by maxOutputLength.
// Writing uses fixed headers so the same files always give the same bytes (content-hash
// revisions and signatures depend on that).
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header, Parser, type ReadEntry } from 'tar';
import { PolicyErrorCode as Code, policyUserError } from './errors.ts';

/** Limits on what a tarball may unpack to: a bundle is untrusted input (it may come from a
 *  URL), so a gzip bomb or a huge entry must fail before it exhausts memory. */
export const BUNDLE_LIMITS = { maxEntryBytes: 64 << 20, maxTotalBytes: 256 << 20 };

/** Unpacks a .tar.gz into {path: bytes}, rejecting traversal, links and oversized entries. */
export async function unpackTarball(buf: Uint8Array, where: string): Promise<Map<string, Buffer>> {
  const bad = (msg: string) => policyUserError(Code.BUNDLE_INVALID, msg, { where });
  let raw: Buffer;
  try {
    // maxOutputLength turns a gzip bomb into an error instead of an allocation.
    raw = gunzipSync(buf, { maxOutputLength: BUNDLE_LIMITS.maxTotalBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw bad(`bundle expands beyond ${BUNDLE_LIMITS.maxTotalBytes} bytes`);
    }
    throw bad(`not a gzip-compressed tarball: ${(e as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  let failure: Error | undefined;
  await new Promise<void>((resolve) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const name = normalizeEntryPath(entry.path);
        if (failure) return entry.resume();
        if (name === null) failure = bad(`unsafe path in bundle: ${JSON.stringify(entry.path)}`);
        else if (entry.type === 'Directory') return entry.resume();
        else if (!['File', 'OldFile', 'ContiguousFile'].includes(entry.type)) {
          failure = bad(`unsupported ${entry.type} entry in bundle: ${name}`);
        } else if ((entry.size ?? 0) > BUNDLE_LIMITS.maxEntryBytes) {
          failure = bad(`bundle entry ${name} exceeds ${BUNDLE_LIMITS.maxEntryBytes} bytes`);
        } else if (files.has(name)) failure = bad(`duplicate entry in bundle: ${name}`);
        if (failure) return entry.resume();
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => files.set(name as string, Buffer.concat(chunks)));
      },
    });
    parser.on('error', (e: Error) => {
      failure ??= bad(`corrupt tarball: ${e.message}`);
      resolve();
    });
    parser.on('warn', (_code: string, msg: string | Error) => {
      failure ??= bad(`corrupt tarball: ${typeof msg === 'string' ? msg : msg.message}`);
    });
    parser.on('end', () => resolve());
    parser.on('close', () => resolve());
    parser.end(raw);
  });
  if (failure) throw failure;
  return files;
}

/** "/a/b/data.json" and "./a/b/data.json" → "a/b/data.json"; null for anything escaping the
 *  bundle root (".." segments, drive letters, backslashes). */
export function normalizeEntryPath(p: string): string | null {
  if (p.includes('\\') || p.includes('\0') || /^[A-Za-z]:/.test(p)) return null;
  const segs = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.some((s) => s === '..')) return null;
  return segs.join('/');
}

/** Writes a ustar archive of `entries`, gzipped, with fixed headers (reproducible bytes). */
export function packTarball(entries: [string, Uint8Array][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, body] of entries) {
    const header = new Header({
      path: name,
      mode: 0o644,
      size: body.byteLength,
      mtime: new Date(0),
      type: 'File',
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, Buffer.from(body), Buffer.alloc((512 - (body.byteLength % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024)); // two zero blocks end the archive (POSIX ustar)
  return gzipSync(Buffer.concat(blocks));
}
