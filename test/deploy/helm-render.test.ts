// The renderer the deploy test uses instead of `helm template`: Go-template semantics for the
// subset the chart uses, and a loud failure for anything outside it.
import { describe, expect, it } from 'vitest';
import { Template } from './helm-render.ts';

const run = (src: string, dot: unknown = {}) => {
  const t = new Template();
  return t.render(t.parse(src), dot);
};

describe('helm-render', () => {
  it('trims whitespace around {{- and -}} and drops comments', () => {
    expect(run('a  \n  {{- "b" -}}  \n c')).toBe('abc');
    expect(run('a {{/* note */}}b')).toBe('a b');
  });

  it('evaluates fields, pipelines and parenthesised calls', () => {
    const dot = { Values: { n: 'x', port: 8080, m: { a: 1 } }, Chart: { Name: 'c' } };
    expect(run('{{ .Values.n | quote }}', dot)).toBe('"x"');
    expect(run('{{ .Values.missing | default .Chart.Name }}', dot)).toBe('c');
    expect(run('{{ printf "%s-%s" .Chart.Name (.Values.n | quote) }}', dot)).toBe('c-"x"');
    expect(run('k:{{ toYaml .Values.m | nindent 2 }}', dot)).toBe('k:\n  a: 1');
    expect(run('{{ "abcdef-" | trunc 7 | trimSuffix "-" }}')).toBe('abcdef');
  });

  it('follows Go truthiness in if / else if / else and with', () => {
    const tpl = '{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}';
    expect(run(tpl, { a: 1 })).toBe('A');
    expect(run(tpl, { a: 0, b: 'x' })).toBe('B');
    expect(run(tpl, { a: [], b: {} })).toBe('C');
    expect(run('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 'v' } })).toBe('v');
    expect(run('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} })).toBe('none');
    expect(run('{{ if not .a }}no{{ end }}', {})).toBe('no');
  });

  it('includes defines with their own dot', () => {
    expect(
      run('{{- define "x" -}}[{{ .v }}]{{- end -}}{{ include "x" .inner }}', { inner: { v: 1 } }),
    ).toBe('[1]');
  });

  it('throws on what it does not implement or on required values', () => {
    expect(() => run('{{ range .x }}{{ end }}')).toThrow(/unsupported action/);
    expect(() => run('{{ lower "A" }}')).toThrow(/unsupported function/);
    expect(() => run('{{ include "nope" . }}')).toThrow(/no template/);
    expect(() => run('{{ required "need v" .v }}')).toThrow(/need v/);
  });
});
