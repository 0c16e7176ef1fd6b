// crypto.x509.* and crypto.parse_private_keys (OPA topdown/crypto.go). Inputs are PEM text, or
// standard base64 of PEM or DER, as OPA accepts them; errors (bad base64, malformed DER, a key
// not matching its certificate) are undefined in the WASM target.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { pemDecode } from './jwk.ts';
import { readTlv } from './der.ts';
import { parseCertificate, parseCertificateRequest } from './x509cert.ts';
import { evaluationNowNs } from './evaluation.ts';
import { isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

/** Go's base64.StdEncoding.DecodeString: padded, CR/LF ignored, anything else illegal. */
function stdBase64(s: string): Buffer {
  const t = s.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t))
    throw new Error('illegal base64 data');
  return Buffer.from(t, 'base64');
}

const BEGIN = '-----BEGIN';

/** Every PEM block in order (Go's pem.Decode loop). */
function pemBlocks(text: string): { type: string; der: Buffer }[] {
  const out: { type: string; der: Buffer }[] = [];
  let rest = text;
  for (let b = pemDecode(rest); b; b = pemDecode(rest)) {
    out.push({ type: b.type, der: b.der });
    rest = b.rest;
  }
  return out;
}

/** x509.ParseCertificates: concatenated DER certificates. */
function splitDer(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < der.length;) {
    const { tlv, next } = readTlv(der, p);
    out.push(Buffer.from(tlv.raw));
    p = next;
  }
  // Like x509.ParseCertificates, no input is no certificates rather than an error.
  return out;
}

/** crypto.go getX509CertsFromString: the DER of each certificate in the input. */
function certificateDers(input: string): Buffer[] {
  let text = input;
  if (!text.startsWith(BEGIN)) {
    const raw = stdBase64(text);
    if (!raw.subarray(0, BEGIN.length).equals(Buffer.from(BEGIN))) return splitDer(raw);
    text = raw.toString('latin1');
  }
  const blocks = pemBlocks(text);
  for (const b of blocks) {
    if (b.type !== 'CERTIFICATE')
      throw new Error(`PEM block type is '${b.type}', expected CERTIFICATE`);
  }
  return splitDer(Buffer.concat(blocks.map((b) => b.der)));
}

const NOW_MS = (): number => Number(evaluationNowNs() / 1_000_000n);
const SERVER_AUTH = ['1.3.6.1.5.5.7.3.1', '2.5.29.37.0'];

/**
 * Go's leaf.Verify with the first certificate as the only root and the middle ones as
 * intermediates (crypto.go verifyX509CertificateChain): a chain leaf → root where each link is
 * signed by the next, every certificate is within its validity period, intermediates are CAs, and the
 * leaf's extended key usage (if any) allows server authentication (Go's default KeyUsages).
 */
function verifyChain(ders: Buffer[]): number[] | undefined {
  if (ders.length < 2) return undefined;
  const certs = ders.map((d) => new X509Certificate(d));
  const now = NOW_MS();
  const current = (c: X509Certificate) =>
    Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
  const leaf = certs.length - 1;
  const eku = certs[leaf].keyUsage;
  if (eku && eku.length > 0 && !eku.some((u) => SERVER_AUTH.includes(u))) return undefined;
  const walk = (i: number, path: number[]): number[] | undefined => {
    if (!current(certs[i])) return undefined;
    if (i === 0) return [...path, i];
    for (let j = 0; j < leaf; j++) {
      // Go requires CA basic constraints of intermediates only; the root is trusted as is.
      if (path.includes(j) || j === i || (j !== 0 && !certs[j].ca)) continue;
      if (!certs[i].checkIssued(certs[j]) || !certs[i].verify(certs[j].publicKey)) continue;
      const found = walk(j, [...path, i]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(leaf, []);
}

/** crypto.go getPrivateKeysFromPEMData: PKCS #1, PKCS #8 and SEC 1 blocks, others ignored. */
function privateKeys(input: string): KeyObject[] {
  let text = input;
  try {
    text = stdBase64(input).toString('latin1');
  } catch {
    // not base64: PEM text as given
  }
  const types: Record<string, 'pkcs1' | 'pkcs8' | 'sec1'> = {
    'RSA PRIVATE KEY': 'pkcs1',
    'PRIVATE KEY': 'pkcs8',
    'EC PRIVATE KEY': 'sec1',
  };
  return pemBlocks(text)
    .filter((b) => types[b.type])
    .map((b) => createPrivateKey({ key: b.der, format: 'der', type: types[b.type] }));
}

const int = (s: unknown): bigint =>
  BigInt('0x' + (Buffer.from(isStr(s) ? s : '', 'base64url').toString('hex') || '0'));

/** Go's JSON of an rsa / ecdsa / ed25519 private key. */
function privateKeyJson(k: KeyObject): unknown {
  const j = k.export({ format: 'jwk' });
  if (j.kty === 'RSA') {
    return {
      N: int(j.n),
      E: Number(int(j.e)),
      D: int(j.d),
      Primes: [int(j.p), int(j.q)],
      Precomputed: { Dp: int(j.dp), Dq: int(j.dq), Qinv: int(j.qi), CRTValues: [] },
    };
  }
  if (j.kty === 'EC') return { Curve: {}, X: int(j.x), Y: int(j.y), D: int(j.d) };
  const seed = Buffer.from(j.d ?? '', 'base64url');
  return Buffer.concat([seed, Buffer.from(j.x ?? '', 'base64url')]).toString('base64');
}

function parseCsr(input: string): unknown {
  let der = input.startsWith('-----BEGIN CERTIFICATE REQUEST-----')
    ? Buffer.from(input, 'latin1')
    : stdBase64(input);
  const block = pemDecode(der.toString('latin1'));
  if (block && block.type !== 'CERTIFICATE REQUEST') {
    throw new Error('invalid PEM-encoded certificate signing request');
  }
  if (block) der = block.der;
  return parseCertificateRequest(der);
}

/** tls.X509KeyPair: the certificate chain plus a private key matching the leaf. */
function parseKeyPair(cert: string, key: string): unknown {
  const pemOf = (s: string, type: string): string => {
    if (s.startsWith(BEGIN)) return s;
    const raw = stdBase64(s);
    const text = raw.toString('latin1');
    if (text.startsWith(BEGIN)) return text;
    return `-----BEGIN ${type}-----\n${raw.toString('base64')}\n-----END ${type}-----\n`;
  };
  const certs = pemBlocks(pemOf(cert, 'CERTIFICATE')).filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) throw new Error('tls: failed to find any PEM data in certificate input');
  const keyBlock = pemBlocks(pemOf(key, 'PRIVATE KEY')).find((b) => b.type.endsWith('PRIVATE KEY'));
  if (!keyBlock) throw new Error('tls: failed to find any PEM data in key input');
  const priv = privateKeys(
    `-----BEGIN ${keyBlock.type}-----\n${keyBlock.der.toString('base64')}\n-----END ${keyBlock.type}-----\n`,
  )[0];
  const leaf = new X509Certificate(certs[0].der);
  if (!priv || !leaf.checkPrivateKey(priv))
    throw new Error('tls: private key does not match public key');
  return {
    Certificate: certs.map((c) => c.der.toString('base64')),
    PrivateKey: privateKeyJson(priv),
    SupportedSignatureAlgorithms: null,
    OCSPStaple: null,
    SignedCertificateTimestamps: null,
    Leaf: parseCertificate(certs[0].der),
  };
}

export const x509Builtins: Record<string, Fn> = {
  'crypto.x509.parse_certificates': (s: unknown) =>
    isStr(s) ? certificateDers(s).map(parseCertificate) : undefined,
  'crypto.x509.parse_and_verify_certificates': (s: unknown) => {
    if (!isStr(s)) return undefined;
    let ders: Buffer[];
    try {
      ders = certificateDers(s);
    } catch {
      return [false, []];
    }
    const chain = verifyChain(ders);
    return chain ? [true, chain.map((i) => parseCertificate(ders[i]))] : [false, []];
  },
  'crypto.x509.parse_certificate_request': (s: unknown) => (isStr(s) ? parseCsr(s) : undefined),
  'crypto.x509.parse_keypair': (c: unknown, k: unknown) =>
    isStr(c) && isStr(k) ? parseKeyPair(c, k) : undefined,
  /** The first private key as a JWK (RFC 7517), or null when the input holds none. */
  'crypto.x509.parse_rsa_private_key': (s: unknown) => {
    if (!isStr(s) || s === '') return undefined;
    const text = s.startsWith(BEGIN) ? s : stdBase64(s).toString('latin1');
    const keys = privateKeys(text);
    return keys.length === 0 ? null : keys[0].export({ format: 'jwk' });
  },
  'crypto.parse_private_keys': (s: unknown) => {
    if (!isStr(s)) return undefined;
    if (s === '') return null;
    return privateKeys(s).map(privateKeyJson);
  },
};
