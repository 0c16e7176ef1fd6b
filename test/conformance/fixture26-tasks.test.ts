// The tasks extension (SEP-2663) of the 2026-07-28 fixture, by hand on the wire: what the
// tasks-* scenarios check, plus what they do not (the synchronous paths of the task tools, the
// refusal of a call whose headers disagree, real cancellation, the TTL, the 2025-era fallback).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFixture26Server, type Fixture26Server } from './fixture26-server.ts';
import { TASK_SUPPORT_META } from './fixture26/task-tools.ts';
import { TaskStore } from './fixture26/tasks.ts';

const V = '2026-07-28';
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
type Body = Record<string, any>;

/** One 2026-07-28 request with the standard headers; `caps` are this request's capabilities. */
async function rpc(url: string, method: string, params: Body, caps: Body = TASKS, name?: string) {
  const nameValue = name ?? params.taskId ?? params.name;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': V,
    'mcp-method': method,
    ...(typeof nameValue === 'string' && { 'mcp-name': nameValue }),
  };
  const _meta = {
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': caps,
  };
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta } }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

describe('fixture26 tasks extension', () => {
  let fx: Fixture26Server;
  const call = (name: string, args: Body = {}, caps: Body = TASKS, extra: Body = {}) =>
    rpc(fx.url, 'tools/call', { name, arguments: args, ...extra }, caps);
  const get = async (taskId: string) => (await rpc(fx.url, 'tasks/get', { taskId })).body.result;
  async function until(taskId: string, status: string) {
    for (let i = 0; i < 100; i++) {
      const task = await get(taskId);
      if (task.status === status) return task;
      await sleep(50);
    }
    throw new Error(`task ${taskId} never reached ${status}`);
  }
  beforeAll(async () => {
    fx = await startFixture26Server();
  });
  afterAll(() => fx.close());

  it('advertises the extension and marks the task tools on tools/list', async () => {
    const discover = await rpc(fx.url, 'server/discover', {});
    expect(discover.body.result.capabilities.extensions).toEqual({
      'io.modelcontextprotocol/tasks': {},
    });
    expect(discover.body.result.capabilities.tasks).toBeUndefined();
    const { tools } = (await rpc(fx.url, 'tools/list', {})).body.result;
    const support = Object.fromEntries(
      tools.map((t: Body) => [t.name, t._meta?.[TASK_SUPPORT_META] ?? 'none']),
    );
    expect(support).toMatchObject({
      greet: 'none',
      slow_compute: 'optional',
      failing_job: 'required',
      protocol_error_job: 'required',
      confirm_delete: 'optional',
      multi_input: 'optional',
      test_tool_with_task: 'required',
    });
    expect(tools.every((t: Body) => t.execution === undefined)).toBe(true);
  });

  it('creates a flat task, polls it to completion, and cancels a running one for good', async () => {
    const created = (await call('slow_compute', { seconds: 0.2, label: 'x' })).body.result;
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 600_000 });
    expect(Object.keys(created)).not.toContain('result');
    const done = await until(created.taskId, 'completed');
    expect(done).toMatchObject({
      resultType: 'complete',
      result: { content: [{ type: 'text', text: 'x: computed after 0.2s' }] },
    });

    const long = (await call('slow_compute', { seconds: 0.3 })).body.result;
    const ack = (await rpc(fx.url, 'tasks/cancel', { taskId: long.taskId })).body.result;
    expect(Object.keys(ack).sort()).toEqual(['_meta', 'resultType']);
    await sleep(400); // past the work's end: it was stopped, not just relabelled
    expect(await get(long.taskId)).toMatchObject({ status: 'cancelled' });
    expect((await rpc(fx.url, 'tasks/cancel', { taskId: long.taskId })).body.result).toBeDefined();
  });

  it('reports a tool error as completed and a protocol error as failed', async () => {
    const tool = (await call('failing_job')).body.result;
    expect(await until(tool.taskId, 'completed')).toMatchObject({ result: { isError: true } });
    const proto = (await call('protocol_error_job')).body.result;
    const failed = await until(proto.taskId, 'failed');
    expect(failed.error).toMatchObject({ code: -32603, message: 'protocol_error_job crashed' });
    expect(failed.result).toBeUndefined();
  });

  it('parks a task on its questions and resumes it as they are answered', async () => {
    const task = (await call('multi_input')).body.result;
    const asked = await until(task.taskId, 'input_required');
    expect(Object.keys(asked.inputRequests).sort()).toEqual(['confirm', 'name']);
    const yes = { action: 'accept', content: { name: 'Ada', confirm: true } };
    await rpc(fx.url, 'tasks/update', { taskId: task.taskId, inputResponses: { name: yes } });
    expect(Object.keys((await get(task.taskId)).inputRequests)).toEqual(['confirm']);
    await rpc(fx.url, 'tasks/update', { taskId: task.taskId, inputResponses: { confirm: yes } });
    expect((await until(task.taskId, 'completed')).result.content[0].text).toBe(
      'multi_input: name=Ada; confirmed=true',
    );
  });

  it('asks on the call itself first, then makes the task (MRTR before task creation)', async () => {
    const caps = { ...TASKS, elicitation: {} };
    const first = (await call('test_tool_with_task', {}, caps)).body.result;
    expect(first).toMatchObject({ resultType: 'input_required' });
    const inputResponses = { user_name: { action: 'accept', content: { name: 'Alice' } } };
    const second = (await call('test_tool_with_task', {}, caps, { inputResponses })).body.result;
    expect(second.resultType).toBe('task');
    expect((await until(second.taskId, 'completed')).result.content[0].text).toMatch(/Alice/);
  });

  it('without the extension: optional tools run synchronously, required ones are -32021', async () => {
    const none = { elicitation: {} };
    const sync = await call('slow_compute', { seconds: 0.05 }, none);
    expect(sync.body.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text' }] });
    // confirm_delete asks with an input_required result instead, answered by a retry.
    expect((await call('confirm_delete', { filename: 'a' }, none)).body.result).toMatchObject({
      resultType: 'input_required',
    });
    const inputResponses = { confirm: { action: 'accept', content: { confirm: true } } };
    const retried = await call('confirm_delete', { filename: 'a' }, none, { inputResponses });
    expect(retried.body.result.content[0].text).toBe('Deleted a');
    const refused = await call('failing_job', {}, none);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: TASKS },
    });
    const gated = await rpc(fx.url, 'tasks/get', { taskId: 'x' }, none);
    expect(gated.body.error.code).toBe(-32021);
  });

  it('leaves what the SDK refuses to the SDK: no task for a call with a wrong Mcp-Name', async () => {
    const params = { name: 'slow_compute', arguments: { seconds: 1 } };
    const wrong = await rpc(fx.url, 'tools/call', params, TASKS, 'greet');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe(-32020);
    // Arguments off the schema: the SDK's own answer (a tool error), not a task.
    const invalid = await call('slow_compute', { seconds: 'soon' });
    expect(invalid.body.result).toMatchObject({ resultType: 'complete', isError: true });
    expect((await rpc(fx.url, 'tasks/get', { taskId: 'nope' })).body.error.code).toBe(-32602);
    expect((await rpc(fx.url, 'tasks/list', {})).body.error.code).toBe(-32601);
  });
});

describe('fixture26 task store', () => {
  it('keeps a task for its TTL, then forgets it', async () => {
    const store = new TaskStore({ ttlMs: 100 });
    const { taskId } = store.create(async () => ({ content: [] }));
    await sleep(20);
    expect(store.get(taskId).status).toBe('completed');
    await sleep(150);
    expect(() => store.get(taskId)).toThrow(/Task not found/);
    store.close();
  });
});

describe('fixture26 task tools, 2025-era client (legacy: fallback)', () => {
  let fx: Fixture26Server;
  beforeAll(async () => {
    fx = await startFixture26Server({ legacy: 'fallback' });
  });
  afterAll(() => fx.close());

  it('runs optional task tools synchronously and refuses required ones as a tool error', async () => {
    const client = new ClientV1({ name: 'tasks-v1', version: '1.0.0' }, { capabilities: {} });
    await client.connect(new TransportV1(new URL(fx.url)));
    try {
      const r = await client.callTool({ name: 'slow_compute', arguments: { seconds: 0 } });
      expect(r.content).toEqual([{ type: 'text', text: 'slow_compute: computed after 0s' }]);
      const refused = await client.callTool({ name: 'failing_job', arguments: {} });
      expect(refused.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});
