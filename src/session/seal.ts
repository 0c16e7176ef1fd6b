// Sealed session ids: the gateway's `Mcp-Session-Id` for 2025-era clients *is* the session
// state (upstream session ids, negotiated protocol version, client capabilities), encrypted and
// authenticated with AES-256-GCM (NIST SP 800-38D) under a key every replica derives from the
// same configured secret. Any replica can serve any request of any session without a shared
// store. Format and threat model: src/session/README.md.
//
// MCP 2025-11-25 "Session Management": the id MUST contain only visible ASCII (0x21–0x7E) and
// SHOULD be globally unique and cryptographically secure; base64url (RFC 4648 §5) satisfies both,
// and a random 96-bit IV per seal makes every id unique.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { UserInputError, WardenError } from '../errors/index.ts';

export interface SessionState {
  /** Subject the session is bound to: `sessionSubject(subject)` (issuer and sub). */
  sub: string;
  /** Upstream name → that upstream's own Mcp-Session-Id. */
  upstreamSessions: Record<string, string>;
  /** Upstream name → protocol version negotiated with it, when it differs from ours. */
  upstreamVersions?: Record<string, string>;
  /** Protocol version negotiated with the downstream client. */
  protocolVersion: string;
  /** What the client declared at initialize (sampling, elicitation, roots, …). */
  clientCapabilities?: Record<string, unknown>;
  /** Epoch milliseconds of the initialize that created the session. */
  createdAt: number;
  /** The route path the session belongs to (`/mcp`, `/u/<name>/mcp`): bound like `sub`, so an
   *  id is opened only on the route that issued it. Absent: "" (ids sealed without a route). */
  route?: string;
}

export interface SessionSealerOptions {
  /** Secrets shared by the replicas; the first seals, all open (rotation: prepend a new one,
   *  drop the old one once every id sealed with it has expired). */
  keys: string[];
  /** Absolute session lifetime in seconds, counted from `createdAt`. */
  ttlS: number;
  /** Clock (epoch ms); tests inject one. */
  now?: () => number;
  /** Longest id `seal` will produce; default 4096 (nginx's default header buffer is 8 KiB). */
  maxLength?: number;
}

export interface SessionSealer {
  seal(state: SessionState): string;
  /** The state, or null for anything not sealed by us for `sub` on `route` (default "") and
   *  still live. Never throws. */
  open(id: string, sub: string, route?: string): SessionState | null;
}

/** The subject string a session is bound to: issuer and sub, unambiguously joined (two
 *  issuers may both have a user "alice"). */
export const sessionSubject = (s: { issuer: string; sub: string }): string =>
  JSON.stringify([s.issuer, s.sub]);

/** Secrets shorter than this are refused: the key is only as strong as the secret. */
export const MIN_SECRET_LENGTH = 32;
const VERSION = 1;
const KID_LEN = 4;
const IV_LEN = 12; // SP 800-38D §8.2: 96-bit IVs; random IVs are safe below 2^32 seals per key
const TAG_LEN = 16;
const HEADER_LEN = 1 + KID_LEN + IV_LEN;
const SALT = Buffer.from('mcp-warden session-id v1');
const CLOCK_SKEW_MS = 60_000;
const B64URL = /^[A-Za-z0-9_-]+$/;

interface DerivedKey {
  kid: Buffer;
  key: Buffer;
}

/** RFC 5869 HKDF-SHA-256: one encryption key and one public key id per secret. The key id is
 *  derived with a different `info`, so publishing it says nothing about the key. */
export function deriveKey(secret: string): DerivedKey {
  const ikm = Buffer.from(secret, 'utf8');
  const key = Buffer.from(hkdfSync('sha256', ikm, SALT, 'aes-256-gcm key', 32));
  const kid = Buffer.from(hkdfSync('sha256', ikm, SALT, 'key id', KID_LEN));
  return { kid, key };
}

export function createSessionSealer(opts: SessionSealerOptions): SessionSealer {
  if (opts.keys.length === 0)
    throw new UserInputError('SESSION_KEYS_MISSING', 'at least one session key is required', {
      where: 'sessions.keys',
    });
  opts.keys.forEach((k, i) => {
    if (typeof k !== 'string' || k.length < MIN_SECRET_LENGTH)
      throw new UserInputError(
        'SESSION_KEY_WEAK',
        `session key must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -base64 32)`,
        { where: `sessions.keys[${i}]` },
      );
  });
  if (!(opts.ttlS > 0))
    throw new UserInputError('SESSION_TTL_INVALID', 'session ttl must be positive', {
      where: 'sessions.ttl_s',
    });
  const keys = opts.keys.map(deriveKey);
  const sealing = keys[0];
  const now = opts.now ?? Date.now;
  const ttlMs = opts.ttlS * 1000;
  const maxLength = opts.maxLength ?? 4096;

  return {
    seal(state) {
      // Short field names: the id travels in a header on every request.
      const body: Wire = {
        u: state.upstreamSessions,
        v: state.protocolVersion,
        t: state.createdAt,
        ...(state.upstreamVersions && Object.keys(state.upstreamVersions).length > 0
          ? { uv: state.upstreamVersions }
          : {}),
        ...(state.clientCapabilities ? { c: state.clientCapabilities } : {}),
      };
      const header = Buffer.alloc(HEADER_LEN);
      header[0] = VERSION;
      sealing.kid.copy(header, 1);
      randomBytes(IV_LEN).copy(header, 1 + KID_LEN);
      const cipher = createCipheriv('aes-256-gcm', sealing.key, header.subarray(1 + KID_LEN), {
        authTagLength: TAG_LEN,
      });
      cipher.setAAD(aad(header, state.sub, state.route ?? ''));
      const ct = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
      const id = Buffer.concat([header, ct, cipher.getAuthTag()]).toString('base64url');
      if (id.length > maxLength)
        throw new WardenError(
          'SESSION_STATE_TOO_LARGE',
          `sealed session id would be ${id.length} characters (limit ${maxLength})`,
        );
      return id;
    },

    open(id, sub, route = '') {
      try {
        if (typeof id !== 'string' || typeof sub !== 'string' || typeof route !== 'string')
          return null;
        if (id.length > maxLength || !B64URL.test(id)) return null;
        const raw = Buffer.from(id, 'base64url');
        if (raw.length < HEADER_LEN + TAG_LEN + 2 || raw[0] !== VERSION) return null;
        const header = raw.subarray(0, HEADER_LEN);
        const kid = raw.subarray(1, 1 + KID_LEN);
        const iv = raw.subarray(1 + KID_LEN, HEADER_LEN);
        const ct = raw.subarray(HEADER_LEN, raw.length - TAG_LEN);
        const tag = raw.subarray(raw.length - TAG_LEN);
        // Key ids are public; comparing them needs no constant time. The secret-dependent check
        // (the GCM tag) is OpenSSL's constant-time compare inside final().
        for (const k of keys) {
          if (!k.kid.equals(kid)) continue;
          const plain = decrypt(k.key, iv, ct, tag, aad(header, sub, route));
          if (!plain) continue;
          const state = fromWire(plain, sub, route);
          if (!state) return null;
          const age = now() - state.createdAt;
          // Replicas' clocks differ a little: an id minted up to a minute "in the future" is fine.
          return age >= -CLOCK_SKEW_MS && age < ttlMs ? state : null;
        }
        return null;
      } catch {
        return null;
      }
    },
  };
}

interface Wire {
  u: Record<string, string>;
  v: string;
  t: number;
  uv?: Record<string, string>;
  c?: Record<string, unknown>;
}

/** Additional authenticated data: the id's header, the subject and the route. Binding them
 *  here (rather than storing them) keeps ids short and makes an open by another subject, or on
 *  another route, fail the tag. JSON keeps the two strings unambiguously apart. */
function aad(header: Buffer, sub: string, route: string): Buffer {
  return Buffer.concat([header, Buffer.from(`\0${JSON.stringify([sub, route])}`, 'utf8')]);
}

/** AES-256-GCM open: the plaintext, or null when the tag fails (wrong key, tampering). Also used
 *  for MCP 2026-07-28 request states (request-state.ts). */
export function decrypt(
  key: Buffer,
  iv: Buffer,
  ct: Buffer,
  tag: Buffer,
  ad: Buffer,
): string | null {
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
    d.setAAD(ad);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ct), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/** Authenticated plaintext is ours, but a future version or a bug must not crash a request. */
function fromWire(text: string, sub: string, route: string): SessionState | null {
  const w = JSON.parse(text) as Partial<Wire>;
  if (typeof w !== 'object' || w === null) return null;
  if (!isStringMap(w.u) || typeof w.v !== 'string' || typeof w.t !== 'number') return null;
  if (w.uv !== undefined && !isStringMap(w.uv)) return null;
  const caps = w.c;
  if (caps !== undefined && (typeof caps !== 'object' || caps === null || Array.isArray(caps)))
    return null;
  return {
    sub,
    upstreamSessions: w.u,
    ...(w.uv ? { upstreamVersions: w.uv } : {}),
    protocolVersion: w.v,
    ...(caps ? { clientCapabilities: caps } : {}),
    createdAt: w.t,
    ...(route ? { route } : {}),
  };
}
