// Shared set-up for the gateway end-to-end tests: a gateway on 127.0.0.1:0 in front of real
// upstreams, the auth module's demo issuer for tokens, and the policy engine.
//
// POLICY: tests use the real WASM engine on policies/ when it can be built. Until the Rego
// compiler lands (src/rego), loading fails; the harness then uses `decideInTs` (the shipped
// rules' TypeScript twin in src/policy/input.ts, kept equal to the Rego by a differential test)
// and sets `compilerAvailable = false`. Tests that assert WASM-specific facts are marked
// `needsCompiler` and skipped in that case.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createDemoIssuer, type DemoIssuer } from '../../src/auth/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import { loadPolicyDecider, type PolicyDecider } from '../../src/gateway/policy-port.ts';
import { decideInTs } from '../../src/policy/input.ts';

let cached: Promise<{ policy: PolicyDecider; compiler: boolean }> | undefined;

export function testPolicy(): Promise<{ policy: PolicyDecider; compiler: boolean }> {
  cached ??= loadPolicyDecider('policies/', 'mcp/authz/decision').then(
    (policy) => ({ policy, compiler: true }),
    () => ({
      policy: { revision: 'ts-twin', decide: (input) => decideInTs(input) },
      compiler: false,
    }),
  );
  return cached;
}

export interface Harness {
  gw: Gateway;
  issuer: DemoIssuer;
  auditFile: string;
  compiler: boolean;
  token(
    scopes: string[],
    opts?: { route?: string; approved?: boolean; approvedAt?: number; sub?: string },
  ): Promise<string>;
  client(
    route: string,
    token: string,
    opts?: { sampling?: boolean; elicitation?: boolean },
  ): Promise<Client>;
  audit(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startHarness(doc: Record<string, unknown>): Promise<Harness> {
  const { policy, compiler } = await testPolicy();
  const issuer = await createDemoIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'warden-gw-'));
  const auditFile = join(dir, 'audit.jsonl');
  // `doc.audit` adds to the harness's file sink (mode, redaction, more sinks…).
  const { audit: auditExtra, ...rest } = doc as { audit?: Record<string, unknown> };
  const config = buildConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      auth: { demo: true },
      ...rest,
      audit: {
        ...auditExtra,
        sinks: [
          { type: 'file', path: auditFile },
          ...((auditExtra?.sinks as unknown[] | undefined) ?? []),
        ],
      },
    },
    'test',
  );
  const gw = await createGateway(config, {
    policy,
    demoIssuer: issuer,
    logger: pino({ level: 'silent' }),
  });
  await gw.listen();
  return {
    gw,
    issuer,
    auditFile,
    compiler,
    token: (scopes, o = {}) =>
      issuer.mint({
        sub: o.sub ?? 'alice',
        scopes,
        approved: o.approved,
        approvedAt: o.approvedAt,
        audience: `${gw.url}${o.route ?? '/mcp'}`,
      }),
    async client(route, token, o = {}) {
      const capabilities: Record<string, object> = {};
      if (o.sampling) capabilities.sampling = {};
      if (o.elicitation) capabilities.elicitation = {};
      const c = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
      await c.connect(
        new StreamableHTTPClientTransport(new URL(`${gw.url}${route}`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      return c;
    },
    audit() {
      try {
        return readFileSync(auditFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      } catch {
        return [];
      }
    },
    close: () => gw.close(),
  };
}

/** A raw JSON-RPC POST, for asserting exact statuses and headers. */
export async function rpc(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const data = /^data: (.*)$/m.exec(text);
    json = data ? JSON.parse(data[1]) : undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};

/** Opens a raw session: returns the session id and the protocol version header to send. */
export async function rawSession(
  url: string,
  token: string,
  version = '2025-06-18',
): Promise<Record<string, string>> {
  const init = { ...INIT, params: { ...INIT.params, protocolVersion: version } };
  const r = await rpc(url, init, { authorization: `Bearer ${token}` });
  if (r.status !== 200) throw new Error(`initialize failed: ${r.status} ${r.text}`);
  const h = {
    authorization: `Bearer ${token}`,
    'mcp-session-id': r.headers.get('mcp-session-id')!,
    'mcp-protocol-version': version,
  };
  await rpc(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
  return h;
}
