// Values, JSON and Rego value syntax of the runtime, through its exports directly.
import { describe, expect, test } from 'vitest';
import { IRBuilder, RawModule } from '../../src/rego/runtime/testkit.ts';

function mod(): RawModule {
  const { wasm, minPages } = new IRBuilder().link();
  return new RawModule(wasm, minPages);
}

describe('JSON round trip', () => {
  const m = mod();
  const rt = (s: string) => m.json(m.parse(s));

  test('scalars and containers', () => {
    expect(rt('null')).toBe('null');
    expect(rt(' true ')).toBe('true');
    expect(rt('false')).toBe('false');
    expect(rt('[1, -2, 0, 9223372036854775807, -9223372036854775808]')).toBe(
      '[1,-2,0,9223372036854775807,-9223372036854775808]',
    );
    expect(rt('{"b": 1, "a": {"d": [], "c": {}}}')).toBe('{"a":{"c":{},"d":[]},"b":1}');
    expect(rt('"plain"')).toBe('"plain"');
  });

  test('big integers and decimals keep their exact text', () => {
    expect(rt('123456789012345678901234567890')).toBe('123456789012345678901234567890');
    expect(rt('-9223372036854775809')).toBe('-9223372036854775809');
    expect(rt('[13.37, 0.1, 1e3, -2.5E-3]')).toBe('[13.37,0.1,1e3,-2.5E-3]');
  });

  test('duplicate keys: the last one wins', () => {
    expect(rt('{"a": 1, "b": 2, "a": 3}')).toBe('{"a":3,"b":2}');
  });

  test('unicode: raw UTF-8, escapes, surrogate pairs, lone surrogates', () => {
    expect(rt('"é😀中"')).toBe('"é😀中"');
    expect(rt('"\\u00e9\\ud83d\\ude00\\u4e2d"')).toBe('"é😀中"');
    expect(rt('"\\ud800x"')).toBe('"\uFFFDx"');
    expect(rt('"\\udc00"')).toBe('"\uFFFD"');
    expect(rt('"a\\"b\\\\c\\/\\n\\t\\r\\b\\f\\u0001"')).toBe('"a\\"b\\\\c/\\n\\t\\r\\b\\f\\u0001"');
    expect(JSON.parse(rt('"\\u0000z"'))).toBe('\u0000z');
  });

  test('invalid JSON yields 0', () => {
    const bad = [
      '',
      ' ',
      '{"a":1,}',
      '[1,]',
      '01',
      '1.',
      '.5',
      '-',
      '1e',
      'tru',
      'nul',
      '"abc',
      '"\\x"',
      '"\\u12g4"',
      '{1: 2}',
      '{"a" 1}',
      '1 2',
      '[1 2]',
      'set()',
      '{1, 2}',
      '"a\u0001b"',
      'NaN',
      '+1',
      "'a'",
      '[',
      '{"a":}',
    ];
    for (const s of bad) expect(m.parse(s), s).toBe(0);
  });

  test('invalid UTF-8 bytes yield 0', () => {
    for (const bytes of [
      [0x22, 0xff, 0x22],
      [0x22, 0xc0, 0xaf, 0x22],
      [0x22, 0xed, 0xa0, 0x80, 0x22],
      [0x22, 0xe2, 0x82, 0x22],
    ]) {
      const p = m.x.opa_malloc(bytes.length);
      new Uint8Array(m.memory.buffer).set(bytes, p);
      expect(m.x.opa_json_parse(p, bytes.length)).toBe(0);
    }
  });

  test('nesting: 1000 levels parse, deeper aborts', () => {
    expect(m.parse('['.repeat(1000) + ']'.repeat(1000))).not.toBe(0);
    expect(() => m.parse('['.repeat(1001) + ']'.repeat(1001))).toThrow('input too deeply nested');
    expect(() => m.parse('{"a":'.repeat(1001) + '1' + '}'.repeat(1001))).toThrow(
      'input too deeply nested',
    );
  });
});

describe('Rego value syntax and sort order', () => {
  const m = mod();
  const rv = (s: string) => m.rego(m.parse(s, true));

  test('sets, objects, empty set', () => {
    expect(rv('set()')).toBe('set()');
    expect(rv('{1, 2}')).toBe('{1, 2}');
    expect(rv('{"b": 1, "a": [true, null]}')).toBe('{"a": [true, null], "b": 1}');
    expect(rv('{}')).toBe('{}');
    expect(rv('"a\\nb\\u0001"')).toBe('"a\\nb\\x01"');
    expect(m.json(m.parse('{3, 1, 2}', true))).toBe('[1,2,3]');
    expect(m.json(m.parse('{1: "a", [1]: 2, "s": 3}', true))).toBe('{"1":"a","s":3,"[1]":2}');
  });

  test('total order across types', () => {
    expect(rv('{set(), {}, [], "a", 1, true, false, null}')).toBe(
      '{null, false, true, 1, "a", [], {}, set()}',
    );
  });

  test('numbers compare numerically; 1 == 1.0', () => {
    expect(rv('{3, 1.5, -2, 10, 1, 1.0, 2.0e0}')).toBe('{-2, 1, 1.5, 2.0e0, 3, 10}');
    expect(
      rv(
        '{123456789012345678901234567891, 123456789012345678901234567890, -99999999999999999999, 5, 1e300}',
      ),
    ).toBe(
      '{-99999999999999999999, 5, 123456789012345678901234567890, 123456789012345678901234567891, 1e300}',
    );
    expect(rv('{"k": 1, "k": 1.0}')).toBe('{"k": 1.0}');
  });

  test('strings bytewise (code point order)', () => {
    expect(rv('{"b", "a", "ab", "", "é", "z", "😀", "\\uffff"}')).toBe(
      '{"", "a", "ab", "b", "z", "é", "\uffff", "😀"}',
    );
  });

  test('arrays lexicographic then by length; objects by keys then values; sets', () => {
    expect(rv('{[1, 2], [1], [0, 5], [2], []}')).toBe('{[], [0, 5], [1], [1, 2], [2]}');
    expect(rv('{{"a": 2}, {"a": 1}, {"b": 0}, {"a": 1, "b": 0}, {}}')).toBe(
      '{{}, {"a": 1}, {"a": 1, "b": 0}, {"a": 2}, {"b": 0}}',
    );
    expect(rv('{{2}, {1, 2}, {1}, set()}')).toBe('{set(), {1}, {1, 2}, {2}}');
  });
});

describe('value paths', () => {
  test('opa_value_add_path / opa_value_remove_path', () => {
    const m = mod();
    const base = m.parse('{"a": {"b": 1}, "x": 2}');
    expect(m.x.opa_value_add_path(base, m.parse('["a", "c", "d"]'), m.parse('[true]'))).toBe(0);
    expect(m.json(base)).toBe('{"a":{"b":1,"c":{"d":[true]}},"x":2}');
    expect(m.x.opa_value_add_path(base, m.parse('["x", "y"]'), m.parse('1'))).toBe(3);
    expect(m.x.opa_value_add_path(m.parse('[]'), m.parse('["x"]'), m.parse('1'))).toBe(2);
    expect(m.x.opa_value_add_path(base, m.parse('"x"'), m.parse('1'))).toBe(2);
    expect(m.x.opa_value_remove_path(base, m.parse('["a", "b"]'))).toBe(0);
    expect(m.json(base)).toBe('{"a":{"c":{"d":[true]}},"x":2}');
    expect(m.x.opa_value_remove_path(base, m.parse('["a", "zz"]'))).toBe(3);
    expect(m.x.opa_value_remove_path(base, m.parse('["q", "zz"]'))).toBe(3);
    expect(m.x.opa_value_remove_path(base, m.parse('["x"]'))).toBe(0);
    expect(m.json(base)).toBe('{"a":{"c":{"d":[true]}}}');
  });
});
