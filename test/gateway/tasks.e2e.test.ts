// The tasks extension (SEP-2663) through both routes, in front of the 2026-07-28 fixture
// upstream (which implements it): the extension advertised, a CreateTaskResult whose task id
// is the gateway's (sealed, bound to the token's subject), tasks/get and tasks/cancel routed to
// the owning upstream under its own id, and the refusals: no extension declared → -32021,
// another subject's or a forged task id → -32602.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFixture26Server, type Fixture26Server } from '../conformance/fixture26-server.ts';
import { modern } from './eras-peers.ts';
import { startHarness, type Harness } from './harness.ts';

const TASKS = 'io.modelcontextprotocol/tasks';
const WITH_TASKS = { extensions: { [TASKS]: {} } };
const BASE = ['mcp:tools:call'];

let fx: Fixture26Server;
let h: Harness;
beforeAll(async () => {
  fx = await startFixture26Server();
  h = await startHarness({ upstreams: [{ name: 'fx', url: fx.url }] });
});
afterAll(async () => {
  await h?.close();
  await fx?.close();
});

/** Polls tasks/get until the task is terminal. */
async function settle(url: string, token: string, taskId: string) {
  for (let i = 0; i < 100; i++) {
    const r = await modern(url, token, 900 + i, 'tasks/get', { taskId }, WITH_TASKS);
    if (['completed', 'failed', 'cancelled'].includes(r.json.result?.status)) return r;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`task ${taskId} did not settle`);
}

describe.each([
  { route: '/mcp', tool: 'fx.slow_compute' },
  { route: '/u/fx/mcp', tool: 'slow_compute' },
])('the tasks extension via $route', ({ route, tool }) => {
  const url = () => `${h.gw.url}${route}`;

  it('advertises the extension', async () => {
    const t = await h.token(BASE, { route });
    const r = await modern(url(), t, 1, 'server/discover', {}, WITH_TASKS);
    expect(r.json.result.capabilities.extensions).toHaveProperty([TASKS]);
  });

  it('hands out its own task id, and routes tasks/get to the task', async () => {
    const alice = await h.token(BASE, { route, sub: 'alice' });
    const call = { name: tool, arguments: { seconds: 1, label: 'gw' } };
    const created = await modern(url(), alice, 2, 'tools/call', call, WITH_TASKS);
    expect(created.status, created.text).toBe(200);
    expect(created.json.result).toMatchObject({ resultType: 'task', status: 'working' });
    const taskId = created.json.result.taskId as string;
    expect(taskId).toMatch(/^ws1\./); // sealed by the gateway, not the upstream's id
    const done = await settle(url(), alice, taskId);
    expect(done.json.result).toMatchObject({ taskId, status: 'completed' });
    expect(done.json.result.result.content.length).toBeGreaterThan(0);

    // Another subject cannot read it; a forged id opens nothing; both are "unknown task".
    const mallory = await h.token(BASE, { route, sub: 'mallory' });
    const stolen = await modern(url(), mallory, 3, 'tasks/get', { taskId }, WITH_TASKS);
    expect(stolen.json.error).toMatchObject({ code: -32602 });
    const forged = await modern(url(), alice, 4, 'tasks/get', { taskId: 'task-1' }, WITH_TASKS);
    expect(forged.json.error).toMatchObject({ code: -32602 });
    // Without the extension declared: -32021 before any id is looked at.
    const undeclared = await modern(url(), alice, 5, 'tasks/get', { taskId }, {});
    expect(undeclared.json.error).toMatchObject({ code: -32021 });
    // The call is audited once, as allowed and answered; the polls name its tool, and the one
    // that got the finished task carries the tool's result summary.
    const recs = h.audit().filter((r) => r.route === route && r.request_id === 2);
    expect(recs).toMatchObject([{ method: 'tools/call', decision: 'allow', outcome: 'ok' }]);
    const polls = () =>
      h.audit().filter((r) => r.route === route && r.method === 'tasks/get' && r.outcome === 'ok');
    await vi.waitFor(() => expect(polls().some((r) => r.result)).toBe(true));
    expect(polls().every((r) => r.tool === tool && r.subject === 'alice')).toBe(true);
    expect(polls().find((r) => r.result)?.result).toMatchObject({
      is_error: false,
      content_types: ['text'],
    });
  });

  it('cancels a running task through tasks/cancel', async () => {
    const t = await h.token(BASE, { route });
    const call = { name: tool, arguments: { seconds: 60, label: 'gw-cancel' } };
    const created = await modern(url(), t, 6, 'tools/call', call, WITH_TASKS);
    const taskId = created.json.result.taskId as string;
    const ack = await modern(url(), t, 7, 'tasks/cancel', { taskId }, WITH_TASKS);
    expect(ack.json.result).toMatchObject({ resultType: 'complete' });
    expect(ack.json.result).not.toHaveProperty('taskId'); // an ack, not a task envelope
    expect((await settle(url(), t, taskId)).json.result.status).toBe('cancelled');
  });

  it('runs the tool synchronously for a client without the extension', async () => {
    const t = await h.token(BASE, { route });
    const call = { name: tool, arguments: { seconds: 0, label: 'sync' } };
    const r = await modern(url(), t, 8, 'tools/call', call, {});
    expect(r.json.result.resultType).toBe('complete');
    expect(r.json.result.taskId).toBeUndefined();
  });
});
