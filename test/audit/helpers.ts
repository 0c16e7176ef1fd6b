// Shared by the audit tests: a temp dir, a record input, and a captured CLI Io.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditInput } from '../../src/audit/index.ts';
import type { Io } from '../../src/cli/io.ts';

export const tempDir = (prefix = 'warden-audit-'): string => mkdtempSync(join(tmpdir(), prefix));

export function input(i: number, extra: Partial<AuditInput> = {}): AuditInput {
  return {
    time: new Date(1_764_000_000_000 + i * 1000).toISOString(),
    request_id: i,
    subject: 'alice',
    client: 'cli-1',
    route: '/mcp',
    upstream: 'db',
    method: 'tools/call',
    tool: 'db.query',
    decision: 'allow',
    reasons: [],
    outcome: 'ok',
    status: 200,
    duration_ms: 2,
    arguments: { sql: `select ${i}`, contact: 'bob@example.org', note: 'Zoë ✓ 電話' },
    result: { is_error: false, content_types: ['text'], bytes: 10 },
    policy_revision: 'rev-1',
    ...extra,
  };
}

export function captureIo(): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
    readStdin: async () => '',
  };
  return io;
}
