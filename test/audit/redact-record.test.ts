// Every field of an audit record that carries client- or upstream-chosen text goes through the
// redactor (src/audit/redact/record-fields.ts), and the field-name rules and normalization
// behave as the README's table says: short rules match whole words only, look-alike keys and
// values are caught, clean non-ASCII values come back byte for byte.
import { describe, expect, it } from 'vitest';
import { buildRedactor } from '../../src/audit/redact/index.ts';
import { buildRecord } from '../../src/audit/record.ts';
import { input } from './helpers.ts';

const r = buildRedactor();

describe('record fields', () => {
  it('redacts request id, method, tool, reasons, _meta, errors, headers and notifications', () => {
    const rec = buildRecord(
      input(1, {
        request_id: 'req-bob@example.org',
        method: 'tools/call?to=carol@example.org',
        tool: 'db.lookup_dave@example.org',
        reasons: ['no such tool: db.lookup_dave@example.org'],
        meta: { progressToken: 'p-1', traceparent: 'x', note: 'eve@example.org' },
        error_message: 'upstream failed for 4111 1111 1111 1111',
        error_data: { detail: { ssn: '123-45-6789', who: 'frank@example.org' } },
        headers: { 'x-api-key': 'k-123', 'user-agent': 'gina@example.org' },
        notifications: [
          { method: 'notifications/progress', params: { message: 'mailed hank@example.org' } },
          { method: 'notifications/message', params: { data: { token: 'xyz' } } },
        ],
        result_value: {
          content: [{ type: 'text', text: 'ok' }],
          structuredContent: { 'ivan@example.org': { password: 'p' } },
        },
      }),
      r,
      true,
    );
    const line = JSON.stringify(rec);
    for (const who of ['bob', 'carol', 'dave', 'eve', 'frank', 'gina', 'hank', 'ivan'])
      expect(line).not.toContain(`${who}@example.org`);
    expect(line).not.toContain('4111 1111');
    expect(line).not.toContain('123-45-6789');
    expect(rec).toMatchObject({
      request_id: '[REDACTED:email]', // "req-bob" is all local part
      method: 'tools/call?to=[REDACTED:email]',
      tool: '[REDACTED:email]',
      reasons: ['no such tool: [REDACTED:email]'],
      meta: { progressToken: 'p-1', note: '[REDACTED:email]' },
      error: 'upstream failed for [REDACTED:card]',
      error_data: { detail: { ssn: '[REDACTED:ssn]', who: '[REDACTED:email]' } },
      headers: { 'x-api-key': '[REDACTED:api_key]', 'user-agent': '[REDACTED:email]' },
      notifications: [
        { params: { message: 'mailed [REDACTED:email]' } },
        { params: { data: { token: '[REDACTED:token]' } } },
      ],
      result: {
        value: { structuredContent: { '[REDACTED:email]': { password: '[REDACTED:password]' } } },
      },
    });
    // Numeric ids are kept as they are (JSON-RPC ids are strings or numbers).
    expect(buildRecord(input(7), r, false).request_id).toBe(7);
  });
});

describe('field-name rules', () => {
  const rules: Array<[key: string, kind: string | null]> = [
    ['token', 'token'],
    ['csrfToken', 'token'],
    ['progressToken', null],
    ['max_tokens', null],
    ['token_count', null],
    ['client_secret', 'client_secret'],
    ['secretAccessKey', 'secret'],
    ['my_secret_value', 'secret'],
    ['pwd', 'pwd'],
    ['db_pwd', 'pwd'],
    ['passphrase', 'passphrase'],
    ['session_id', 'session_id'],
    ['mcpSessionId', 'session_id'],
    ['pin', 'pin'],
    ['cardPin', 'pin'],
    ['shipping', null],
    ['mapping', null],
    ['api_key', 'api_key'],
    ['APIKey', 'api_key'],
    ['apikey', 'api_key'],
    ['password', 'password'],
    ['ｐａｓｓｗｏｒｄ', 'password'],
    ['pass\u200bword', 'password'],
    ['authorization', 'authorization'],
    ['set-cookie', 'cookie'],
    ['private_key_id', 'private_key_id'],
    ['ssn', 'ssn'],
    ['cvv', 'cvv'],
    ['name', null],
  ];
  it.each(rules)('%s → %s', (key, kind) => {
    const out = r.value({ [key]: 'value-1' }) as Record<string, unknown>;
    expect(Object.values(out)[0]).toBe(kind === null ? 'value-1' : `[REDACTED:${kind}]`);
  });
});

describe('normalization and split values', () => {
  it('leaves clean non-ASCII and percent-encoded values exactly as they were', () => {
    const clean = ['Ｆｕｌｌ　ｗｉｄｔｈ', 'a\u200bb', 'caf\u0065\u0301', 'x%20y', '%E2%80%8B'];
    for (const s of clean) expect(r.text(s)).toBe(s);
    expect(r.value({ list: clean })).toEqual({ list: clean });
  });

  it('stores a value with a finding in its normalized form', () => {
    expect(r.text('ｍａｉｌ ａｌｉｃｅ＠example.com')).toBe('mail [REDACTED:email]');
  });

  it('joins an SSN and a card split over adjacent fields; not JSON numbers or long runs', () => {
    const counts: Record<string, number> = {};
    const out = r.value(
      {
        ssn_part: { a: '123', b: '45', c: '6789' },
        card: ['4111', '1111', '1111', '1111'],
        form: { first: '4111 1111', last: '1111 1111', name: 'Zoë' },
        numbers: [4111, 1111, 1111, 1111],
        column: ['4111', '1111', '1111', '1111', '1111'],
        years: ['2023', '2024'],
      },
      counts,
    );
    expect(out).toEqual({
      ssn_part: { a: '[REDACTED:ssn]', b: '[REDACTED:ssn]', c: '[REDACTED:ssn]' },
      card: Array(4).fill('[REDACTED:card]'),
      form: { first: '[REDACTED:card]', last: '[REDACTED:card]', name: 'Zoë' },
      numbers: [4111, 1111, 1111, 1111],
      column: ['4111', '1111', '1111', '1111', '1111'],
      years: ['2023', '2024'],
    });
    expect(counts).toEqual({ ssn: 1, card: 2 });
  });
});
