// json.* and encoding builtins. JSON Patch cases are taken from the json-patch test suite that
// OPA's compliance cases embed (RFC 6902 §A), plus OPA's own json.filter/remove cases.
import { describe, expect, it } from 'vitest';
import { call, set, table } from './builtins-table.ts';

describe('json.marshal / unmarshal / is_valid', () => {
  table([
    ['json.marshal', [[{ foo: [1, 2, 3] }]], '[{"foo":[1,2,3]}]'],
    ['json.marshal', [[1234567890, 2000000, 1000000000]], '[1234567890,2000000,1000000000]'],
    ['json.marshal', [{ b: 1, a: '<&>' }], '{"a":"\\u003c\\u0026\\u003e","b":1}'],
    ['json.marshal', [set(1, 2)], '[1,2]'],
    ['json.marshal_with_options', [{ a: [1] }, { pretty: true }], '{\n\t"a": [\n\t\t1\n\t]\n}'],
    ['json.marshal_with_options', [{ a: 1 }, { indent: '  ' }], '{\n  "a": 1\n}'],
    ['json.marshal_with_options', [{ a: 1 }, { prefix: '> ', indent: ' ' }], '> {\n>  "a": 1\n> }'],
    ['json.marshal_with_options', [{ a: 1 }, { pretty: false, indent: ' ' }], '{"a":1}'],
    ['json.marshal_with_options', [{ a: [] }, {}], '{"a":[]}'],
    ['json.marshal_with_options', [{ a: 1 }, { bogus: 1 }], undefined],
    ['json.marshal_with_options', [{ a: 1 }, { pretty: 'yes' }], undefined],
    ['json.unmarshal', ['[{"foo":[1,2,3]}]'], [{ foo: [1, 2, 3] }]],
    ['json.unmarshal', ['{'], undefined],
    ['json.unmarshal', [1], undefined],
    ['json.is_valid', ['{"a": 1}'], true],
    ['json.is_valid', ['{"a": 1'], false],
    ['json.is_valid', [1], false],
  ]);
});

describe('json.filter / json.remove', () => {
  table([
    ['json.filter', [{ a: { b: 7, c: 8 }, d: 9 }, ['a/b']], { a: { b: 7 } }],
    ['json.filter', [{ a: { b: 7 } }, set('a', 'a/b')], { a: { b: 7 } }],
    [
      'json.filter',
      [{ a: [{ b: 7, c: 8 }, { d: 9 }] }, set('a/0/b', 'a/1')],
      { a: [{ b: 7 }, { d: 9 }] },
    ],
    [
      'json.filter',
      [{ a: [{ '1': ['b', 'c', 'd'] }, { x: 'y' }] }, ['a/0/1/2']],
      { a: [{ '1': ['d'] }] },
    ],
    [
      'json.filter',
      [{ a: { b: { c: 7, d: 8 } }, e: 9 }, [['a', 'b', 'c'], ['e']]],
      { a: { b: { c: 7 } }, e: 9 },
    ],
    ['json.filter', [{ a: 1 }, []], {}],
    ['json.filter', [{ 'a/b': 1, c: 2 }, ['a~1b']], { 'a/b': 1 }],
    ['json.filter', [{ s: set('x', 'y') }, ['s/x']], { s: set('x') }],
    ['json.filter', [[1], ['a']], undefined],
    ['json.remove', [{ a: { b: 7, c: 8 }, d: 9 }, ['a/b']], { a: { c: 8 }, d: 9 }],
    ['json.remove', [{ a: { b: 7 }, c: 1 }, set('a', 'a/b')], { c: 1 }],
    ['json.remove', [{ a: { b: 7 }, c: 1 }, set('a', 'c')], {}],
    [
      'json.remove',
      [{ a: [{ '1': ['b', 'c', 'd'] }, { x: 'y' }] }, ['a/0/1/2']],
      { a: [{ '1': ['b', 'c'] }, { x: 'y' }] },
    ],
    ['json.remove', [{ a: [1, 2, 3] }, ['a/1']], { a: [1, 3] }],
    ['json.remove', [{ a: 1 }, []], { a: 1 }],
    ['json.remove', [{ s: set('x', 'y') }, ['s/x']], { s: set('y') }],
    ['json.remove', ['a', ['a']], undefined],
    ['json.remove', [{ a: 1 }, [1]], undefined],
    ['json.remove', [{ a: 1 }, 'a'], undefined],
  ]);
});

describe('json.patch (RFC 6902)', () => {
  const patch = (doc: unknown, ops: unknown[]): unknown => call('json.patch', doc, ops);
  const cases: Array<[string, unknown, unknown[], unknown]> = [
    [
      'add object member',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux' }],
      { foo: 'bar', baz: 'qux' },
    ],
    [
      'add array element',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    ['append with -', { foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }], { foo: [1, 2] }],
    [
      'remove object member',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'remove', path: '/baz' }],
      { foo: 'bar' },
    ],
    [
      'remove array element',
      { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }],
      { foo: ['bar', 'baz'] },
    ],
    [
      'replace',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'move',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'move array element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'copy',
      { a: { b: 1 } },
      [{ op: 'copy', from: '/a', path: '/c' }],
      { a: { b: 1 }, c: { b: 1 } },
    ],
    [
      'test success',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    ['test failure', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], undefined],
    [
      'add nested member',
      { foo: 'bar' },
      [{ op: 'add', path: '/child', value: { grandchild: {} } }],
      { foo: 'bar', child: { grandchild: {} } },
    ],
    ['missing parent', { q: { bar: 2 } }, [{ op: 'add', path: '/a/b', value: 1 }], undefined],
    [
      'index out of bounds',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/4', value: 'qux' }],
      undefined,
    ],
    [
      'leading zero index',
      { foo: ['bar'] },
      [{ op: 'add', path: '/foo/01', value: 'x' }],
      undefined,
    ],
    ['remove missing', { foo: 1 }, [{ op: 'remove', path: '/bar' }], undefined],
    [
      'escaped pointer',
      { 'a/b': 1, 'm~n': 2 },
      [
        { op: 'test', path: '/a~1b', value: 1 },
        { op: 'test', path: '/m~0n', value: 2 },
      ],
      { 'a/b': 1, 'm~n': 2 },
    ],
    ['replace root', { foo: 1 }, [{ op: 'replace', path: '', value: [1] }], [1]],
    ['add to root', {}, [{ op: 'add', path: '', value: 'x' }], 'x'],
    ['array path form', { a: [1, 2] }, [{ op: 'add', path: ['a', 0], value: 0 }], { a: [0, 1, 2] }],
    ['unknown op', {}, [{ op: 'frob', path: '/a' }], undefined],
    ['missing value', {}, [{ op: 'add', path: '/a' }], undefined],
    ['missing from', { a: 1 }, [{ op: 'move', path: '/b' }], undefined],
    ['not an object op', {}, [1], undefined],
    ['test null value', { a: null }, [{ op: 'test', path: '/a', value: null }], { a: null }],
    [
      'sequential ops',
      [1, 2],
      [
        { op: 'remove', path: '/0' },
        { op: 'add', path: '/-', value: 3 },
      ],
      [2, 3],
    ],
  ];
  for (const [name, doc, ops, want] of cases) {
    it(name, () => expect(patch(doc, ops)).toEqual(want));
  }
  it('does not mutate its argument', () => {
    const doc = { a: [1] };
    patch(doc, [{ op: 'add', path: '/a/-', value: 2 }]);
    expect(doc).toEqual({ a: [1] });
  });
});

describe('base64, base64url, hex', () => {
  table([
    ['base64.encode', ['hello'], 'aGVsbG8='],
    ['base64.encode', ['åäö'], 'w6XDpMO2'],
    ['base64.decode', ['aGVsbG8='], 'hello'],
    ['base64.decode', ['aGVsbG8'], undefined],
    ['base64.decode', ['a$=='], undefined],
    ['base64.decode', ['aGVs\nbG8='], 'hello'],
    ['base64.decode', [''], ''],
    ['base64.is_valid', ['aGVsbG8='], true],
    ['base64.is_valid', ['aGVsbG8'], false],
    ['base64.is_valid', [1], false],
    ['base64url.encode', ['\u00ff\u00fe?'], 'w7_Dvj8='],
    ['base64url.encode_no_pad', ['\u00ff\u00fe?'], 'w7_Dvj8'],
    ['base64url.decode', ['w7_Dvj8='], '\u00ff\u00fe?'],
    ['base64url.decode', ['w7_Dvj8'], '\u00ff\u00fe?'],
    ['base64url.decode', ['aGVsbG8'], 'hello'],
    ['base64url.decode', ['a'], undefined],
    ['base64url.decode', ['w7/Dvj8='], undefined],
    ['hex.encode', ['lorem ipsum'], '6c6f72656d20697073756d'],
    ['hex.decode', ['6c6f72656d20697073756d'], 'lorem ipsum'],
    ['hex.decode', ['6c6'], undefined],
    ['hex.decode', ['zz'], undefined],
  ]);
  it('base64.decode of invalid UTF-8 counts one rune per bad sequence, as OPA (30 for 32 bytes)', () => {
    expect(
      call('count', call('base64.decode', '2E84ZuPUd7zfvCZSNEchVpDEIj6PL7JfLpIqyxVG16k=')),
    ).toBe(30);
  });
});

describe('urlquery', () => {
  table([
    ['urlquery.encode', ['a b&c=d/é'], 'a+b%26c%3Dd%2F%C3%A9'],
    ['urlquery.encode', ['-_.~'], '-_.~'],
    ['urlquery.decode', ['a+b%26c%3Dd%2F%C3%A9'], 'a b&c=d/é'],
    ['urlquery.decode', ['%zz'], undefined],
    ['urlquery.decode', ['%4'], undefined],
    ['urlquery.encode_object', [{ a: 'b', c: ['d', 'e'] }], 'a=b&c=d&c=e'],
    ['urlquery.encode_object', [{ b: 'x y', a: set('1', '2') }], 'a=1&a=2&b=x+y'],
    ['urlquery.encode_object', [{ a: 1 }], undefined],
    ['urlquery.encode_object', [{}], ''],
    ['urlquery.decode_object', ['a=b&c=d&c=e'], { a: ['b'], c: ['d', 'e'] }],
    ['urlquery.decode_object', ['a&b='], { a: [''], b: [''] }],
    ['urlquery.decode_object', ['a=%zz'], undefined],
    ['urlquery.decode_object', ['a=1;b=2'], undefined],
    ['urlquery.decode_object', [''], {}],
  ]);
});
