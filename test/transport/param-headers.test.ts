// `Mcp-Param-{Name}` headers (src/transport/param-headers.ts; MCP 2026-07-28 Streamable HTTP,
// "Custom Parameter Headers"): which schema properties declare one, how a server checks them
// against `arguments` (400 / -32020 on a missing or disagreeing header), and that the headers
// the gateway writes itself (`paramHeaders`) are always ones the check accepts.
import type { IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/errors/index.ts';
import {
  checkParamHeaders,
  paramHeaderDecls,
  paramHeaders,
} from '../../src/transport/param-headers.ts';

/** Headers as Node hands them to a server: lower-case names, values trimmed of OWS. */
const asReceived = (h: Record<string, string>): IncomingHttpHeaders =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v.trim()]));

function mismatch(fn: () => unknown, header: string) {
  try {
    fn();
  } catch (e) {
    if (!isWardenError(e)) throw e;
    expect({ code: e.code, status: e.status, rpcCode: e.rpcCode }).toEqual({
      code: 'HEADER_MISMATCH',
      status: 400,
      rpcCode: -32020,
    });
    expect(e.details).toMatchObject({ mismatch: { header } });
    return e;
  }
  throw new Error(`expected a -32020 mismatch on ${header}, nothing was thrown`);
}

const SCHEMA = {
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    count: { type: 'integer', 'x-mcp-header': 'Count' },
    ratio: { type: 'number', 'x-mcp-header': 'Ratio' },
    dryRun: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
    note: { type: 'string' },
    target: {
      type: 'object',
      properties: {
        tenant: { type: 'string', 'x-mcp-header': 'Tenant' },
        deep: { type: 'object', properties: { id: { type: 'integer', 'x-mcp-header': 'Id' } } },
      },
    },
  },
};

describe('paramHeaderDecls', () => {
  it('collects declarations along chains of `properties`, at any depth', () => {
    expect(paramHeaderDecls(SCHEMA)).toEqual([
      { path: ['region'], name: 'Region', type: 'string' },
      { path: ['count'], name: 'Count', type: 'integer' },
      { path: ['ratio'], name: 'Ratio', type: 'number' },
      { path: ['dryRun'], name: 'Dry-Run', type: 'boolean' },
      { path: ['target', 'tenant'], name: 'Tenant', type: 'string' },
      { path: ['target', 'deep', 'id'], name: 'Id', type: 'integer' },
    ]);
  });

  it('ignores declarations under items, combinators, $defs and the like, and on the root', () => {
    const h = (name: string) => ({ type: 'string', 'x-mcp-header': name });
    const schema = {
      type: 'object',
      'x-mcp-header': 'Root',
      properties: {
        list: { type: 'array', items: h('Item') },
        tuple: { type: 'array', prefixItems: [h('First')] },
        either: { anyOf: [h('AnyOf'), { type: 'object', properties: { x: h('Nested') } }] },
        one: { oneOf: [h('OneOf')] },
        all: { allOf: [h('AllOf')] },
        map: { type: 'object', additionalProperties: h('Extra') },
        pat: { type: 'object', patternProperties: { '^x': h('Pattern') } },
        ref: { $ref: '#/$defs/r' },
        // A property *named* like a keyword is still a property.
        items: h('Items'),
      },
      $defs: { r: h('Def') },
    };
    expect(paramHeaderDecls(schema)).toEqual([{ path: ['items'], name: 'Items', type: 'string' }]);
  });

  it('has nothing to say about schemas that are not objects, or empty names', () => {
    expect(paramHeaderDecls(undefined)).toEqual([]);
    expect(paramHeaderDecls(null)).toEqual([]);
    expect(paramHeaderDecls('x')).toEqual([]);
    expect(paramHeaderDecls({ properties: { a: { type: 'string', 'x-mcp-header': '' } } })).toEqual(
      [],
    );
    expect(paramHeaderDecls({ properties: { a: { type: 'string', 'x-mcp-header': 7 } } })).toEqual(
      [],
    );
  });
});

describe('checkParamHeaders', () => {
  const args = {
    region: 'us-west1',
    count: 42,
    ratio: 0.5,
    dryRun: false,
    note: 'not mirrored',
    target: { tenant: 'acme', deep: { id: 7 } },
  };
  const ok = {
    'Mcp-Param-Region': 'us-west1',
    'Mcp-Param-Count': '42',
    'Mcp-Param-Ratio': '0.5',
    'Mcp-Param-Dry-Run': 'false',
    'Mcp-Param-Tenant': 'acme',
    'Mcp-Param-Id': '7',
  };
  const check = (h: Record<string, string>, a: unknown = args) =>
    checkParamHeaders(asReceived(h), SCHEMA, a);
  const without = (name: string) =>
    Object.fromEntries(Object.entries(ok).filter(([k]) => k !== name));

  it('accepts the mirrored values (header names are case-insensitive)', () => {
    expect(() => check(ok)).not.toThrow();
    expect(() =>
      check(Object.fromEntries(Object.entries(ok).map(([k, v]) => [k.toUpperCase(), v]))),
    ).not.toThrow();
    // Unknown Mcp-Param-* headers are none of the check's business.
    expect(() => check({ ...ok, 'Mcp-Param-Other': 'x' })).not.toThrow();
  });

  it('refuses an absent header when the body carries the value', () => {
    for (const name of Object.keys(ok)) {
      const e = mismatch(() => check(without(name)), name);
      expect(e.message).toContain('absent');
    }
  });

  it('needs no header when the body value is absent or null (and ignores one that is sent)', () => {
    const a = { ...args, region: null, target: { deep: {} } };
    delete (a as Record<string, unknown>).count;
    const h = without('Mcp-Param-Region');
    delete h['Mcp-Param-Count'];
    delete h['Mcp-Param-Tenant'];
    delete h['Mcp-Param-Id'];
    expect(() => check(h, a)).not.toThrow();
    expect(() => check({ ...h, 'Mcp-Param-Region': 'anything' }, a)).not.toThrow();
    expect(() => checkParamHeaders({}, SCHEMA, undefined)).not.toThrow();
    expect(() => checkParamHeaders({}, SCHEMA, {})).not.toThrow();
  });

  it('refuses a header that disagrees with the body', () => {
    mismatch(() => check({ ...ok, 'Mcp-Param-Region': 'eu-west1' }), 'Mcp-Param-Region');
    mismatch(() => check({ ...ok, 'Mcp-Param-Region': 'US-WEST1' }), 'Mcp-Param-Region');
    mismatch(() => check({ ...ok, 'Mcp-Param-Tenant': 'evil' }), 'Mcp-Param-Tenant');
    mismatch(() => check({ ...ok, 'Mcp-Param-Count': '43' }), 'Mcp-Param-Count');
    mismatch(() => check({ ...ok, 'Mcp-Param-Count': 'forty-two' }), 'Mcp-Param-Count');
    mismatch(() => check({ ...ok, 'Mcp-Param-Count': '' }), 'Mcp-Param-Count');
  });

  it('compares integers and numbers numerically', () => {
    for (const v of ['42', '42.0', '42.000', '042'])
      expect(() => check({ ...ok, 'Mcp-Param-Count': v }), v).not.toThrow();
    for (const v of ['0.5', '0.50', '00.5'])
      expect(() => check({ ...ok, 'Mcp-Param-Ratio': v }), v).not.toThrow();
    for (const v of ['42.1', '+42', '4.2e1', '0x2a'])
      mismatch(() => check({ ...ok, 'Mcp-Param-Count': v }), 'Mcp-Param-Count');
    // A string-typed property is compared as text, even when it looks like a number.
    const s = { ...args, region: '42' };
    expect(() => check({ ...ok, 'Mcp-Param-Region': '42' }, s)).not.toThrow();
    mismatch(() => check({ ...ok, 'Mcp-Param-Region': '42.0' }, s), 'Mcp-Param-Region');
  });

  it('compares booleans as lower-case true/false', () => {
    const t = { ...args, dryRun: true };
    expect(() => check({ ...ok, 'Mcp-Param-Dry-Run': 'true' }, t)).not.toThrow();
    for (const v of ['True', 'TRUE', '1', 'yes', 'false'])
      mismatch(() => check({ ...ok, 'Mcp-Param-Dry-Run': v }, t), 'Mcp-Param-Dry-Run');
  });

  it('decodes the base64 sentinel and refuses an invalid one', () => {
    const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;
    const a = { ...args, region: 'Zürich 北' };
    expect(() => check({ ...ok, 'Mcp-Param-Region': b64('Zürich 北') }, a)).not.toThrow();
    expect(() => check({ ...ok, 'Mcp-Param-Region': b64('us-west1') })).not.toThrow();
    expect(() => check({ ...ok, 'Mcp-Param-Count': b64('42') })).not.toThrow();
    // Leading whitespace survives only inside the sentinel (HTTP strips OWS).
    const lead = { ...args, region: ' us' };
    expect(() => check({ ...ok, 'Mcp-Param-Region': b64(' us') }, lead)).not.toThrow();
    mismatch(() => check({ ...ok, 'Mcp-Param-Region': ' us' }, lead), 'Mcp-Param-Region');
    for (const bad of ['=?base64?SGVsbG8?=', '=?base64?SGVs!!!bG8=?=', '=?base64?/w==?=']) {
      const e = mismatch(() => check({ ...ok, 'Mcp-Param-Region': bad }), 'Mcp-Param-Region');
      expect(e.message, bad).toContain('invalid');
    }
    // Not fully wrapped: a literal value, compared as such.
    const lit = { ...args, region: '=?base64?SGVsbG8=' };
    expect(() => check({ ...ok, 'Mcp-Param-Region': '=?base64?SGVsbG8=' }, lit)).not.toThrow();
    const plain = { ...args, region: 'SGVsbG8=' };
    expect(() => check({ ...ok, 'Mcp-Param-Region': 'SGVsbG8=' }, plain)).not.toThrow();
  });
});

describe('paramHeaders', () => {
  it('writes the declared headers, omitting absent, null and non-primitive values', () => {
    expect(
      paramHeaders(SCHEMA, {
        region: 'Zürich',
        count: 3,
        dryRun: true,
        ratio: null,
        target: { tenant: ['not', 'primitive'], deep: { id: 2 ** 60 } },
      }),
    ).toEqual({
      'Mcp-Param-Region': `=?base64?${Buffer.from('Zürich').toString('base64')}?=`,
      'Mcp-Param-Count': '3',
      'Mcp-Param-Dry-Run': 'true',
    });
    expect(paramHeaders(undefined, { region: 'x' })).toEqual({});
  });

  const primitive = {
    string: fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string(),
      fc.constantFrom(' x', '=?base64?QQ==?='),
    ),
    integer: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constant(-0)),
    number: fc.double({ noNaN: true, noDefaultInfinity: true }),
    boolean: fc.boolean(),
  } as const;
  const argsArb = fc.record(
    {
      region: fc.option(primitive.string, { nil: null }),
      count: primitive.integer,
      ratio: primitive.number,
      dryRun: primitive.boolean,
      target: fc.record(
        { tenant: primitive.string, deep: fc.record({ id: primitive.integer }) },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );

  it('builds exactly what checkParamHeaders accepts (property)', () => {
    fc.assert(
      fc.property(argsArb, (a) => {
        const h = paramHeaders(SCHEMA, a);
        expect(() => checkParamHeaders(asReceived(h), SCHEMA, a)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('and the check notices when any one written header is swapped for another value (property)', () => {
    fc.assert(
      fc.property(argsArb, fc.nat(), (a, pick) => {
        const h = paramHeaders(SCHEMA, a);
        const names = Object.keys(h);
        fc.pre(names.length > 0);
        const name = names[pick % names.length];
        const swapped = { ...h, [name]: `${h[name]}-changed` };
        mismatch(() => checkParamHeaders(asReceived(swapped), SCHEMA, a), name);
        const dropped = { ...h };
        delete dropped[name];
        mismatch(() => checkParamHeaders(asReceived(dropped), SCHEMA, a), name);
      }),
      { numRuns: 300 },
    );
  });
});
