// strings.render_template: the part of Go's text/template policies use, with Go's output
// (checked against text/template's documented behaviour), and template errors as undefined.
import { describe, expect, it } from 'vitest';
import { hostBuiltins } from '../../src/rego/builtins/index.ts';

const render = (t: string, vars: Record<string, unknown>) =>
  hostBuiltins['strings.render_template'](t, vars);

describe('strings.render_template', () => {
  it.each([
    [
      'fields and nesting',
      '{{.user.name}} ({{.user.id}})',
      { user: { name: 'ana', id: 7 } },
      'ana (7)',
    ],
    ['a missing key', '[{{.nope}}] [{{.user.nope}}]', { user: {} }, '[<undefined>] [<undefined>]'],
    ['if / else if / else', '{{if .a}}A{{else if .b}}B{{else}}C{{end}}', { a: 0, b: 'x' }, 'B'],
    ['the else branch', '{{if .a}}A{{else if .b}}B{{else}}C{{end}}', { a: [], b: '' }, 'C'],
    [
      'range with index',
      '{{range $i, $x := .xs}}{{if $i}},{{end}}{{$x}}{{end}}',
      { xs: ['a', 'b'] },
      'a,b',
    ],
    [
      'range over a map, keys sorted',
      '{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}',
      { m: { b: 2, a: 1 } },
      'a=1;b=2;',
    ],
    ['range with dot and else', '{{range .xs}}<{{.}}>{{else}}none{{end}}', { xs: [] }, 'none'],
    ['with', '{{with .u}}{{.name}}{{else}}anon{{end}}', { u: { name: 'bo' } }, 'bo'],
    [
      'variables and $',
      '{{$n := .name}}{{range .xs}}{{$n}}{{.}}{{$.sep}}{{end}}',
      { name: 'n', xs: [1, 2], sep: '|' },
      'n1|n2|',
    ],
    ['trim markers and comments', 'a  {{- /* gone */ -}}  b {{- .x }}', { x: '!' }, 'ab!'],
    [
      'len, index and comparisons',
      '{{len .xs}} {{index .m "k"}} {{eq .n 1 2}} {{lt .n 3}}',
      { xs: [1, 2, 3], m: { k: 'v' }, n: 2 },
      '3 v true true',
    ],
    [
      'printf and pipelines',
      '{{printf "%s=%d" .k .n}} {{.k | printf "%q"}}',
      { k: 'x', n: 5 },
      'x=5 "x"',
    ],
    [
      'and / or / not',
      '{{if and .a (not .b)}}yes{{end}}{{or .b .c}}',
      { a: 1, b: false, c: 'c' },
      'yesc',
    ],
    [
      'values printed as Go prints them',
      '{{.m}} {{.xs}} {{.f}} {{.t}} {{.z}}',
      { m: { b: [1], a: 'x' }, xs: [1, 'a'], f: 1.5, t: true, z: null },
      'map[a:x b:[1]] [1 a] 1.5 true <nil>',
    ],
  ])('%s', (_, t, vars, want) => expect(render(t, vars)).toBe(want));

  it.each([
    ['an unknown function', '{{nope .x}}'],
    ['an unclosed action', '{{.x'],
    ['a missing end', '{{if .x}}y'],
    ['a stray end', 'x{{end}}'],
    ['an undefined variable', '{{$y}}'],
    ['range over a scalar', '{{range .n}}{{end}}'],
  ])('is undefined for %s', (_, t) => expect(render(t, { x: 1, n: 3 })).toBeUndefined());
});
