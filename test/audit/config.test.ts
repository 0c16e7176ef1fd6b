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
  ])('rejects %j naming %s', (raw, expected) => {
    expect(where(raw)).toContain(expected);
  });
});
