// `warden serve` with no config: the embedded demo, driven like the README does — a token
// from the demo issuer, the real SDK client, then SIGTERM and a clean exit.
// NEEDS THE REGO COMPILER: serve loads policies/ through the WASM engine (no fallback).

import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const BIN = new URL('../../bin/warden.js', import.meta.url).pathname;
let child: ChildProcess | undefined;
afterAll(() => void child?.kill('SIGKILL'));

async function demoToken(base: string, scope: string, approved = false): Promise<string> {
  const body = new URLSearchParams({
    resource: `${base}/mcp`,
    scope,
    ...(approved ? { approved: 'true' } : {}),
  });
  const r = await fetch(`${base}/demo/token`, { method: 'POST', body });
  return ((await r.json()) as { access_token: string }).access_token;
}

describe('warden serve (embedded demo)', () => {
  it('prints its URL and serves both demo upstreams to a real client', async () => {
    // An empty working directory: no ./warden.yaml, so the embedded demo starts.
    child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd: mkdtempSync(join(tmpdir(), 'warden-serve-')),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const base = await new Promise<string>((ok, fail) => {
      child!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) ok(m[1]);
      });
      child!.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain('/demo/token');

    const token = await demoToken(
      base,
      'postgres:query:readonly jira:read jira:write approved:by:human',
      true,
    );
    const c = new Client({ name: 'readme', version: '1' });
    await c.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const names = (await c.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['db.query', 'tickets.create_ticket', 'tickets.list_tickets']);
    const q = await c.callTool({
      name: 'db.query',
      arguments: { sql: "SELECT * FROM customers WHERE plan = 'pro'" },
    });
    expect(JSON.stringify(q.structuredContent)).toContain('Ada Lovelace');
    const t = await c.callTool({
      name: 'tickets.create_ticket',
      arguments: { title: 'from the test' },
    });
    expect(t.content).toEqual([{ type: 'text', text: 'created T-1' }]);
    await c.close();

    // A token is bound to its route (RFC 8707 audience).
    const ro = await demoToken(base, 'postgres:query:readonly');
    const r = await fetch(`${base}/u/tickets/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ro}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{}',
    });
    expect(r.status).toBe(401); // token audience is /mcp, not the drop-in route

    const exit = new Promise<number | null>((ok) => child!.on('exit', (code) => ok(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    child = undefined;
  }, 90_000);

  it('exits 2 with a one-line error for a bad config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-serve-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'warden.yaml'), 'listen: { port: "x" }\n');
    const p = spawn(process.execPath, [BIN, 'serve'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((ok) => p.on('exit', ok));
    expect(code).toBe(2);
    expect(err.trim()).toBe('warden.yaml:1:11: listen.port: expected an integer, got string');
  }, 60_000);

  it('checks the auth section before binding: exit 2, one line, even with the port taken', async () => {
    // The port is held by the test: had serve bound before checking, it would report the port.
    await withHeldPort(async (port) => {
      const r = await serve(
        `listen: { host: 127.0.0.1, port: ${port} }\nauth:\n  issuer: https://login.example.com\n`,
      );
      expect(r.code).toBe(2);
      expect(r.err.trimEnd().split('\n')).toEqual([
        'warden.yaml:2:1: auth.jwks_uri: either auth.jwks_uri or auth.introspection must be set',
      ]);
      expect(r.out).not.toContain('listening');
    });
  }, 60_000);

  it('reports a port in use as exit 2 and one line naming the key or the flag', async () => {
    await withHeldPort(async (port) => {
      const yaml = `listen:\n  host: 127.0.0.1\n  port: ${port}\nauth: { demo: true }\npolicy: { path: ${POLICIES} }\naudit: { sinks: [] }\n`;
      let r = await serve(yaml);
      expect(r.code).toBe(2);
      expect(r.err.trimEnd().split('\n')).toEqual([
        `warden.yaml:3:3: listen.port: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`,
      ]);
      r = await serve(yaml, ['--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.err.trim()).toBe(
        `--port: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`,
      );
    });
  }, 90_000);

  it('reports an address this host does not have as exit 2, one line', async () => {
    const yaml = `listen: { host: 192.0.2.1, port: 0 }\nauth: { demo: true }\npolicy: { path: ${POLICIES} }\naudit: { sinks: [] }\n`;
    const r = await serve(yaml);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(
      'warden.yaml:1:11: listen.host: cannot listen on 192.0.2.1:0: address not available on this host (EADDRNOTAVAIL)',
    );
  }, 60_000);
});

const POLICIES = new URL('../../policies/', import.meta.url).pathname;

/** Runs `warden serve` in a fresh directory holding `yaml` as ./warden.yaml, to its exit. */
async function serve(yaml: string, args: string[] = []) {
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'warden-serve-'));
  writeFileSync(join(dir, 'warden.yaml'), yaml);
  const p = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((ok) => p.on('exit', ok));
  return { code, out, err };
}

async function withHeldPort(f: (port: number) => Promise<void>): Promise<void> {
  const { createServer } = await import('node:net');
  const held = createServer();
  await new Promise<void>((ok) => held.listen(0, '127.0.0.1', ok));
  try {
    await f((held.address() as { port: number }).port);
  } finally {
    await new Promise<void>((ok) => held.close(() => ok()));
  }
}
