// regex.* and glob.* builtins: Go regexp semantics on RE2 (linear time), gobwas/glob patterns,
// and the glob-intersection test behind regex.globs_match. Expectations from OPA's v1/regex*,
// globmatch, globsmatch and globquotemeta compliance cases.
import { describe, expect, it } from 'vitest';
import { call, table } from './builtins-table.ts';

describe('regex.match / is_valid', () => {
  table([
    ['regex.match', ['^[a-z]+\\[[0-9]+\\]$', 'foo[1]'], true],
    ['regex.match', ['^$', ''], true],
    ['regex.match', ['', 'x'], true],
    ['regex.match', ['^$', 'something'], false],
    ['regex.match', ['$^[[[', 'something'], undefined],
    ['regex.match', ['(?i)ABC', 'xabcx'], true],
    ['regex.match', ['^.$', '😀'], true],
    ['regex.match', ['^\\p{Greek}+$', 'αβγ'], true],
    ['regex.match', ['(?P<word>\\w+)', 'x'], true],
    ['regex.match', ['a(?=b)', 'ab'], undefined],
    ['regex.match', ['a', 1], undefined],
    ['regex.is_valid', ['.+'], true],
    ['regex.is_valid', ['++'], false],
    ['regex.is_valid', [1], false],
  ]);
  it('a pathological pattern on hostile input completes (RE2 does not backtrack)', () => {
    const subject = 'a'.repeat(30) + '!';
    expect(call('regex.match', '(a+)+$', subject)).toBe(false);
    expect(call('regex.match', '(a+)+!$', subject)).toBe(true);
    expect(call('regex.match', '^(a+)+$', subject)).toBe(false);
    expect(call('regex.match', '^(a|aa)*b$', 'a'.repeat(5000))).toBe(false);
  });
});

describe('regex.find_n / find_all_string_submatch_n', () => {
  table([
    ['regex.find_n', ['a.', 'paranormal', -1], ['ar', 'an', 'al']],
    ['regex.find_n', ['a.', 'paranormal', 2], ['ar', 'an']],
    ['regex.find_n', ['a.', 'paranormal', 0], []],
    ['regex.find_n', ['^a.', 'abacadaeaf', -1], ['ab']],
    ['regex.find_n', ['.$', 'abacadaeaf', -1], ['f']],
    ['regex.find_n', ['[abcdef]{2}', 'abacadaeaf', -1], ['ab', 'ac', 'ad', 'ae', 'af']],
    ['regex.find_n', ['bork', 'paranormal', -1], []],
    // Go skips an empty match right after a previous match.
    ['regex.find_n', ['a*', 'baaac', -1], ['', 'aaa', '']],
    ['regex.find_n', ['', '😀a', -1], ['', '', '']],
    ['regex.find_n', ['[', 'x', -1], undefined],
    ['regex.find_all_string_submatch_n', ['a(x*)b', '-', -1], []],
    ['regex.find_all_string_submatch_n', ['a(x*)b', '-ab-', -1], [['ab', '']]],
    ['regex.find_all_string_submatch_n', ['a(x*)b', '-axxb-', -1], [['axxb', 'xx']]],
    [
      'regex.find_all_string_submatch_n',
      ['a(x*)b', '-axxb-ab-', -1],
      [
        ['axxb', 'xx'],
        ['ab', ''],
      ],
    ],
    [
      'regex.find_all_string_submatch_n',
      ['[^aouiye]([aouiye])([^aouiye])?', 'somestri', -1],
      [
        ['som', 'o', 'm'],
        ['ri', 'i', ''],
      ],
    ],
    [
      'regex.find_all_string_submatch_n',
      ['[^aouiye]([aouiye])([^aouiye])?', 'somestri', 1],
      [['som', 'o', 'm']],
    ],
  ]);
});

describe('regex.replace / split', () => {
  table([
    ['regex.replace', ['-wy-wxxy-', 'w(x*)y', '0'], '-0-0-'],
    ['regex.replace', ['foo', '(foo)', '$1$1'], 'foofoo'],
    ['regex.replace', ['foo', '[', '$1'], undefined],
    ['regex.replace', ['foo', '^[a-z]', 'F'], 'Foo'],
    ['regex.replace', ['foo', '^[a-z]$', 'F'], 'foo'],
    ['regex.replace', ['foo', '^[a-z]+$', 'M'], 'M'],
    ['regex.replace', ['foo', '[a-z]$', 'F'], 'foF'],
    ['regex.replace', ['foo bar', '[a-z]', '_'], '___ ___'],
    ['regex.replace', ['foo barx', '[a-z]{3}', '_'], '_ _x'],
    ['regex.replace', ['foo barx', '[a-z]{2}', '_'], '_o __'],
    ['regex.replace', ['abc-def', '(\\w+)-(?P<x>\\w+)', '${x}-$1$$'], 'def-abc$'],
    // "$1x" names a group "1x", which does not exist: it expands to nothing, as in Go.
    ['regex.replace', ['ab', '(a)', '$1x'], 'b'],
    ['regex.replace', ['baaac', 'a*', '-'], '-b-c-'],
    ['regex.split', ['^[a-z]+\\[[0-9]+\\]$', ''], ['']],
    ['regex.split', ['^[a-z]+', 'foobar baz'], ['', ' baz']],
    ['regex.split', ['[a-z]+$', 'foobar baz'], ['foobar ', '']],
    ['regex.split', ['^[a-z]+$', 'foobar baz'], ['foobar baz']],
    ['regex.split', ['^[a-z ]+$', 'foobar baz'], ['', '']],
    ['regex.split', ['a', 'banana'], ['b', 'n', 'n', '']],
    ['regex.split', ['z+', 'pizza'], ['pi', 'a']],
    ['regex.split', ['', 'abc'], ['a', 'b', 'c']],
  ]);
});

describe('regex.template_match / globs_match', () => {
  table([
    ['regex.template_match', ['urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}'], true],
    ['regex.template_match', ['urn:foo:<.*>', 'urn:foo:bar:baz', '<', '>'], true],
    ['regex.template_match', ['urn:foo.bar:{[0-9]{2}}', 'urn:foo.bar:42', '{', '}'], true],
    ['regex.template_match', ['urn:foo.bar:{[0-9]{2}}', 'urn:fooxbar:42', '{', '}'], false],
    ['regex.template_match', ['urn:{.*', 'urn:x', '{', '}'], undefined],
    ['regex.template_match', ['urn:{[}', 'urn:x', '{', '}'], undefined],
    ['regex.globs_match', ['a.a.[0-9]+z', '.b.b2359825792*594823z'], true],
    ['regex.globs_match', ['[a-z]+', '[0-9]*'], false],
    ['regex.globs_match', ['[a-z]+\\[[0-9]+\\]', 'foo\\[1\\]'], true],
    ['regex.globs_match', ['b.*', 'b'], true],
    ['regex.globs_match', ['pqrs]', '[a-b]+'], undefined],
    ['regex.globs_match', ['a+', '*'], undefined],
    ['regex.globs_match', ['abc', 'abd'], false],
  ]);
});

describe('glob.match (gobwas/glob)', () => {
  table([
    ['glob.match', ['*.github.com', ['.'], 'api.github.com'], true],
    ['glob.match', ['*.github.com', ['.'], 'api.cdn.github.com'], false],
    ['glob.match', ['api.**.com', ['.'], 'api.cdn.github.com'], true],
    ['glob.match', ['*:github:com', [':'], 'api:github:com'], true],
    ['glob.match', ['*.github.com', ['.'], 'api.not-github.com'], false],
    ['glob.match', ['[abc]at', [], 'cat'], true],
    ['glob.match', ['[!abc]at', [], 'fat'], true],
    ['glob.match', ['[!abc]at', [], 'cat'], false],
    ['glob.match', ['[a-c]at', [], 'bat'], true],
    ['glob.match', ['[a-c]at', [], 'fat'], false],
    ['glob.match', ['[!a-c]at', [], 'bat'], false],
    ['glob.match', ['[!a-c]at', [], 'fat'], true],
    ['glob.match', ['?at', [], 'fat'], true],
    ['glob.match', ['?at', ['f'], 'bat'], true],
    ['glob.match', ['?at', ['f'], 'fat'], false],
    ['glob.match', ['{cat,bat,[fr]at}', [], 'cat'], true],
    ['glob.match', ['{cat,bat,[fr]at}', [], 'rat'], true],
    ['glob.match', ['{cat,bat,[fr]at}', [], 'at'], false],
    ['glob.match', ['*', ['.'], 'foo'], true],
    ['glob.match', ['*', [], 'foo.bar'], false],
    ['glob.match', ['*', null, 'foo.bar'], true],
    ['glob.match', ['foo*', null, 'foo.bar'], true],
    ['glob.match', ['tools/*/read', ['/'], 'tools/fs/read'], true],
    ['glob.match', ['tools/*/read', ['/'], 'tools/fs/x/read'], false],
    ['glob.match', ['tools/**', ['/'], 'tools/fs/x/read'], true],
    ['glob.match', ['a\\*b', [], 'a*b'], true],
    ['glob.match', ['a\\*b', [], 'axb'], false],
    ['glob.match', ['(x)+', [], '(x)+'], true],
    ['glob.match', ['*', [], 'line1\nline2'], true],
    ['glob.match', ['[abc', [], 'a'], undefined],
    ['glob.match', ['{a,b', [], 'a'], undefined],
    ['glob.match', ['*', 'x', 'a'], undefined],
    ['glob.quote_meta', ['*.github.com'], '\\*.github.com'],
    ['glob.quote_meta', ['[a]{b}?\\'], '\\[a\\]\\{b\\}\\?\\\\'],
  ]);
  it('quote_meta output matches itself literally', () => {
    const s = 'a*b?[c]{d,e}\\f';
    expect(call('glob.match', call('glob.quote_meta', s), null, s)).toBe(true);
  });
});
