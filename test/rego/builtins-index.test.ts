// The host-builtin table as the opa-wasm SDK sees it: names, the wire format of results
// (JSON-able values, raw JSON text for big integers, the set shape) and failure as undefined.
import { describe, expect, it } from 'vitest';
import {
  decodeResult,
  hostAlias,
  hostBuiltinNames,
  hostBuiltins,
  plannerHelpers,
  regoSet,
  SDK_SHADOWED,
} from '../../src/rego/builtins/index.ts';

/** What the SDK's _loadJSON sends to the module for a builtin result. */
function wireText(result: unknown): string | undefined {
  if (result === undefined) return undefined;
  return result instanceof ArrayBuffer ? new TextDecoder().decode(result) : JSON.stringify(result);
}

const REQUIRED =
  `count sum product max min sort concat contains startswith endswith lower upper split
  trim trim_left trim_right trim_prefix trim_suffix trim_space replace strings.replace_n indexof
  indexof_n substring strings.reverse strings.any_prefix_match strings.any_suffix_match
  strings.count format_int to_number sprintf object.get object.keys object.union object.union_n
  object.remove object.filter object.subset json.filter json.remove json.patch array.concat
  array.slice array.reverse json.marshal json.marshal_with_options json.unmarshal json.is_valid
  base64.encode base64.decode base64.is_valid base64url.encode base64url.encode_no_pad
  base64url.decode hex.encode hex.decode urlquery.encode urlquery.decode urlquery.encode_object
  urlquery.decode_object time.now_ns time.parse_rfc3339_ns time.parse_ns time.parse_duration_ns
  time.date time.clock time.weekday time.add_date time.diff time.format glob.match
  glob.quote_meta regex.match regex.is_valid regex.find_n regex.find_all_string_submatch_n
  regex.replace regex.split regex.globs_match regex.template_match units.parse
  units.parse_bytes net.cidr_contains net.cidr_intersects net.cidr_is_valid net.cidr_expand
  net.cidr_merge net.cidr_contains_matches crypto.sha256 crypto.sha1 crypto.md5
  crypto.hmac.sha256 crypto.hmac.sha1 crypto.hmac.sha512 crypto.hmac.md5 crypto.hmac.equal
  numbers.range numbers.range_step semver.is_valid semver.compare intersection union round ceil
  floor uuid.parse uuid.rfc4122`.split(/\s+/);

describe('hostBuiltins', () => {
  it('implements every builtin the gateway promises', () => {
    expect(REQUIRED.filter((n) => !(n in hostBuiltins))).toEqual([]);
    expect(hostBuiltinNames).toEqual([...hostBuiltinNames].sort());
    const aliases = SDK_SHADOWED.length + Object.keys(plannerHelpers).length;
    expect(hostBuiltinNames.length + aliases).toBe(Object.keys(hostBuiltins).length);
    expect(Object.keys(plannerHelpers).every((n) => n.startsWith('warden:'))).toBe(true);
  });

  it('offers Go-semantics versions of the builtins the SDK shadows under warden: aliases', () => {
    expect(hostBuiltins[hostAlias('sprintf')]('%d-%s', [1, 'a'])).toBe('1-a');
    expect(hostBuiltins[hostAlias('regex.split')]('a', 'banana')).toEqual(['b', 'n', 'n', '']);
    expect(hostBuiltins[hostAlias('json.is_valid')]('{}')).toBe(true);
  });

  it('answers a wrong argument type with undefined, never an exception', () => {
    const junk = [null, true, 1.5, 'x', [], [1, 'a'], {}, { a: [] }, { __rego_set__: [1] }];
    for (const name of hostBuiltinNames) {
      for (const a of junk) {
        for (const b of junk) {
          expect(() => hostBuiltins[name](a, b, a, b)).not.toThrow();
        }
      }
    }
    expect(hostBuiltins['regex.match']('[', 'x')).toBeUndefined();
    expect(hostBuiltins.substring('abc', -1, 2)).toBeUndefined();
  });

  it('always returns JSON text the SDK can hand to the module', () => {
    const results = [
      hostBuiltins['time.parse_rfc3339_ns']('2262-04-11T23:47:16.854775807Z'),
      hostBuiltins['object.keys']({ b: 1, a: 2 }),
      hostBuiltins['units.parse_bytes']('1EiB'),
      hostBuiltins['uuid.parse']('000003e8-48b9-21ee-b200-325096b39f47'),
      hostBuiltins.concat(',', ['a', 'b']),
    ];
    for (const r of results) expect(() => JSON.parse(wireText(r)!)).not.toThrow();
    expect(wireText(results[0])).toBe('9223372036854775807');
    expect(wireText(results[1])).toBe('{"__rego_set__":["a","b"]}');
    expect(wireText(results[2])).toBe('1152921504606846976');
    expect(wireText(results[3])).toContain('"time":1693566990121469600');
  });

  it('keeps a tagged set a set when it passes through a builtin', () => {
    const obj = { a: { __rego_set__: [1, 2] }, b: [{ __rego_set__: ['x'] }] };
    expect(hostBuiltins['object.get'](obj, 'a', null)).toEqual({ __rego_set__: [1, 2] });
    expect(hostBuiltins['object.union'](obj, { c: 1 })).toEqual({ ...obj, c: 1 });
    expect(hostBuiltins['json.filter'](obj, ['b'])).toEqual({ b: [{ __rego_set__: ['x'] }] });
    // An object that merely has other keys besides __rego_set__ is an ordinary object.
    const plain = { __rego_set__: [1], other: true };
    expect(hostBuiltins['object.get']({ k: plain }, 'k', null)).toEqual(plain);
  });

  it('decodeResult reads raw JSON with exact big integers', () => {
    expect(decodeResult(hostBuiltins['time.parse_duration_ns']('1h'))).toBe(3600000000000);
    expect(decodeResult(hostBuiltins['units.parse']('1E'))).toBe(10n ** 18n);
    expect(regoSet(['b', 'a', 'b'])).toEqual({ __rego_set__: ['a', 'b'] });
  });
});
