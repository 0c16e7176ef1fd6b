// Runs the CLI in-process with captured streams: what a terminal would show, and the exit code.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/io.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(argv: string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => stdin,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const created: string[] = [];

/** A fresh directory holding `files` (relative path → content); see removeFixtures. */
export async function fixture(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'warden-cli-'));
  created.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

export async function removeFixtures(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A user error: exactly one line on stderr, nothing that looks like a stack trace. */
export function expectOneLine(run: CliRun): string {
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || /^\s+at /m.test(run.stderr)) {
    throw new Error(`expected one stderr line, got:\n${run.stderr}`);
  }
  return lines[0];
}

export const AUTHZ = `package mcp.authz

default decision := {"allow": false, "reasons": ["denied"]}

decision := {"allow": true, "reasons": []} if input.user == data.config.admin
`;
