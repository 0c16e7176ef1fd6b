// A local policy directory is hot-reloaded: a change to a .rego or data.json file is compiled
// and swapped in (the revision follows in /readyz and the decisions), a change that does not
// compile is refused with the running policy kept, and rewriting the same content is a no-op.
// NEEDS THE REGO COMPILER (real WASM engine on a temporary directory).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadPolicyDecider } from '../../src/gateway/policy-port.ts';
import { watchLocalPolicy } from '../../src/gateway/policy-watch.ts';

const REGO = `package mcp.authz

default decision := {"allow": false, "reasons": ["closed"]}

decision := {"allow": true, "reasons": []} if input.user == data.admin
`;

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
}

describe('policy directory watch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-policy-watch-'));
  let close = () => {};
  afterAll(() => close());

  it('swaps in a changed policy, keeps the running one on a compile error, skips same content', async () => {
    writeFileSync(join(dir, 'authz.rego'), REGO);
    writeFileSync(join(dir, 'data.json'), '{"admin": "ada"}');
    const p = { path: dir, entrypoint: 'mcp/authz/decision' };
    const results: string[] = [];
    const src = watchLocalPolicy(
      { decider: await loadPolicyDecider(dir, p.entrypoint), key: 'k', close() {} },
      p,
      { log: pino({ level: 'silent' }), reloaded: (r) => results.push(r), debounceMs: 50 },
    );
    close = () => src.close();
    const decide = (user: string) => src.decider.decide({ user } as never);
    const r1 = src.decider.revision;
    expect(decide('ada').allow).toBe(true);

    writeFileSync(join(dir, 'data.json'), '{"admin": "bob"}');
    await until(() => src.decider.revision !== r1);
    const r2 = src.decider.revision;
    expect(r2).not.toBe(r1);
    expect(decide('ada').allow).toBe(false);
    expect(decide('bob')).toMatchObject({ allow: true, revision: r2 });

    writeFileSync(join(dir, 'authz.rego'), 'package mcp.authz\n\ndecision := {\n');
    await until(() => results.length === 2);
    expect(results).toEqual(['applied', 'rejected']);
    expect(src.decider.revision).toBe(r2);
    expect(decide('bob').allow).toBe(true);

    // Back to a good file, then the same bytes again: one more swap, then nothing.
    writeFileSync(join(dir, 'authz.rego'), REGO);
    await until(() => results.length === 3);
    writeFileSync(join(dir, 'authz.rego'), REGO);
    await src.refresh();
    expect(results).toEqual(['applied', 'rejected', 'applied']);
  }, 60_000);

  it('reloads a v0 policy (policy.rego_version: v0) as v0', async () => {
    const v0 = mkdtempSync(join(tmpdir(), 'warden-policy-watch-v0-'));
    const rule = (who: string) =>
      `package mcp.authz\ndefault decision = {"allow": false, "reasons": ["closed"]}\n` +
      `decision = {"allow": true, "reasons": []} { input.user == "${who}" }\n`;
    writeFileSync(join(v0, 'authz.rego'), rule('ada'));
    const p = { path: v0, entrypoint: 'mcp/authz/decision', rego_version: 'v0' as const };
    const results: string[] = [];
    const first = await loadPolicyDecider(v0, p.entrypoint, { regoVersion: 'v0' });
    const src = watchLocalPolicy({ decider: first, key: 'k', close() {} }, p, {
      log: pino({ level: 'silent' }),
      reloaded: (r) => results.push(r),
      debounceMs: 60_000,
    });
    try {
      writeFileSync(join(v0, 'authz.rego'), rule('bob'));
      await src.refresh();
      expect(results).toEqual(['applied']);
      expect(src.decider.decide({ user: 'bob' } as never).allow).toBe(true);
    } finally {
      src.close();
    }
  }, 60_000);
});
