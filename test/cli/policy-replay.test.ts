// `warden policy replay` (PRODUCT.md "Command line"): audit records written by the audit
// module's own record builder and OPA decision-log lines are re-decided by a candidate
// policy; only changed decisions are printed, redacted arguments are flagged, and the last
// line counts them.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecord, type AuditInput } from '../../src/audit/record.ts';
import { buildRedactor } from '../../src/audit/index.ts';
import { cli, fixture, removeFixtures } from './helpers.ts';

// The candidate: the tool `db.drop` is now denied to everyone, `db.read` allowed to all.
const CANDIDATE = `package mcp.authz

default decision := {"allow": false, "reasons": ["denied by candidate"]}

decision := {"allow": true, "reasons": []} if input.tool_name == "db.read"

decision := {"allow": false, "reasons": ["drop is forbidden"]} if input.tool_name == "db.drop"

decision := {"allow": true, "reasons": []} if {
	input.tool_name == "db.query"
	not contains(input.arguments.sql, "DELETE")
}
`;

function record(over: Partial<AuditInput>): string {
  const base: AuditInput = {
    time: '2026-12-01T10:00:00.000Z',
    request_id: 1,
    subject: 'alice',
    client: 'cli',
    route: '/mcp',
    upstream: 'db',
    method: 'tools/call',
    tool: 'db.read',
    decision: 'allow',
    reasons: [],
    outcome: 'ok',
    status: 200,
    duration_ms: 1,
    arguments: {},
    policy_revision: 'r1',
  };
  return JSON.stringify(buildRecord({ ...base, ...over }, buildRedactor(), false));
}

let dir: string;
let audit: string;
let opaLog: string;
beforeAll(async () => {
  dir = await fixture({ 'mcp/authz.rego': CANDIDATE });
  audit = path.join(dir, 'audit.jsonl');
  await writeFile(
    audit,
    [
      record({
        request_id: 1,
        tool: 'db.read',
        decision: 'deny',
        reasons: ['missing scope: db:read'],
      }),
      record({ request_id: 2, tool: 'db.drop', decision: 'allow', subject: 'bob' }),
      record({ request_id: 3, tool: 'db.read', decision: 'allow' }),
      // a password argument: the record holds [REDACTED:password]
      record({
        request_id: 4,
        tool: 'db.query',
        decision: 'deny',
        reasons: ['x'],
        arguments: { sql: 'SELECT 1', password: 'hunter2' },
      }),
      record({ request_id: 5, method: 'tools/list', tool: null, decision: 'allow' }),
      record({ request_id: 6, tool: 'db.read', decision: 'none', outcome: 'error' }),
    ].join('\n') + '\n',
  );
  opaLog = path.join(dir, 'decisions.jsonl');
  const line = (id: string, input: object, result: object) =>
    JSON.stringify({
      decision_id: id,
      path: 'mcp/authz/decision',
      input,
      result,
      timestamp: '2026-12-01T10:00:00Z',
      labels: {},
    });
  await writeFile(
    opaLog,
    [
      line(
        'd1',
        { method: 'tools/call', tool_name: 'db.drop', subject: { sub: 'carol' }, arguments: {} },
        { allow: true, reasons: [] },
      ),
      line(
        'd2',
        {
          method: 'tools/call',
          tool_name: 'db.query',
          subject: { sub: 'carol' },
          arguments: { sql: 'DELETE FROM t' },
        },
        { allow: true, reasons: [] },
      ),
      line(
        'd3',
        { method: 'tools/call', tool_name: 'db.read', subject: { sub: 'carol' }, arguments: {} },
        { allow: true, reasons: [] },
      ),
    ].join('\n') + '\n',
  );
});
afterAll(removeFixtures);

describe('policy replay', () => {
  it('prints each changed decision of an audit log and the summary line', async () => {
    const run = await cli(['policy', 'replay', dir, '--log', audit]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RECORD\s+SUBJECT\s+TOOL\s+BEFORE → AFTER\s+REASONS$/);
    expect(lines.find((l) => l.includes('db.read'))).toMatch(/alice\s+db\.read\s+deny → allow/);
    expect(lines.find((l) => l.includes('db.drop'))).toMatch(
      /bob\s+db\.drop\s+allow → deny\s+drop is forbidden/,
    );
    // the redacted call is flagged: the candidate decided on "[REDACTED:password]"
    expect(lines.find((l) => l.includes('db.query'))).toMatch(
      /deny → allow\s+\[redacted arguments\]/,
    );
    expect(run.stdout).toMatch(/^1 of the replayed calls had redacted arguments/m);
    // records 3 (unchanged), 5 (not a call) and 6 (not decided) do not appear
    expect(lines.pop()).toBe('4 replayed, 3 changed (1 newly denied, 2 newly allowed)');
  });

  it('--fail-on-change exits 1; --format json lists the changes', async () => {
    expect((await cli(['policy', 'replay', dir, '--log', audit, '--fail-on-change'])).code).toBe(1);
    const run = await cli(['policy', 'replay', dir, '--log', opaLog, '--format', 'json']);
    const lastLine = run.stdout.trimEnd().split('\n').pop();
    expect(lastLine).toBe('3 replayed, 2 changed (2 newly denied, 0 newly allowed)');
    const json = JSON.parse(run.stdout.slice(0, run.stdout.lastIndexOf('}') + 1));
    expect(
      json.changes.map((c: { record: string; before: string; after: string }) => [
        c.record,
        c.before,
        c.after,
      ]),
    ).toEqual([
      ['d1', 'allow', 'deny'],
      ['d2', 'allow', 'deny'],
    ]);
    expect(json).toMatchObject({
      replayed: 3,
      changed: 2,
      newly_denied: 2,
      newly_allowed: 0,
      redacted: 0,
    });
  });

  it('compares against a baseline policy on the same rebuilt inputs', async () => {
    const base = await fixture({ 'mcp/authz.rego': CANDIDATE });
    const run = await cli([
      'policy',
      'replay',
      dir,
      '--log',
      audit,
      '--baseline',
      base,
      '--fail-on-change',
    ]);
    expect(run.stdout).toBe(
      '1 of the replayed calls had redacted arguments: their decisions were made on [REDACTED] values (marked "redacted")\n4 replayed, 0 changed (0 newly denied, 0 newly allowed)\n',
    );
    expect(run.code).toBe(0);
  });

  it('names the log line that is not JSON; requires --log', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, `${record({})}\nnot json\n`);
    const run = await cli(['policy', 'replay', dir, '--log', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${bad}:2: not a JSON object\n`);
    expect((await cli(['policy', 'replay', dir])).stderr).toMatch(/missing --log FILE/);
  });
});
