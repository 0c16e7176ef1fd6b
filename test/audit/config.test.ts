// audit: config validation names the key path of every mistake.
import { describe, expect, it } from 'vitest';
import { parseAuditConfig } from '../../src/audit/config.ts';
import { UserInputError } from '../../src/errors/index.ts';

const where = (raw: unknown): string | undefined => {
  try {
    parseAuditConfig(raw, 'audit');
  } catch (e) {
    expect(e).toBeInstanceOf(UserInputError);
    return `${(e as UserInputError).where}: ${(e as Error).message}`;
  }
  return undefined;
};

describe('parseAuditConfig', () => {
  it('accepts the PRODUCT.md example and fills defaults', () => {
    const c = parseAuditConfig({ sinks: [{ type: 'file', path: './audit.jsonl' }] });
    expect(c).toMatchObject({
      mode: 'written',
      on_full: 'block',
      sinks: [{ type: 'file', path: './audit.jsonl', max_bytes: 0, max_age_s: 0 }],
      spool: { dir: './audit-spool', max_bytes: 64 * 1024 * 1024 },
      redaction: { patterns: [], fields: [], results_to_client: false },
    });
    expect(parseAuditConfig(undefined).sinks).toEqual([{ type: 'stdout' }]);
  });

  it('accepts chain keys and checkpoints', () => {
    const c = parseAuditConfig({
      mode: 'sync',
      chain_keys: [
        { id: 'k2', key: '0123456789abcdef0123' },
        { id: 'k1', key: { file: '/etc/k1' } },
      ],
      checkpoints: {
        signing_key: '/etc/cp.pem',
        every_s: 30,
        sinks: [
          { type: 'file', path: '/var/cp.jsonl' },
          { type: 'http', url: 'https://c' },
        ],
      },
    });
    expect(c.mode).toBe('durable');
    expect(c.chain_keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(c.checkpoints).toMatchObject({ every_s: 30, every_records: 1000 });
    expect(parseAuditConfig({ chain_key: { file: '/k' } }).chain_keys).toEqual([
      { key: { file: '/k' }, where: 'audit.chain_key' },
    ]);
  });

  it('accepts every sink type with options', () => {
    const c = parseAuditConfig({
      mode: 'async',
      on_full: 'reject',
      sinks: [
        { type: 'stdout' },
        {
          type: 'syslog',
          host: 'logs',
          port: 6514,
          tls: { ca: '/ca.pem' },
          app_name: 'gw',
          facility: 16,
        },
        {
          type: 'http',
          url: 'https://c.example/ingest',
          batch_size: 10,
          flush_ms: 50,
          headers: { 'x-key': 'k' },
        },
      ],
      spool: { dir: '/var/spool/warden', max_bytes: 1048576 },
      redaction: {
        patterns: [{ name: 'emp', regex: 'EMP-\\d+' }],
        fields: ['pin', '*_secret'],
        results_to_client: true,
      },
    });
    expect(c.sinks[1]).toMatchObject({
      type: 'syslog',
      name: 'syslog-1',
      tls: { ca: '/ca.pem', reject_unauthorized: true },
    });
    expect(c.sinks[2]).toMatchObject({ type: 'http', name: 'http-2', batch_size: 10 });
  });

  it.each([
    [{ sinks: [{ type: 'file' }] }, 'audit.sinks[0].path'],
    [{ sinks: [{ type: 'kafka' }] }, 'audit.sinks[0].type'],
    [{ sinks: [{ type: 'file', path: 'a', colour: 1 }] }, 'audit.sinks[0].colour: unknown key'],
    [{ sinks: [{ type: 'syslog', host: 'h', port: 70000 }] }, 'audit.sinks[0].port'],
    [{ sinks: [{ type: 'syslog', host: 'h', app_name: 'has space' }] }, 'audit.sinks[0].app_name'],
    [{ sinks: [{ type: 'http', url: 'ftp://x' }] }, 'audit.sinks[0].url'],
    [
      {
        sinks: [
          { type: 'http', url: 'http://a', name: 'x' },
          { type: 'syslog', host: 'h', name: 'x' },
        ],
      },
      'audit.sinks[1].name: duplicate',
    ],
    [{ mode: 'sometimes' }, 'audit.mode'],
    [{ on_full: 'drop' }, 'audit.on_full'],
    [{ spool: { max_bytes: 'big' } }, 'audit.spool.max_bytes'],
    [
      { redaction: { patterns: [{ name: 'bad', regex: '(unclosed' }] } },
      'audit.redaction.patterns[0].regex: pattern "bad" is not a valid RE2',
    ],
    [
      { redaction: { patterns: [{ name: 'lookahead', regex: 'a(?=b)' }] } },
      'audit.redaction.patterns[0].regex: pattern "lookahead"',
    ],
    [
      { redaction: { patterns: [{ name: 'empty', regex: 'x*' }] } },
      'audit.redaction.patterns[0].regex: pattern "empty" matches the empty string',
    ],
    [
      { redaction: { patterns: [{ name: 'Bad Name', regex: 'x' }] } },
      'audit.redaction.patterns[0].name',
    ],
    [{ redaction: { fields: ['pass word'] } }, 'audit.redaction.fields[0]'],
    [{ redaction: { kinds: ['emails'] } }, 'audit.redaction.kinds[0]: unknown kind'],
    [{ redaction: { results_to_client: 'yes' } }, 'audit.redaction.results_to_client'],
    [{ extra: 1 }, 'audit.extra: unknown key'],
    [{ chain_key: 'short' }, 'audit.chain_key: expected a secret of at least 16 bytes'],
    [{ chain_key: { path: 'k' } }, 'audit.chain_key.path: unknown key'],
    [
      { chain_key: { file: 'k' }, chain_keys: [{ id: 'a', key: { file: 'k' } }] },
      'audit.chain_keys: give chain_key or chain_keys, not both',
    ],
    [{ chain_keys: [{ key: { file: 'k' } }] }, 'audit.chain_keys[0].id'],
    [
      {
        chain_keys: [
          { id: 'a', key: { file: 'k' } },
          { id: 'a', key: { file: 'j' } },
        ],
      },
      'audit.chain_keys[1].id: duplicate key id',
    ],
    [{ checkpoints: { signing_key: 'k.pem' } }, 'audit.checkpoints.sinks: expected at least one'],
    [{ checkpoints: { sinks: [{ type: 'file', path: 'c' }] } }, 'audit.checkpoints.signing_key'],
    [
      { checkpoints: { signing_key: 'k', sinks: [{ type: 'stdout' }] } },
      'audit.checkpoints.sinks[0].type',
    ],
    [
      {
        sinks: [{ type: 'file', path: 'a.jsonl' }],
        checkpoints: { signing_key: 'k', sinks: [{ type: 'file', path: 'a.jsonl' }] },
      },
      'audit.checkpoints.sinks[0].path: checkpoints must go to another file',
    ],
    [
      { checkpoints: { signing_key: 'k', every_s: -1, sinks: [{ type: 'file', path: 'c' }] } },
      'audit.checkpoints.every_s',
    ],
  ])('rejects %j naming %s', (raw, expected) => {
    expect(where(raw)).toContain(expected);
  });
});
