// String builtins and sprintf, called the way the opa-wasm SDK calls them (JSON arguments, sets
// as sorted arrays). Expectations come from OPA's compliance cases (v1/strings, trim*, replacen,
// sprintf) and from Go's strings/fmt behaviour where the cases are silent.
import { describe } from 'vitest';
import { table } from './builtins-table.ts';

describe('concat, split, case, containment', () => {
  table([
    ['concat', ['/', ['a', 'b']], 'a/b'],
    ['concat', [',', ['1', '2', '3']], '1,2,3'],
    ['concat', ['', []], ''],
    ['concat', ['/', ['a', 1]], undefined],
    ['split', ['foo/bar/baz', '/'], ['foo', 'bar', 'baz']],
    ['split', ['foo', ','], ['foo']],
    ['split', ['', ','], ['']],
    ['split', ['a😀b', ''], ['a', '😀', 'b']],
    ['split', ['', ''], []],
    ['lower', ['AbC'], 'abc'],
    ['upper', ['aBc'], 'ABC'],
    ['upper', ['straße'], 'STRAßE'],
    ['lower', [1], undefined],
    ['contains', ['abcdefgh', 'defg'], true],
    ['contains', ['abcdefgh', 'fgh-'], false],
    ['startswith', ['abcdefgh', 'abcd'], true],
    ['endswith', ['abcdefgh', 'fgh'], true],
    ['endswith', ['abcdefgh', 'abc'], false],
    ['strings.count', ['cheese', 'e'], 3],
    ['strings.count', ['five', ''], 5],
    ['strings.any_prefix_match', ['foo/bar', 'foo'], true],
    [
      'strings.any_prefix_match',
      [
        ['a/b', 'c/d'],
        ['x', 'c/'],
      ],
      true,
    ],
    ['strings.any_prefix_match', [[], 'x'], false],
    ['strings.any_suffix_match', ['foo/bar', ['bar', 'baz']], true],
    ['strings.any_suffix_match', ['foo/bar', 'fo'], false],
    ['strings.any_suffix_match', [['a', 1], 'a'], undefined],
  ]);
});

describe('positions count code points', () => {
  table([
    ['indexof', ['abcdefgh', 'cde'], 2],
    ['indexof', ['abcdefgh', 'xyz'], -1],
    ['indexof', ['😀😀abc', 'abc'], 2],
    ['indexof', ['abc', ''], undefined],
    ['indexof_n', ['dogcat', 'cat'], [3]],
    ['indexof_n', ['dogcatdogcat', 'cat'], [3, 9]],
    ['indexof_n', ['aaa', 'aa'], [0, 1]],
    ['indexof_n', ['dog', 'cat'], []],
    ['substring', ['abcdefgh', 2, 3], 'cde'],
    ['substring', ['abcdefgh', 2, -1], 'cdefgh'],
    ['substring', ['abcdefgh', 8, 1], ''],
    ['substring', ['abc', 0, 10], 'abc'],
    ['substring', ['åäöxyz', 1, 3], 'äöx'],
    ['substring', ['a😀b', 1, 1], '😀'],
    ['substring', ['abc', -1, 1], undefined],
    ['substring', ['abc', 1.5, 1], undefined],
    ['strings.reverse', ['bar'], 'rab'],
    ['strings.reverse', ['1😀𝛾'], '𝛾😀1'],
    ['strings.reverse', ['2️⃣'], '⃣️2'],
    ['strings.reverse', [''], ''],
    ['strings.reverse', [123], undefined],
    ['count', ['åäö'], 3],
    ['count', ['😀'], 1],
  ]);
});

describe('trim family takes cutsets, prefixes and Unicode space', () => {
  table([
    ['trim', ['   abc   ', ' '], 'abc'],
    ['trim', ['xyxabcyx', 'xy'], 'abc'],
    ['trim_left', ['xyxabcyx', 'xy'], 'abcyx'],
    ['trim_right', ['xyxabcyx', 'xy'], 'xyxabc'],
    ['trim_prefix', ['foo.bar', 'foo.'], 'bar'],
    ['trim_prefix', ['foo.bar', 'bar'], 'foo.bar'],
    ['trim_suffix', ['foo.bar', '.bar'], 'foo'],
    ['trim_suffix', ['foo.bar', 'foo'], 'foo.bar'],
    ['trim_space', ['  \t\n abc \r\n'], 'abc'],
    ['trim_space', ['\u0085\u00a0x\u3000'], 'x'],
    ['trim_space', ['\ufeffx'], '\ufeffx'],
    ['trim', ['😀a😀', '😀'], 'a'],
  ]);
});

describe('replace follows Go strings.Replacer', () => {
  table([
    ['replace', ['foo.bar.baz', '.', '/'], 'foo/bar/baz'],
    ['replace', ['abc', 'x', 'y'], 'abc'],
    ['replace', ['abc', '', '-'], '-a-b-c-'],
    ['replace', ['aaaa', 'aa', 'b'], 'bb'],
    ['strings.replace_n', [{ '<': '&lt;', '>': '&gt;' }, '<a>'], '&lt;a&gt;'],
    ['strings.replace_n', [{ a: 'b', b: 'c' }, 'ab'], 'bc'],
    // Keys are tried in sorted order: "a" before "ab".
    ['strings.replace_n', [{ ab: 'X', a: 'Y' }, 'ab'], 'Yb'],
    ['strings.replace_n', [{ a: 1 }, 'a'], undefined],
    ['strings.replace_n', [{}, 'a'], 'a'],
  ]);
});

describe('format_int', () => {
  table([
    ['format_int', [15, 2], '1111'],
    ['format_int', [15, 8], '17'],
    ['format_int', [15, 10], '15'],
    ['format_int', [255, 16], 'ff'],
    ['format_int', [3.1, 10], '3'],
    ['format_int', [-3.9, 10], '-3'],
    ['format_int', [-255, 16], '-ff'],
    ['format_int', [4.1, 199], undefined],
    ['format_int', ['4', 10], undefined],
  ]);
});

describe('sprintf (Go fmt)', () => {
  table([
    ['sprintf', ['hi %s', ['there']], 'hi there'],
    ['sprintf', ['%d', [42]], '42'],
    ['sprintf', ['%d %d', [1, -2]], '1 -2'],
    ['sprintf', ['%v', [3.5]], '3.5'],
    ['sprintf', ['%v', [1e6 + 0.5]], '1.0000005e+06'],
    ['sprintf', ['%v', [0.00001]], '1e-05'],
    ['sprintf', ['%.2f', [3.14159]], '3.14'],
    ['sprintf', ['%f', [1.5]], '1.500000'],
    ['sprintf', ['%e', [123456.789]], '1.234568e+05'],
    ['sprintf', ['%g', [0.000012345]], '1.2345e-05'],
    ['sprintf', ['%5d|%-5d|%05d', [42, 42, -42]], '   42|42   |-0042'],
    ['sprintf', ['%x %X %o %b', [255, 255, 8, 5]], 'ff FF 10 101'],
    ['sprintf', ['%#x', [255]], '0xff'],
    ['sprintf', ['%+d', [5]], '+5'],
    ['sprintf', ['%q', ['a"b\n']], '"a\\"b\\n"'],
    ['sprintf', ['%x', ['hi']], '6869'],
    ['sprintf', ['%.2s', ['héllo']], 'hé'],
    ['sprintf', ['%c %U', [65, 0x1f600]], 'A U+1F600'],
    ['sprintf', ['%v', [[1, 'a', { b: null }]]], '[1, "a", {"b": null}]'],
    ['sprintf', ['%v %v', [true, null]], 'true null'],
    ['sprintf', ['100%%', []], '100%'],
    ['sprintf', ['%d', ['x']], '%!d(string=x)'],
    ['sprintf', ['%s', [5]], '%!s(int=5)'],
    ['sprintf', ['%d', [1.5]], '%!d(float64=1.5)'],
    ['sprintf', ['%s %s', ['a']], 'a %!s(MISSING)'],
    ['sprintf', ['%s', ['a', 1]], 'a%!(EXTRA int=1)'],
    ['sprintf', ['%s', [1e20]], '100000000000000000000'],
    ['sprintf', ['x', 'not-an-array'], undefined],
  ]);
});
