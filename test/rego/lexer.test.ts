import { describe, expect, it } from 'vitest';
import { tokenize, type Token } from '../../src/rego/lexer.ts';

const kinds = (src: string): string[] => tokenize('t.rego', src).map((t) => `${t.kind}:${t.text}`);

const only = (src: string): Token => {
  const toks = tokenize('t.rego', src);
  expect(toks).toHaveLength(2);
  return toks[0];
};

const lexError = (src: string): Token => {
  const toks = tokenize('t.rego', src);
  const last = toks[toks.length - 1];
  expect(last.kind).toBe('error');
  return last;
};

describe('lexer', () => {
  it('splits identifiers, keywords, operators and punctuation', () => {
    expect(kinds('p := x.y[0] if { not a != b; c <= d >= e == f }')).toEqual([
      'ident:p',
      'op::=',
      'ident:x',
      'op:.',
      'ident:y',
      'op:[',
      'number:0',
      'op:]',
      'ident:if',
      'op:{',
      'ident:not',
      'ident:a',
      'op:!=',
      'ident:b',
      'op:;',
      'ident:c',
      'op:<=',
      'ident:d',
      'op:>=',
      'ident:e',
      'op:==',
      'ident:f',
      'op:}',
      'eof:',
    ]);
    expect(kinds('a+b-c*d/e%f&g|h=i<j>k:l,m')).toEqual([
      'ident:a',
      'op:+',
      'ident:b',
      'op:-',
      'ident:c',
      'op:*',
      'ident:d',
      'op:/',
      'ident:e',
      'op:%',
      'ident:f',
      'op:&',
      'ident:g',
      'op:|',
      'ident:h',
      'op:=',
      'ident:i',
      'op:<',
      'ident:j',
      'op:>',
      'ident:k',
      'op::',
      'ident:l',
      'op:,',
      'ident:m',
      'eof:',
    ]);
  });

  it('records line, column and the whitespace/newline before each token', () => {
    const [a, b, c, d] = tokenize('t.rego', 'a  b # note\n\tc.d');
    expect(a).toMatchObject({ line: 1, col: 1, ws: false, nl: false });
    expect(b).toMatchObject({ line: 1, col: 4, ws: true, nl: false });
    expect(c).toMatchObject({ line: 2, col: 2, ws: true, nl: true });
    expect(d).toMatchObject({ kind: 'op', text: '.', ws: false, nl: false });
  });

  it('counts columns in UTF-16 code units and lines across raw strings', () => {
    const toks = tokenize('t.rego', 'x := "😀" y\n`a\nb` z');
    expect(toks.find((t) => t.text === 'y')).toMatchObject({ line: 1, col: 11 }); // the emoji is 2 units
    expect(toks.find((t) => t.text === 'z')).toMatchObject({ line: 3, col: 4 });
  });

  it('skips a leading byte-order mark and \\r\\n line ends', () => {
    const toks = tokenize('t.rego', '\ufeffa\r\nb');
    expect(toks[0]).toMatchObject({ text: 'a', col: 2 });
    expect(toks[1]).toMatchObject({ text: 'b', line: 2, col: 1, nl: true });
  });

  it('scans identifiers with digits and underscores, including Unicode digits', () => {
    expect(only('__local0__').text).toBe('__local0__');
    expect(only('x١٢').text).toBe('x١٢');
  });

  it('scans JSON numbers and keeps their text', () => {
    for (const n of ['0', '12', '1.5', '0.25', '1e10', '2E-3', '3.0e+2']) {
      expect(only(n)).toMatchObject({ kind: 'number', text: n });
    }
    expect(lexError('1.').text).toMatch(/expected fraction/);
    expect(lexError('1e').text).toMatch(/expected exponent/);
    expect(lexError('12ab').text).toBe("invalid number '12ab'");
  });

  it('decodes every JSON escape in strings', () => {
    expect(only(String.raw`"a\"b\\c\/d\be\ff\ng\rh\ti"`).text).toBe('a"b\\c/d\be\ff\ng\rh\ti');
    expect(only(String.raw`"\u00e9\u0041"`).text).toBe('éA');
    expect(only(String.raw`"\uD83D\uDE00"`).text).toBe('😀');
    // A lone surrogate cannot be encoded as UTF-8: Go's JSON decoder (OPA) gives U+FFFD.
    expect(only(String.raw`"\uD800x"`).text).toBe('\ufffdx');
  });

  it('rejects bad escapes and unterminated strings with their position', () => {
    const q = lexError('x := "ab\\q"');
    expect(q).toMatchObject({ text: 'invalid escape \\q', line: 1, col: 9 });
    expect(lexError('"\\u12"').text).toMatch(/invalid escape \\u12: expected 4 hex digits/);
    expect(lexError('x := "abc\ny"')).toMatchObject({ text: 'unterminated string', col: 6 });
    expect(lexError('"abc').text).toBe('unterminated string');
    expect(lexError('`abc').text).toBe('unterminated raw string');
  });

  it('keeps raw strings verbatim, newlines and backslashes included', () => {
    expect(only('`a\\n\n"b"`')).toMatchObject({ kind: 'string', text: 'a\\n\n"b"' });
  });

  it('splits template strings around embedded expressions', () => {
    const toks = tokenize('t.rego', '$"a {x} b {{1}} c"');
    expect(toks.map((t) => [t.kind, t.text, t.tmplStart ?? null, t.tmplEnd ?? null])).toEqual([
      ['template', 'a ', true, false],
      ['ident', 'x', null, null],
      ['template', ' b ', false, false],
      ['op', '{', null, null],
      ['number', '1', null, null],
      ['op', '}', null, null],
      ['template', ' c', false, true],
      ['eof', '', null, null],
    ]);
  });

  it('treats \\{ as a literal brace in both template forms', () => {
    expect(only('$"x \\{y} \\n"')).toMatchObject({ text: 'x {y} \n', tmplEnd: true });
    expect(only('$`x \\{y} \\n`')).toMatchObject({ text: 'x {y} \\n', tmplEnd: true });
  });

  it('nests template strings inside embedded expressions', () => {
    const texts = tokenize('t.rego', '$"{$"{a}"} b"').map((t) => `${t.kind}:${t.text}`);
    expect(texts).toEqual([
      'template:',
      'template:',
      'ident:a',
      'template:',
      'template: b',
      'eof:',
    ]);
  });

  it('rejects an unterminated template string, and newlines in the quoted form', () => {
    expect(lexError('$"abc').text).toBe('unterminated template string');
    expect(lexError('$"a\nb"').text).toBe('unterminated template string');
    expect(tokenize('t.rego', '$`a\nb`')[0]).toMatchObject({ text: 'a\nb', tmplEnd: true });
  });

  it('rejects characters that are not Rego', () => {
    expect(lexError('a ! b').text).toMatch(/unexpected '!'/);
    expect(lexError('a @ b')).toMatchObject({ text: "illegal character '@'", col: 3 });
    expect(lexError('a \u0000').text).toBe('illegal null character');
    expect(lexError('$x').text).toMatch(/template string starts with/);
    expect(lexError('é').text).toBe("illegal character 'é'");
  });

  it('stops at the first error, keeping the tokens before it', () => {
    const toks = tokenize('t.rego', 'a b @ c');
    expect(toks.map((t) => t.kind)).toEqual(['ident', 'ident', 'error']);
  });
});
