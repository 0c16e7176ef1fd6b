// The installed entry point end to end: bin/warden.js in a real process, real stdin, real exit
// codes (main.ts runs itself only when it is the program, not when a test imports it).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHZ, fixture, removeFixtures } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));

function warden(
  args: string[],
  stdin = '',
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

let dir: string;
beforeAll(async () => {
  dir = await fixture({ 'mcp/authz.rego': AUTHZ, 'data.json': '{"config": {"admin": "ada"}}' });
});
afterAll(removeFixtures);

describe('bin/warden.js', () => {
  it('evaluates with input from stdin and exits 0', async () => {
    const r = await warden(['policy', 'eval', dir, '--input', '-'], '{"user": "ada"}');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([{ result: { allow: true, reasons: [] } }]);
  });

  it('exits 2 with one line for a user error', async () => {
    const r = await warden(['policy', 'eval', path.join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/nope: cannot read policy source: ENOENT/);
  });
});
