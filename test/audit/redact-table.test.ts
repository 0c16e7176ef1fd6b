// Redaction: positives and near-misses per kind, nested JSON, unicode, field rules, headers,
// MCP results. Each positive must disappear from the output and be counted under its kind;
// each near-miss must come back unchanged.
import { describe, expect, it } from 'vitest';
import { buildRedactor } from '../../src/audit/redact/index.ts';

const r = buildRedactor();

const POSITIVE: Array<[kind: string, secret: string]> = [
  ['email', 'alice.smith+tag@example.co.uk'],
  ['email', 'bob@sub.example.org'],
  ['ssn', '123-45-6789'],
  ['ssn', '123 45 6789'],
  ['phone', '+14155550123'],
  ['phone', '+44 20 7946 0958'],
  ['phone', '(212) 555-1234'],
  ['phone', '212-555-1234'],
  ['phone', '1-800-555-0199'],
  ['card', '4111111111111111'],
  ['card', '4111 1111 1111 1111'],
  ['card', '5500-0000-0000-0004'],
  ['card', '3782 822463 10005'],
  ['iban', 'DE89370400440532013000'],
  ['iban', 'GB82 WEST 1234 5698 7654 32'],
  ['ipv4', '192.168.10.254'],
  ['ipv6', '2001:db8:85a3::8a2e:370:7334'],
  ['ipv6', 'fe80::1'],
  ['ipv6', '::ffff:192.0.2.128'],
  [
    'jwt',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  ],
  ['bearer_token', 'Bearer 0123456789abcdefABCDEF'],
  ['bearer_token', 'bearer abc.def-ghi_jkl~mno'],
  ['aws_access_key', 'AKIAIOSFODNN7EXAMPLE'],
  ['aws_access_key', 'ASIAY34FZKBOKMUTVV7A'],
  [
    'private_key',
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----',
  ],
];

const NEAR_MISS: Array<[why: string, text: string]> = [
  ['card failing Luhn (order number)', 'order 4111 1111 1111 1112'],
  ['16-digit order id failing Luhn', 'ORD-4000123412341235'],
  ['card digits inside a longer run', 'ref 41111111111111110000000'],
  ['Luhn-valid but not a card prefix', '1000000000000009'],
  ['IBAN with a bad checksum', 'DE88370400440532013000'],
  ['SSN area 000', '000-12-3456'],
  ['SSN area 666', '666-12-3456'],
  ['SSN area 9xx', '912-12-3456'],
  ['SSN inside a longer digit run', '1123-45-67890'],
  ['phone without separators (an id)', 'id 2125551234'],
  ['NANP area starting with 1', '(112) 555-1234'],
  ['phone inside a longer digit run', '+1415555012345678901'],
  ['version string', 'release 1.2.3.4.5'],
  ['octet out of range', '256.1.1.1'],
  ['time of day', '12:30:45'],
  ['MAC address', '00:1a:2b:3c:4d:5e'],
  ['C++ scope', 'std::vector'],
  ['medium handle in a URL', 'https://medium.com/@alice/post'],
  ['not a bearer credential', 'the bearer of bad news'],
  ['JWT-like without payload', 'eyJhbGciOiJIUzI1NiJ9'],
  ['AWS-like too short', 'AKIAIOSFODNN7'],
  ['public key', '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----'],
  ['date', '2026-11-25'],
  ['plain number', '1234567'],
];

describe('redaction table', () => {
  it.each(POSITIVE)('%s: %s is redacted', (kind, secret) => {
    const counts: Record<string, number> = {};
    const out = r.text(`before ${secret} after`, counts);
    expect(out).toBe(`before [REDACTED:${kind}] after`);
    expect(counts).toEqual({ [kind]: 1 });
  });

  it.each(NEAR_MISS)('near-miss (%s) is left alone', (_why, text) => {
    const counts: Record<string, number> = {};
    expect(r.text(text, counts)).toBe(text);
    expect(counts).toEqual({});
  });

  it('redacts a private key cut off before its END line, up to the end of its base64', () => {
    const s = 'key: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAbc+/=';
    expect(r.text(s)).toBe('key: [REDACTED:private_key]');
  });

  it('finds emails inside URLs and query strings', () => {
    expect(r.text('https://x.test/?to=bob@example.org&a=1')).toBe(
      'https://x.test/?to=[REDACTED:email]&a=1',
    );
    expect(r.text('mailto:carol@example.net')).toBe('mailto:[REDACTED:email]');
  });

  it('handles unicode around and between secrets', () => {
    const s = '電話+14155550123です、メール bob@example.org 😀 カード 4111-1111-1111-1111。';
    const counts: Record<string, number> = {};
    expect(r.text(s, counts)).toBe(
      '電話[REDACTED:phone]です、メール [REDACTED:email] 😀 カード [REDACTED:card]。',
    );
    expect(counts).toEqual({ phone: 1, email: 1, card: 1 });
    expect(r.text('Ünïcödé ✓ nothing here')).toBe('Ünïcödé ✓ nothing here');
  });

  it('redacts nested JSON values, keys and field-name rules', () => {
    const counts: Record<string, number> = {};
    const input = {
      user: { name: 'Zoë', email: 'zoe@example.com', password: 'hunter2', 'X-Api-Key': 'k' },
      list: [['deep', ['192.168.0.1']], 42, null, true],
      'alice@example.com': 'key is an email',
      max_tokens: 100,
      db_password: { nested: 'anything' },
      note: 'ok',
    };
    const out = r.value(input, counts);
    expect(out).toEqual({
      user: {
        name: 'Zoë',
        email: '[REDACTED:email]',
        password: '[REDACTED:password]',
        'X-Api-Key': '[REDACTED:api_key]',
      },
      list: [['deep', ['[REDACTED:ipv4]']], 42, null, true],
      '[REDACTED:email]': 'key is an email',
      max_tokens: 100,
      db_password: '[REDACTED:password]',
      note: 'ok',
    });
    expect(counts).toEqual({ email: 2, password: 2, api_key: 1, ipv4: 1 });
    expect(input.user.email).toBe('zoe@example.com'); // the input is not modified
  });

  it('never lets a pattern finding span two JSON strings; split digit runs are joined', () => {
    const out = r.value([
      'ok',
      '-----BEGIN PRIVATE KEY-----',
      'x -----END PRIVATE KEY-----',
      '4111 1111',
      '1111 1111',
    ]);
    expect(out[1]).toBe('[REDACTED:private_key]');
    expect(out[2]).toBe('x -----END PRIVATE KEY-----');
    // A card split over two adjacent strings (split.ts) is one finding, both parts replaced.
    expect(out[3]).toBe('[REDACTED:card]');
    expect(out[4]).toBe('[REDACTED:card]');
  });

  it('redacts an MCP result: text, structuredContent, embedded resources; leaves base64', () => {
    const counts: Record<string, number> = {};
    const result = {
      content: [
        { type: 'text', text: 'contact bob@example.org' },
        { type: 'image', mimeType: 'image/png', data: 'QUtJQUlPU0ZPRE5ON0VYQU1QTEU=' },
        { type: 'resource', resource: { uri: 'file:///a.txt', text: 'ssn 123-45-6789' } },
        { type: 'resource', resource: { uri: 'file:///b.bin', blob: 'bob@example.org' } },
      ],
      structuredContent: { rows: [{ card: '4111111111111111' }] },
      isError: false,
    };
    const out = r.result(result, counts);
    expect(out.content[0].text).toBe('contact [REDACTED:email]');
    expect(out.content[1].data).toBe(result.content[1].data);
    expect(out.content[2].resource!.text).toBe('ssn [REDACTED:ssn]');
    expect(out.content[3].resource!.blob).toBe('bob@example.org');
    expect(out.structuredContent.rows[0].card).toBe('[REDACTED:card]');
    expect(counts).toEqual({ email: 1, ssn: 1, card: 1 });
  });

  it('redacts headers by name and by value', () => {
    const counts: Record<string, number> = {};
    const out = r.headers(
      {
        authorization: 'Bearer abcdefghijklmnop',
        cookie: 'sid=1',
        'x-forwarded-for': '203.0.113.9',
        accept: ['a', 'b'],
      },
      counts,
    );
    expect(out).toEqual({
      authorization: '[REDACTED:authorization]',
      cookie: '[REDACTED:cookie]',
      'x-forwarded-for': '[REDACTED:ipv4]',
      accept: ['a', 'b'],
    });
    expect(counts).toEqual({ authorization: 1, cookie: 1, ipv4: 1 });
  });

  it('applies custom patterns and field rules from config', () => {
    const c = buildRedactor({
      patterns: [
        { name: 'employee_id', regex: 'EMP-[0-9]{6}' },
        { name: 'short', regex: 'k[0-9]' },
      ],
      fields: ['ssn_last4', '*_pin'],
    });
    const counts: Record<string, number> = {};
    expect(
      c.value(
        { id: 'EMP-123456 and k7', ssn_last4: '6789', card_pin: '1234', pinned: 'x' },
        counts,
      ),
    ).toEqual({
      id: '[REDACTED:employee_id] and [REDACTED:short]',
      ssn_last4: '[REDACTED:ssn_last4]',
      card_pin: '[REDACTED:pin]',
      pinned: 'x',
    });
    expect(counts).toEqual({ employee_id: 1, short: 1, ssn_last4: 1, pin: 1 });
  });

  it('limits built-in kinds when configured', () => {
    const c = buildRedactor({ kinds: ['email'] });
    expect(c.text('bob@example.org 10.0.0.1')).toBe('[REDACTED:email] 10.0.0.1');
  });

  it('survives hostile nesting depth', () => {
    const nest = (n: number): unknown => {
      let v: unknown = 'bob@example.org';
      for (let i = 0; i < n; i++) v = [v];
      return v;
    };
    let out = r.value(nest(1000)) as unknown;
    for (let i = 0; i < 64; i++) out = (out as unknown[])[0];
    expect(typeof out).toBe('string'); // below depth 64 the subtree is kept as scanned text
    expect(out).not.toContain('bob@example.org');
    expect(out).toContain('[REDACTED:email]');
    // So deep that even serializing overflows the stack: dropped, never leaked.
    let huge = r.value(nest(200_000)) as unknown;
    for (let i = 0; i < 64; i++) huge = (huge as unknown[])[0];
    expect(huge).toBe('[REDACTED:too_deep]');
  });
});
