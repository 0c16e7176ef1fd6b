// OPA-format decision logs through the gateway: a tools/call decided by the compiled policy
// yields one event in a `format: opa` sink, carrying the policy input the gateway built (its
// arguments redacted), the result, the entrypoint and the evaluation time, under the decision
// id of the call's audit record. Requests the policy is not asked about yield none.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { startHarness, type Harness } from './harness.ts';
import { checkEvent } from '../audit/fixtures/opa-collector.ts';

let up: SdkUpstream;
let h: Harness;
const opaFile = join(mkdtempSync(join(tmpdir(), 'warden-dl-')), 'decisions.jsonl');

beforeAll(async () => {
  up = await startSdkUpstream({ json: true });
  h = await startHarness({
    upstreams: [{ name: 'api', url: up.url }],
    audit: { mode: 'sync', sinks: [{ type: 'file', path: opaFile, format: 'opa' }] },
  });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
});

const events = (): Array<Record<string, unknown>> =>
  existsSync(opaFile)
    ? readFileSync(opaFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe('decision logs through the gateway', () => {
  it('logs each policy decision in OPA format under the audit record’s decision id', async () => {
    const c = await h.client('/mcp', await h.token(['mcp:tools:call'], { sub: 'dl-alice' }));
    await c.callTool({ name: 'api.echo', arguments: { text: 'mail carol@example.org' } });
    await c.close();
    const rec = h.audit().find((r) => r.subject === 'dl-alice' && r.method === 'tools/call')!;
    expect(rec).toBeDefined();
    let ev: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !ev; i++) {
      ev = events().find((e) => e.decision_id === rec.decision_id);
      if (!ev) await new Promise((r) => setTimeout(r, 20));
    }
    expect(ev).toBeDefined();
    expect(checkEvent(ev!)).toEqual([]);
    expect(ev).toMatchObject({
      path: 'mcp/authz/decision',
      input: {
        method: 'tools/call',
        tool_name: 'api.echo',
        arguments: { text: 'mail [REDACTED:email]' },
        subject: { sub: 'dl-alice' },
      },
      result: { allow: true, reasons: [] },
      labels: { app: 'mcp-warden' },
    });
    expect((ev!.metrics as Record<string, number>).timer_rego_query_eval_ns).toBeGreaterThan(0);
    // Only decisions: the session's initialize and tools/list records have no event.
    const ids = new Set(events().map((e) => e.decision_id));
    const others = h.audit().filter((r) => r.subject === 'dl-alice' && r.method !== 'tools/call');
    expect(others.length).toBeGreaterThan(0);
    for (const r of others) expect(ids.has(r.decision_id)).toBe(false);
    expect(readFileSync(opaFile, 'utf8')).not.toContain('carol@example.org');
  });
});
