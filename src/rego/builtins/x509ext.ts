// X.509 v3 extensions (RFC 5280 §4.2.1) mapped onto the x509.Certificate fields Go fills from
// them: key usage, basic constraints, subject alternative names, extended key usage, key
// identifiers, authority information access and certificate policies. Every extension is also
// listed raw in `Extensions`, as Go does.
import { bigInt, children, oidArcs, oidString, parseOne, TAG, type Tlv } from './der.ts';
import { formatIP } from './ip.ts';

type J = unknown;
const b64 = (b: Buffer): string => b.toString('base64');

/** Go's url.URL JSON for a SAN URI, parsed with WHATWG URL (close to net/url for the
 *  absolute URIs RFC 5280 §4.2.1.6 requires). */
function urlJson(s: string): J {
  let u: URL | undefined;
  try {
    u = new URL(s);
  } catch {
    u = undefined;
  }
  return {
    Scheme: u ? u.protocol.replace(/:$/, '') : '',
    Opaque: '',
    User: null,
    Host: u?.host ?? '',
    Path: u ? decodeURIComponent(u.pathname) : s,
    RawPath: '',
    OmitHost: false,
    ForceQuery: false,
    RawQuery: u ? u.search.replace(/^\?/, '') : '',
    Fragment: u ? decodeURIComponent(u.hash.replace(/^#/, '')) : '',
    RawFragment: '',
  };
}

function ipString(b: Buffer): string {
  if (b.length === 4) return formatIP(false, BigInt('0x' + b.toString('hex')));
  if (b.length === 16) return formatIP(true, BigInt('0x' + b.toString('hex')));
  return '?' + b.toString('hex');
}

/** Extended key usages by OID (x509.ExtKeyUsage numbering). */
const EXT_KEY_USAGES = [
  '2.5.29.37.0',
  ...Array.from({ length: 9 }, (_, i) => `1.3.6.1.5.5.7.3.${i + 1}`),
];

const INTERPRETED = new Set([
  '2.5.29.15',
  '2.5.29.19',
  '2.5.29.17',
  '2.5.29.37',
  '2.5.29.14',
  '2.5.29.35',
  '1.3.6.1.5.5.7.1.1',
  '2.5.29.32',
]);

/** Interprets the extensions Go maps onto Certificate fields (RFC 5280 §4.2.1). */
export function extensionFields(exts: Tlv[], out: Record<string, J>): void {
  const list: J[] = [];
  const push = (k: string, v: J) => (out[k] = [...((out[k] as J[] | null) ?? []), v]);
  for (const ext of exts) {
    const parts = children(ext);
    const id = parts[0];
    const critical = parts.length === 3 && parts[1].tag === TAG.BOOLEAN && parts[1].body[0] !== 0;
    const value = parts[parts.length - 1].body;
    list.push({ Id: oidArcs(id.body), Critical: critical, Value: b64(value) });
    const oid = oidString(id.body);
    // Only the extensions mapped below are decoded; others are kept opaque, as Go does.
    if (!INTERPRETED.has(oid)) continue;
    const v = parseOne(value);
    switch (oid) {
      case '2.5.29.15': {
        // KeyUsage BIT STRING: bit n (from the most significant bit) is 1 << n.
        let usage = 0;
        const bits = v.body.subarray(1);
        for (let i = 0; i < Math.min(bits.length * 8, 31); i++) {
          if (bits[i >> 3] & (0x80 >> (i & 7))) usage |= 1 << i;
        }
        out.KeyUsage = usage;
        break;
      }
      case '2.5.29.19': {
        const [ca, pathLen] = children(v).reduce<[boolean, number]>(
          ([c, p], t) =>
            t.tag === TAG.BOOLEAN ? [t.body[0] !== 0, p] : [c, Number(bigInt(t.body))],
          [false, -1],
        );
        Object.assign(out, {
          BasicConstraintsValid: true,
          IsCA: ca,
          MaxPathLen: pathLen,
          MaxPathLenZero: pathLen === 0,
        });
        break;
      }
      case '2.5.29.17':
        for (const gn of children(v)) {
          if (gn.tag === 0x81) push('EmailAddresses', gn.body.toString('latin1'));
          else if (gn.tag === 0x82) push('DNSNames', gn.body.toString('latin1'));
          else if (gn.tag === 0x86) {
            push('URIs', urlJson(gn.body.toString('latin1')));
            push('URIStrings', gn.body.toString('latin1'));
          } else if (gn.tag === 0x87) push('IPAddresses', ipString(gn.body));
        }
        break;
      case '2.5.29.37':
        for (const k of children(v)) {
          const i = EXT_KEY_USAGES.indexOf(oidString(k.body));
          if (i >= 0) push('ExtKeyUsage', i);
          else push('UnknownExtKeyUsage', oidArcs(k.body));
        }
        break;
      case '2.5.29.14':
        out.SubjectKeyId = b64(v.body);
        break;
      case '2.5.29.35':
        for (const k of children(v)) if (k.tag === 0x80) out.AuthorityKeyId = b64(k.body);
        break;
      case '1.3.6.1.5.5.7.1.1':
        for (const ad of children(v)) {
          const [method, loc] = children(ad);
          if (loc.tag !== 0x86) continue;
          const m = oidString(method.body);
          if (m === '1.3.6.1.5.5.7.48.1') push('OCSPServer', loc.body.toString('latin1'));
          if (m === '1.3.6.1.5.5.7.48.2')
            push('IssuingCertificateURL', loc.body.toString('latin1'));
        }
        break;
      case '2.5.29.32':
        for (const pi of children(v)) push('PolicyIdentifiers', oidArcs(children(pi)[0].body));
        break;
    }
  }
  out.Extensions = list;
}
