// base64 / base64url / hex / urlquery builtins (OPA topdown/encoding.go), with Go's strictness:
// padded standard base64 (CR/LF ignored), exact hex, and url.QueryEscape / url.ParseQuery rules.
// Decoded bytes become a string through UTF-8 decoding (invalid sequences turn into U+FFFD,
// since a Rego string in the host is a JS string).
import { compareStrings, isArr, isObj, isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

const utf8 = new TextEncoder();
const fromUtf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

/** RFC 4648 §4/§5 with padding required; Go's decoder skips \r and \n. */
function b64decode(s: string, url: boolean): string | undefined {
  const t = s.replace(/[\r\n]/g, '');
  const alpha = url ? 'A-Za-z0-9_-' : 'A-Za-z0-9+/';
  // With the length a multiple of 4, at most two trailing '=' means they pad the last quantum.
  if (t.length % 4 !== 0 || !new RegExp(`^[${alpha}]*={0,2}$`).test(t)) return undefined;
  return fromUtf8(Buffer.from(t, url ? 'base64url' : 'base64'));
}

function b64encode(s: string, url: boolean, pad: boolean): string {
  let out = Buffer.from(utf8.encode(s)).toString('base64');
  if (url) out = out.replace(/\+/g, '-').replace(/\//g, '_');
  return pad ? out : out.replace(/=+$/, '');
}

/** url.QueryEscape: everything but unreserved characters is %XX, space is '+'. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** url.QueryUnescape: '+' is space; a malformed %-escape is an error. */
export function queryUnescape(s: string): string | undefined {
  const bytes: number[] = [];
  const src = utf8.encode(s);
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    if (b === 0x25) {
      const hex = String.fromCharCode(src[i + 1] ?? 0, src[i + 2] ?? 0);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(b === 0x2b ? 0x20 : b);
  }
  return fromUtf8(Uint8Array.from(bytes));
}

function encodeObject(obj: unknown): string | undefined {
  if (!isObj(obj)) return undefined;
  const parts: string[] = [];
  // url.Values.Encode sorts by key and keeps each key's values in order.
  for (const k of Object.keys(obj).sort(compareStrings)) {
    const v = obj[k];
    const values = isStr(v) ? [v] : isArr(v) && v.every(isStr) ? (v as string[]) : undefined;
    if (!values) return undefined;
    for (const x of values) parts.push(`${queryEscape(k)}=${queryEscape(x)}`);
  }
  return parts.join('&');
}

/** url.ParseQuery: '&'-separated; a ';' or a bad escape is an error. */
function decodeObject(q: unknown): Record<string, string[]> | undefined {
  if (!isStr(q)) return undefined;
  const out: Record<string, string[]> = {};
  for (const part of q.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) return undefined;
    const eq = part.indexOf('=');
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const v = queryUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (k === undefined || v === undefined) return undefined;
    (out[k] ??= []).push(v);
  }
  return out;
}

export const encodingBuiltins: Record<string, Fn> = {
  'base64.encode': (s: unknown) => (isStr(s) ? b64encode(s, false, true) : undefined),
  'base64.decode': (s: unknown) => (isStr(s) ? b64decode(s, false) : undefined),
  'base64.is_valid': (s: unknown) => isStr(s) && b64decode(s, false) !== undefined,
  'base64url.encode': (s: unknown) => (isStr(s) ? b64encode(s, true, true) : undefined),
  'base64url.encode_no_pad': (s: unknown) => (isStr(s) ? b64encode(s, true, false) : undefined),
  'base64url.decode': (s: unknown) => {
    if (!isStr(s)) return undefined;
    // RFC 7515 Appendix C: restore omitted padding before decoding.
    let t = s;
    if (!t.endsWith('=')) {
      const r = t.length % 4;
      if (r === 1) return undefined;
      t += r === 2 ? '==' : r === 3 ? '=' : '';
    }
    return b64decode(t, true);
  },
  'hex.encode': (s: unknown) =>
    isStr(s) ? Buffer.from(utf8.encode(s)).toString('hex') : undefined,
  'hex.decode': (s: unknown) => {
    if (!isStr(s) || s.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(s)) return undefined;
    return fromUtf8(Buffer.from(s, 'hex'));
  },
  'urlquery.encode': (s: unknown) => (isStr(s) ? queryEscape(s) : undefined),
  'urlquery.decode': (s: unknown) => (isStr(s) ? queryUnescape(s) : undefined),
  'urlquery.encode_object': encodeObject,
  'urlquery.decode_object': decodeObject,
};
