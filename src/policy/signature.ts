// OPA bundle signatures ("Bundle Signing", https://www.openpolicyagent.org/docs/management-bundles
// #signing): a bundle carries /.signatures.json = {"signatures": [JWT]}; the JWT's payload lists
// every other file of the bundle with its hash ({files: [{name, hash, algorithm}], keyid?,
// scope?}). A bundle verifies when the JWT verifies under the configured public key, the scope
// matches (when configured), every file is listed with a matching hash, and every listed file
// exists. Structured files (.manifest, data.json, data.yaml) are hashed over a canonical JSON
// form (object keys sorted, no whitespace, number literals kept, Go's json.Marshal string
// escaping) so a signature survives re-formatting, as OPA's bundle/hash.go does.
import { createHash, createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto';
import { jwtVerify, SignJWT, type JWK } from 'jose';
import YAML from 'yaml';
import { PolicyErrorCode as Code, policyUserError } from './errors.ts';
import { normalizeEntryPath, packTarball, unpackTarball } from './tarball.ts';

export { packTarball } from './tarball.ts';

export const SIGNATURES_FILE = '.signatures.json';

export interface BundleVerification {
  /** PEM (SPKI or certificate), a public JWK, or a KeyObject. */
  publicKey: string | JWK | KeyObject;
  /** JWS algorithm the key signs with; default: every asymmetric algorithm fitting the key. */
  algorithm?: string;
  /** When set, the JWT's `keyid` claim (or `kid` header) must equal it. */
  keyId?: string;
  /** When set, the JWT's `scope` claim must equal it (OPA's `scope`). */
  scope?: string;
}

export interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

// Node digest names for OPA's algorithm names. MD5 and SHA-1 (which OPA accepts) are refused:
// a collision would let a forged file match the signed list.
const HASHES: Record<string, string> = {
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

const ALGS_BY_KEY: Record<string, string[]> = {
  rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'rsa-pss': ['PS256', 'PS384', 'PS512'],
  ec: ['ES256', 'ES384', 'ES512'],
  ed25519: ['EdDSA', 'Ed25519'],
};

const isStructured = (name: string): boolean => {
  const base = name.split('/').pop() ?? name;
  return base === '.manifest' || ['data.json', 'data.yaml', 'data.yml'].includes(base);
};

/** The hash OPA records for a bundle file, hex. */
export function bundleFileHash(name: string, bytes: Uint8Array, algorithm = 'SHA-256'): string {
  const digest = HASHES[algorithm.toUpperCase()];
  if (!digest) throw new Error(`unsupported hash algorithm ${algorithm}`);
  const h = createHash(digest);
  if (!isStructured(name)) return h.update(bytes).digest('hex');
  const text = Buffer.from(bytes).toString('utf8');
  const canonical =
    name.endsWith('.json') || name.endsWith('.manifest')
      ? canonicalJson(text)
      : canonicalValue(YAML.parse(text));
  return h.update(canonical, 'utf8').digest('hex');
}

/** Go's json.Marshal escapes these where JSON.stringify does not. */
const goString = (s: string): string =>
  JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** Go sorts map keys by their UTF-8 bytes, not UTF-16 code units. */
const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function canonicalValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalValue).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort(byUtf8)
      .map((k) => `${goString(k)}:${canonicalValue(o[k])}`)
      .join(',')}}`;
  }
  return typeof v === 'string' ? goString(v) : JSON.stringify(v ?? null);
}

/** Canonical JSON straight from the text, keeping number literals exactly as written (OPA
 *  decodes with UseNumber, so `1.0` and `1` hash differently and big integers stay exact). */
export function canonicalJson(text: string): string {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at offset ${i}`);
  };
  const str = (): string => {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\.)*"/su.exec(text.slice(i));
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
    return JSON.parse((m as RegExpExecArray)[0]) as string;
  };
  const value = (): string => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, string][] = [];
      ws();
      if (text[i] === '}') i++;
      else
        for (;;) {
          ws();
          const k = str();
          ws();
          if (text[i++] !== ':') fail();
          entries.push([k, value()]);
          ws();
          if (text[i] === ',') i++;
          else if (text[i++] === '}') break;
          else fail();
        }
      entries.sort((a, b) => byUtf8(a[0], b[0]));
      return `{${entries.map(([k, v]) => `${goString(k)}:${v}`).join(',')}}`;
    }
    if (c === '[') {
      i++;
      const items: string[] = [];
      ws();
      if (text[i] === ']') i++;
      else
        for (;;) {
          items.push(value());
          ws();
          if (text[i] === ',') i++;
          else if (text[i++] === ']') break;
          else fail();
        }
      return `[${items.join(',')}]`;
    }
    if (c === '"') return goString(str());
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      text.slice(i, i + 400),
    );
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
    return (m as RegExpExecArray)[0];
  };
  const out = value();
  ws();
  if (i !== text.length) fail();
  return out;
}

function verificationKey(v: BundleVerification): { key: KeyObject; algs: string[] } {
  const pk = v.publicKey;
  // A private key would verify too (node derives the public half), but configuring one on every
  // replica spreads the signing secret: refuse it outright.
  const isPrivate =
    pk instanceof KeyObject
      ? pk.type !== 'public'
      : typeof pk === 'string'
        ? /PRIVATE KEY/.test(pk)
        : 'd' in pk || pk.kty === 'oct';
  if (isPrivate) throw new Error('the verification key must be a public key');
  const key =
    pk instanceof KeyObject
      ? pk
      : typeof pk === 'string'
        ? createPublicKey(pk)
        : createPublicKey({ key: pk as JsonWebKey, format: 'jwk' });
  const algs = v.algorithm ? [v.algorithm] : (ALGS_BY_KEY[key.asymmetricKeyType ?? ''] ?? []);
  if (algs.length === 0) throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  return { key, algs };
}

/** Checks a bundle's files (as unpackTarball returns them) against its .signatures.json.
 *  Throws POLICY_BUNDLE_INVALID naming the first problem. */
export async function verifyBundleSignatures(
  files: Map<string, Buffer>,
  v: BundleVerification,
  where: string,
): Promise<{ keyId?: string; files: number }> {
  const bad = (msg: string) =>
    policyUserError(Code.BUNDLE_INVALID, `bundle signature: ${msg}`, { where });
  const sigFile = files.get(SIGNATURES_FILE);
  if (!sigFile) throw bad(`bundle has no ${SIGNATURES_FILE}`);
  let jwts: unknown;
  try {
    jwts = (JSON.parse(sigFile.toString('utf8')) as { signatures?: unknown }).signatures;
  } catch (e) {
    throw bad(`invalid ${SIGNATURES_FILE}: ${(e as Error).message}`);
  }
  // OPA supports exactly one signature per bundle.
  if (!Array.isArray(jwts) || jwts.length !== 1 || typeof jwts[0] !== 'string')
    throw bad(`${SIGNATURES_FILE} must hold exactly one JWT in "signatures"`);
  let payload: Record<string, unknown>;
  let kid: string | undefined;
  try {
    const { key, algs } = verificationKey(v);
    const r = await jwtVerify(jwts[0], key, { algorithms: algs });
    payload = r.payload as Record<string, unknown>;
    kid = r.protectedHeader.kid;
  } catch (e) {
    throw bad(`JWT does not verify: ${(e as Error).message}`);
  }
  const keyId = typeof payload.keyid === 'string' ? payload.keyid : kid;
  if (v.keyId !== undefined && keyId !== undefined && keyId !== v.keyId)
    throw bad(`signed with key ${JSON.stringify(keyId)}, expected ${JSON.stringify(v.keyId)}`);
  if (v.scope !== undefined && payload.scope !== v.scope)
    throw bad(`scope ${JSON.stringify(payload.scope)} does not match ${JSON.stringify(v.scope)}`);
  if (!Array.isArray(payload.files)) throw bad('JWT payload has no "files" list');
  const listed = new Map<string, SignedFile>();
  for (const f of payload.files as SignedFile[]) {
    const name = typeof f?.name === 'string' ? normalizeEntryPath(f.name) : null;
    if (name === null || typeof f.hash !== 'string') throw bad('malformed entry in "files"');
    if (listed.has(name)) throw bad(`file ${name} is listed twice`);
    listed.set(name, { name, hash: f.hash.toLowerCase(), algorithm: f.algorithm ?? 'SHA-256' });
  }
  for (const [name, bytes] of files) {
    if (name === SIGNATURES_FILE) continue;
    const entry = listed.get(name);
    if (!entry) throw bad(`file ${name} is not in the signed file list`);
    let actual: string;
    try {
      actual = bundleFileHash(name, bytes, entry.algorithm);
    } catch (e) {
      throw bad(`cannot hash ${name}: ${(e as Error).message}`);
    }
    if (actual !== entry.hash) throw bad(`hash of ${name} does not match the signature`);
    listed.delete(name);
  }
  if (listed.size > 0)
    throw bad(`signed file(s) missing from the bundle: ${[...listed.keys()].join(', ')}`);
  return { keyId, files: files.size - 1 };
}

/** Signs a bundle as `opa sign` would and returns it with /.signatures.json added (replacing
 *  any previous one). `key` is a private KeyObject/CryptoKey from `jose` or node:crypto. */
export async function signBundle(
  tarball: Uint8Array,
  key: Parameters<SignJWT['sign']>[0],
  opts: { alg: string; kid?: string; keyId?: string; scope?: string; hash?: string },
): Promise<Buffer> {
  const files = await unpackTarball(tarball, '(bundle)');
  files.delete(SIGNATURES_FILE);
  const algorithm = opts.hash ?? 'SHA-256';
  const list = [...files].map(([name, bytes]) => ({
    name,
    hash: bundleFileHash(name, bytes, algorithm),
    algorithm,
  }));
  const jwt = await new SignJWT({
    files: list,
    ...(opts.keyId ? { keyid: opts.keyId } : {}),
    ...(opts.scope ? { scope: opts.scope } : {}),
  })
    .setProtectedHeader({ alg: opts.alg, ...(opts.kid ? { kid: opts.kid } : {}) })
    .setIssuedAt()
    .setIssuer('mcp-warden')
    .sign(key);
  const sig = Buffer.from(JSON.stringify({ signatures: [jwt] }));
  return packTarball([
    ...[...files].map(([n, b]) => [`/${n}`, b] as [string, Uint8Array]),
    [`/${SIGNATURES_FILE}`, sig],
  ]);
}
