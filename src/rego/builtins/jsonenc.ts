// JSON text encoding the way Go's encoding/json writes it (OPA's json.marshal): object keys
// sorted bytewise, and <, >, &, U+2028, U+2029 escaped as \u00XX so the output is safe to embed
// in HTML (json.Marshal's default HTMLEscape).
import { compareStrings, isArr, isObj } from './values.ts';

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

function quote(s: string): string {
  return JSON.stringify(s).replace(
    HTML_UNSAFE,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

function num(n: number): string {
  // Go prints float64 with 'f' formatting below 1e21 and exponent form above, like JS; JS
  // writes "1e+21" where Go writes "1e+21" too.
  return JSON.stringify(n);
}

/** json.Marshal / json.MarshalIndent(v, prefix, indent). */
export function goMarshal(v: unknown, pretty?: { prefix: string; indent: string }): string {
  const nl = (depth: number): string =>
    pretty ? '\n' + pretty.prefix + pretty.indent.repeat(depth) : '';
  const colon = pretty ? ': ' : ':';
  const enc = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'number') return num(x);
    if (typeof x === 'string') return quote(x);
    if (isArr(x)) {
      if (x.length === 0) return '[]';
      return '[' + x.map((e) => nl(depth + 1) + enc(e, depth + 1)).join(',') + nl(depth) + ']';
    }
    if (isObj(x)) {
      const keys = Object.keys(x).sort(compareStrings);
      if (keys.length === 0) return '{}';
      const body = keys.map((k) => nl(depth + 1) + quote(k) + colon + enc(x[k], depth + 1));
      return '{' + body.join(',') + nl(depth) + '}';
    }
    throw new TypeError('unsupported value');
  };
  return enc(v, 0);
}
