// @modelcontextprotocol/server-everything over Streamable HTTP (a child process on a free
// port), through the drop-in route and the aggregated endpoint.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { startHarness, type Harness } from './harness.ts';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
let child: ChildProcess;
let h: Harness;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((ok, fail) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening')) ok();
    });
    child.on('exit', (code) => fail(new Error(`server-everything exited ${code}: ${err}`)));
  });
  h = await startHarness({ upstreams: [{ name: 'ev', url: `http://127.0.0.1:${port}/mcp` }] });
});
afterAll(async () => {
  await h?.close();
  child?.kill();
});

describe.each([
  ['/u/ev/mcp', ''],
  ['/mcp', 'ev.'],
])('server-everything (Streamable HTTP) via %s', (route, prefix) => {
  it('lists and calls tools, reads a resource', async () => {
    const c = await h.client(route, await h.token(['mcp:tools:call'], { route }));
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).toContain(`${prefix}echo`);
    const r = await c.callTool({ name: `${prefix}echo`, arguments: { message: 'over http' } });
    expect(JSON.stringify(r.content)).toContain('over http');
    const res = await c.listResources();
    expect(res.resources.length).toBeGreaterThan(0);
    expect((await c.readResource({ uri: res.resources[0].uri })).contents.length).toBeGreaterThan(
      0,
    );
    await c.close();
  });
});
