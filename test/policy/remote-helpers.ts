// A real OPA-style bundle server on 127.0.0.1:0 for the remote policy tests: serves whatever
// bundle it holds with a strong ETag and answers a matching If-None-Match with 304, as OPA's
// bundle service API describes (https://www.openpolicyagent.org/docs/management-bundles).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileDir, writeBundle, type PolicyArtifact } from '../../src/policy/bundle.ts';

export const POLICY = `package mcp.authz

default allow := false

allow if data.config.open == true

decision := {"allow": allow, "reasons": [], "tag": data.config.tag}
`;

let base: PolicyArtifact | undefined;

/** Compiles POLICY once; each bundle differs only in its data (and so its revision). */
export async function bundleFor(tag: string, open = true): Promise<Buffer> {
  if (!base) {
    const dir = await mkdtemp(path.join(tmpdir(), 'warden-remote-'));
    await writeFile(path.join(dir, 'authz.rego'), POLICY);
    base = await compileDir(dir);
    await rm(dir, { recursive: true, force: true });
  }
  const revision = `rev-${tag}`;
  return writeBundle({
    ...base,
    data: { config: { open, tag } },
    revision,
    manifest: { ...base.manifest, revision },
  });
}

export interface BundleServer {
  url: string;
  body: Buffer | null;
  /** Status to answer instead of the bundle (e.g. 500); null for normal service. */
  fail: number | null;
  /** Hold every request without answering (timeouts). */
  hang: boolean;
  log: { status: number; ifNoneMatch?: string }[];
  close(): Promise<void>;
}

export async function startBundleServer(initial: Buffer | null): Promise<BundleServer> {
  const held: http.ServerResponse[] = [];
  const state: BundleServer = {
    url: '',
    body: initial,
    fail: null,
    hang: false,
    log: [],
    close: async () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
  const server = http.createServer((req, res) => {
    const inm = req.headers['if-none-match'];
    const answer = (status: number, headers: Record<string, string> = {}, body?: Buffer) => {
      state.log.push({ status, ...(inm ? { ifNoneMatch: inm } : {}) });
      res.writeHead(status, headers).end(body);
    };
    if (state.hang) return void held.push(res);
    if (state.fail !== null) return answer(state.fail, {}, Buffer.from('nope'));
    if (!state.body) return answer(404);
    const etag = `"${createHash('sha256').update(state.body).digest('hex').slice(0, 16)}"`;
    if (inm === etag) return answer(304, { etag });
    answer(200, { etag, 'content-type': 'application/gzip' }, state.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundles/mcp.tar.gz`;
  return state;
}

/** Collects what the remote policy logs, pino-style. */
export function captureLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}
