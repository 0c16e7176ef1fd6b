// `policy.shadow`: a candidate policy evaluated beside the live one on every tools/call. It
// never decides (the live policy's answer reaches the client and the audit log unchanged);
// each disagreement is counted in warden_policy_shadow_disagreements_total{live,shadow} and
// logged. Real gateway, real SDK upstream, demo-issuer tokens, the shipped policies/ as live.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoIssuer, type DemoIssuer } from '../../src/auth/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc } from './harness.ts';

// The candidate denies echo (which the live policy allows) and unknown tools (as the live one).
const CANDIDATE = `package mcp.authz

default decision := {"allow": false, "reasons": ["no such tool"]}

decision := {"allow": false, "reasons": ["echo is retired"]} if input.tool.name == "api.echo"
`;

let up: SdkUpstream;
let gw: Gateway;
let issuer: DemoIssuer;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  up = await startSdkUpstream({ json: true });
  issuer = await createDemoIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'warden-shadow-'));
  mkdirSync(join(dir, 'candidate'));
  writeFileSync(join(dir, 'candidate', 'authz.rego'), CANDIDATE);
  const config = buildConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      auth: { demo: true },
      policy: { path: 'policies/', shadow: join(dir, 'candidate') },
      upstreams: [{ name: 'api', url: up.url }],
      audit: { sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] },
    },
    'test',
  );
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(l));
      done();
    },
  });
  gw = await createGateway(config, { demoIssuer: issuer, logger: pino({ level: 'info' }, sink) });
  await gw.listen();
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const call = (id: number, name: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: { text: 'hi' } },
});

async function shadowCount(live: string, shadow: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const re = new RegExp(
    `^warden_policy_shadow_disagreements_total\\{live="${live}",shadow="${shadow}"\\} (\\d+)$`,
    'm',
  );
  return Number(re.exec(text)?.[1] ?? 0);
}

describe('policy.shadow', () => {
  it('counts and logs a disagreement and leaves the live decision in force', async () => {
    const url = `${gw.url}/mcp`;
    const token = await issuer.mint({
      sub: 'alice',
      scopes: ['mcp:tools:call'],
      audience: url,
    });
    const s = await rawSession(url, token);
    const before = await shadowCount('allow', 'deny');
    const r = await rpc(url, call(1, 'api.echo'), s);
    // the live policy allows echo: the call ran, whatever the candidate says
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.json.result)).toContain('hi');
    // the candidate agrees on a call both deny (unknown tool): nothing is counted for it
    expect((await rpc(url, call(2, 'api.nope'), s)).json.error).toBeDefined();
    // the candidate runs after the answer, in a later turn of the event loop
    for (let i = 0; i < 100 && (await shadowCount('allow', 'deny')) === before; i++) {
      await new Promise((ok) => setImmediate(ok));
    }
    expect(await shadowCount('allow', 'deny')).toBe(before + 1);
    expect(await shadowCount('deny', 'allow')).toBe(0);
    const logged = logLines.find((l) => l.msg === 'shadow policy disagrees');
    expect(logged).toMatchObject({
      shadow: { live: 'allow', candidate: 'deny', reasons: ['echo is retired'] },
      upstream: 'api',
      tool: 'api.echo',
      subject: 'alice',
    });
  });
});
