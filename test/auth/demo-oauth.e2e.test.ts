// The embedded demo as a discovering OAuth client meets it: 401 → RFC 9728 metadata → the demo
// issuer's RFC 8414 metadata → RFC 7591 registration → authorization code with PKCE (the
// consent is automatic on loopback) → a token for the RFC 8707 resource → tools. Run with the
// SDK client's own auth flow and with a real `mcp-remote` (npm), as a user would.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  UnauthorizedError,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { demoConfig } from '../../src/config/index.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import { startTicketsServer } from '../../demo/tickets-server.js';

let gw: Gateway;
let url: string;
let closeTickets: () => Promise<void>;

beforeAll(async () => {
  const tickets = await startTicketsServer({ port: 0 });
  closeTickets = tickets.close;
  gw = await createGateway(demoConfig({ ticketsUrl: tickets.url }), {
    logger: pino({ level: 'silent' }),
  });
  url = await gw.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await gw?.close();
  await closeTickets?.();
});

/** An MCP client's OAuth state, with a "browser" that follows the authorization redirect. */
class BrowserlessProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  code?: string;
  readonly redirectUrl = 'http://127.0.0.1:33418/callback';
  get clientMetadata() {
    return {
      client_name: 'warden-test',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation = () => this.client;
  saveClientInformation = (c: OAuthClientInformationMixed) => void (this.client = c);
  tokens = () => this.saved;
  saveTokens = (t: OAuthTokens) => void (this.saved = t);
  saveCodeVerifier = (v: string) => void (this.verifier = v);
  codeVerifier = () => this.verifier;
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const r = await fetch(authorizationUrl, { redirect: 'manual' });
    const back = new URL(r.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(this.redirectUrl);
    this.code = back.searchParams.get('code') ?? undefined;
  }
}

describe('the demo as an OAuth 2.1 authorization server', () => {
  it('advertises itself as a URL issuer with RFC 8414 metadata', async () => {
    const prm = await (await fetch(`${url}/.well-known/oauth-protected-resource/mcp`)).json();
    expect(prm.authorization_servers).toEqual([`${url}/demo`]);
    const meta = await (await fetch(`${url}/.well-known/oauth-authorization-server/demo`)).json();
    expect(meta).toMatchObject({
      issuer: `${url}/demo`,
      authorization_endpoint: `${url}/demo/authorize`,
      token_endpoint: `${url}/demo/token`,
      registration_endpoint: `${url}/demo/register`,
      code_challenge_methods_supported: ['S256'],
    });
  });

  it('signs an SDK client in by itself: discovery, registration, code + PKCE, resource', async () => {
    const provider = new BrowserlessProvider();
    const target = new URL(`${url}/mcp`);
    const first = new StreamableHTTPClientTransport(target, { authProvider: provider });
    const client = new Client({ name: 'oauth-test', version: '1.0.0' });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.client?.client_id).toBeTruthy();
    expect(provider.code).toBeTruthy();
    await first.finishAuth(provider.code!);
    // The code is single use: a replay is refused.
    const replay = await fetch(`${url}/demo/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: provider.code!,
        client_id: provider.client!.client_id,
        redirect_uri: provider.redirectUrl,
        code_verifier: provider.verifier,
      }),
    });
    expect(replay.status).toBe(400);
    expect((await replay.json()).error).toBe('invalid_grant');

    const again = new Client({ name: 'oauth-test', version: '1.0.0' });
    await again.connect(new StreamableHTTPClientTransport(target, { authProvider: provider }));
    const names = (await again.listTools()).tools.map((t) => t.name);
    expect(names).toContain('db.query');
    const r = await again.callTool({
      name: 'db.query',
      arguments: { sql: "SELECT * FROM customers WHERE plan = 'pro'" },
    });
    expect(r.isError).toBeFalsy();
    await again.close();
  });

  it('refuses a token request whose PKCE verifier does not match', async () => {
    const provider = new BrowserlessProvider();
    const t = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { authProvider: provider });
    await expect(new Client({ name: 'x', version: '1' }).connect(t)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const r = await fetch(`${url}/demo/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: provider.code!,
        client_id: provider.client!.client_id,
        redirect_uri: provider.redirectUrl,
        code_verifier: 'x'.repeat(43),
      }),
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toBe('invalid_grant');
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('mcp-remote against the demo', () => {
  it('connects on its own: it prints the authorization URL, the browser step is a redirect', async () => {
    const bin = join(process.cwd(), 'node_modules', 'mcp-remote', 'dist', 'proxy.js');
    const callbackPort = await freePort();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, `${url}/mcp`, String(callbackPort), '--host', '127.0.0.1'],
      env: {
        ...(process.env as Record<string, string>),
        MCP_REMOTE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'mcp-remote-')),
        // No browser here: `open` finds no xdg-open, and the test plays the browser.
        PATH: '/nonexistent',
      },
      stderr: 'pipe',
    });
    let log = '';
    let browsed = false;
    transport.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/demo\/authorize\?\S+)/.exec(log);
      if (m && !browsed) {
        browsed = true;
        void (async () => {
          const a = await fetch(m[1], { redirect: 'manual' });
          await fetch(a.headers.get('location')!); // the callback mcp-remote listens on
        })();
      }
    });
    const client = new Client({ name: 'via-mcp-remote', version: '1.0.0' });
    try {
      await client.connect(transport);
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('db.query');
      expect(browsed).toBe(true);
    } catch (e) {
      throw new Error(`mcp-remote failed: ${(e as Error).message}\n${log}`);
    } finally {
      await client.close();
    }
  }, 60_000);
});
