// X.509 certificates and CSRs (RFC 5280 §4.1, RFC 2986 §4) decoded into the JSON shape OPA
// returns: Go's x509.Certificate / x509.CertificateRequest through encoding/json, i.e. field
// names as in Go, []byte as base64, big integers as numbers, times as RFC 3339. Fields Go fills
// from extensions this module does not interpret stay at their zero values (null / false).
import { createPublicKey } from 'node:crypto';
import {
  asString,
  asTime,
  bigInt,
  children,
  oidArcs,
  oidString,
  parseOne,
  TAG,
  type Tlv,
} from './der.ts';
import { extensionFields } from './x509ext.ts';

type J = unknown;
const b64 = (b: Buffer): string => b.toString('base64');

/** x509.SignatureAlgorithm numbering (crypto/x509 constants). */
const SIGNATURE_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.2': 1,
  '1.2.840.113549.1.1.4': 2,
  '1.2.840.113549.1.1.5': 3,
  '1.2.840.113549.1.1.11': 4,
  '1.2.840.113549.1.1.12': 5,
  '1.2.840.113549.1.1.13': 6,
  '1.2.840.10040.4.3': 7,
  '2.16.840.1.101.3.4.3.2': 8,
  '1.2.840.10045.4.1': 9,
  '1.2.840.10045.4.3.2': 10,
  '1.2.840.10045.4.3.3': 11,
  '1.2.840.10045.4.3.4': 12,
  '1.2.840.113549.1.1.10': 13,
  '1.3.101.112': 16,
};

/** x509.PublicKeyAlgorithm numbering. */
const PUBLIC_KEY_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.1': 1,
  '1.2.840.10040.4.1': 2,
  '1.2.840.10045.2.1': 3,
  '1.3.101.112': 4,
};

/** pkix.Name fields filled from attribute types 2.5.4.x (Go's FillFromRDNSequence). */
const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

/** RFC 5280 §4.1.2.4 Name → pkix.Name. */
export function parseName(t: Tlv): Record<string, J> {
  const name: Record<string, J> = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: [],
    ExtraNames: null,
  };
  for (const rdn of children(t)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      const oid = oidString(type.body);
      const v = asString(value);
      (name.Names as J[]).push({ Type: oidArcs(type.body), Value: v });
      if (oid === '2.5.4.3') name.CommonName = v;
      else if (oid === '2.5.4.5') name.SerialNumber = v;
      else if (NAME_FIELDS[oid]) {
        const field = NAME_FIELDS[oid];
        name[field] = [...((name[field] as string[] | null) ?? []), v];
      }
    }
  }
  return name;
}

/** The Go JSON of the parsed public key (rsa.PublicKey {N, E}, ecdsa X/Y, ed25519 bytes). */
function publicKeyJson(spki: Buffer): J {
  try {
    const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({
      format: 'jwk',
    });
    const int = (s?: string): bigint =>
      BigInt('0x' + (Buffer.from(s ?? '', 'base64url').toString('hex') || '0'));
    if (jwk.kty === 'RSA') return { N: int(jwk.n), E: Number(int(jwk.e)) };
    if (jwk.kty === 'EC') return { Curve: {}, X: int(jwk.x), Y: int(jwk.y) };
    if (jwk.kty === 'OKP') return b64(Buffer.from(jwk.x ?? '', 'base64url'));
  } catch {
    // Go leaves PublicKey nil for algorithms it does not know.
  }
  return null;
}

function spkiFields(spki: Tlv): Record<string, J> {
  const alg = oidString(children(children(spki)[0])[0].body);
  return {
    RawSubjectPublicKeyInfo: b64(spki.raw),
    PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[alg] ?? 0,
    PublicKey: publicKeyJson(spki.raw),
  };
}

/** RFC 5280 §4.1 Certificate → x509.Certificate JSON (plus OPA's URIStrings). */
export function parseCertificate(der: Buffer): Record<string, J> {
  const cert = parseOne(der, TAG.SEQUENCE);
  const [tbs, sigAlg, sig] = children(cert);
  if (!tbs || !sigAlg || !sig) throw new Error('x509: malformed certificate');
  const f = children(tbs);
  let i = 0;
  let version = 1;
  if (f[0].tag === 0xa0) version = Number(bigInt(children(f[i++])[0].body)) + 1;
  const serial = bigInt(f[i++].body);
  i++; // inner signature AlgorithmIdentifier, equal to the outer one (§4.1.2.3)
  const issuer = f[i++];
  const validity = children(f[i++]);
  const subject = f[i++];
  const spki = f[i++];
  const exts = f.slice(i).find((t) => t.tag === 0xa3);
  const out: Record<string, J> = {
    Raw: b64(der),
    RawTBSCertificate: b64(tbs.raw),
    ...spkiFields(spki),
    RawSubject: b64(subject.raw),
    RawIssuer: b64(issuer.raw),
    Signature: b64(sig.body.subarray(1)),
    SignatureAlgorithm: SIGNATURE_ALGORITHMS[oidString(children(sigAlg)[0].body)] ?? 0,
    Version: version,
    SerialNumber: serial,
    Issuer: parseName(issuer),
    Subject: parseName(subject),
    NotBefore: asTime(validity[0]),
    NotAfter: asTime(validity[1]),
    KeyUsage: 0,
    Extensions: null,
    ExtraExtensions: null,
    UnhandledCriticalExtensions: null,
    ExtKeyUsage: null,
    UnknownExtKeyUsage: null,
    BasicConstraintsValid: false,
    IsCA: false,
    MaxPathLen: 0,
    MaxPathLenZero: false,
    SubjectKeyId: null,
    AuthorityKeyId: null,
    OCSPServer: null,
    IssuingCertificateURL: null,
    DNSNames: null,
    EmailAddresses: null,
    IPAddresses: null,
    URIs: null,
    PermittedDNSDomainsCritical: false,
    PermittedDNSDomains: null,
    ExcludedDNSDomains: null,
    PermittedIPRanges: null,
    ExcludedIPRanges: null,
    PermittedEmailAddresses: null,
    ExcludedEmailAddresses: null,
    PermittedURIDomains: null,
    ExcludedURIDomains: null,
    CRLDistributionPoints: null,
    PolicyIdentifiers: null,
    URIStrings: null,
  };
  if (exts) extensionFields(children(children(exts)[0]), out);
  return out;
}

/** RFC 2986 §4 CertificationRequest → x509.CertificateRequest JSON. */
export function parseCertificateRequest(der: Buffer): Record<string, J> {
  const csr = parseOne(der, TAG.SEQUENCE);
  const [info, sigAlg, sig] = children(csr);
  if (!info || !sigAlg || !sig) throw new Error('asn1: structure error');
  const [version, subject, spki, attrs] = children(info);
  const out: Record<string, J> = {
    Raw: b64(der),
    RawTBSCertificateRequest: b64(info.raw),
    ...spkiFields(spki),
    RawSubject: b64(subject.raw),
    Version: Number(bigInt(version.body)),
    Signature: b64(sig.body.subarray(1)),
    SignatureAlgorithm: SIGNATURE_ALGORITHMS[oidString(children(sigAlg)[0].body)] ?? 0,
    Subject: parseName(subject),
    Attributes: null,
    Extensions: null,
    ExtraExtensions: null,
    DNSNames: null,
    EmailAddresses: null,
    IPAddresses: null,
    URIs: null,
  };
  // PKCS #9 extensionRequest (1.2.840.113549.1.9.14) carries the requested extensions.
  for (const attr of attrs && attrs.tag === 0xa0 ? children(attrs) : []) {
    const [type, values] = children(attr);
    if (oidString(type.body) !== '1.2.840.113549.1.9.14') continue;
    const scratch: Record<string, J> = {};
    extensionFields(children(children(values)[0]), scratch);
    for (const k of ['Extensions', 'DNSNames', 'EmailAddresses', 'IPAddresses', 'URIs']) {
      if (scratch[k] !== undefined) out[k] = scratch[k];
    }
  }
  return out;
}
