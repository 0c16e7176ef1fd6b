// Sealed `requestState` for MCP 2026-07-28 multi-round-trip requests (MRTR).
//
// An `input_required` result hands the client an opaque `requestState` that it echoes on the
// retry. The client is not trusted with it (MCP 2026-07-28 "Multi Round-Trip Requests": servers
// MUST treat it as attacker-controlled and protect its integrity). The gateway therefore never
// gives an upstream's state to the client as is: it seals it (AES-256-GCM, NIST SP 800-38D)
// together with what it belongs to, and opens it on the retry:
//   - the principal (issuer + subject): another user's token cannot replay it;
//   - the request digest (method, name or uri, arguments): it cannot be grafted onto another
//     call, e.g. one the policy would deny;
//   - the upstream it came from, and a lifetime (default 10 minutes).
// The key is derived (HKDF, RFC 5869) from the first `sessions.keys` secret, so any replica opens
// what another sealed; without configured keys it is random per process.

import { createCipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { canonicalize } from '../audit/canonical.ts';
import { decrypt } from './seal.ts';

export interface RequestState {
  /** The upstream that minted `state`. */
  upstream: string;
  /** The upstream's own requestState; absent when the gateway holds the call itself. */
  state?: string;
  /** A call held by this replica (era translation): its handle. */
  held?: string;
  /** `sessions.advertise_url` of the replica holding `held`, where other replicas relay to. */
  replica?: string;
  /** A task id (gateway/task-ids.ts): the tool whose call created the task, for the audit. */
  tool?: string;
  /** Epoch ms when sealed. */
  createdAt: number;
}

export interface RequestStateSealer {
  seal(s: Omit<RequestState, 'createdAt'>, principal: string, digest: string): string;
  /** The state, or null when it was not sealed by us for this principal and request, or
   *  expired. Never throws. */
  open(token: string, principal: string, digest: string): RequestState | null;
}

const SALT = Buffer.from('mcp-warden request-state v1');
const IV_LEN = 12;
const TAG_LEN = 16;
const PREFIX = 'ws1.';
const MAX_LEN = 64 * 1024;

export function createRequestStateSealer(opts: {
  /** `sessions.keys`; empty: a random key for this process. */
  keys: string[];
  ttlMs?: number;
  now?: () => number;
}): RequestStateSealer {
  const secrets = opts.keys.length > 0 ? opts.keys : [randomBytes(32).toString('base64')];
  const keys = secrets.map((s) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(s, 'utf8'), SALT, 'aes-256-gcm key', 32)),
  );
  const ttlMs = opts.ttlMs ?? 10 * 60_000;
  const now = opts.now ?? Date.now;
  const aad = (principal: string, digest: string) => Buffer.from(`${principal}\0${digest}`, 'utf8');
  return {
    seal(s, principal, digest) {
      const iv = randomBytes(IV_LEN);
      const c = createCipheriv('aes-256-gcm', keys[0], iv, { authTagLength: TAG_LEN });
      c.setAAD(aad(principal, digest));
      const body = JSON.stringify({ ...s, createdAt: now() });
      const ct = Buffer.concat([c.update(body, 'utf8'), c.final()]);
      return PREFIX + Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64url');
    },
    open(token, principal, digest) {
      if (typeof token !== 'string' || !token.startsWith(PREFIX) || token.length > MAX_LEN)
        return null;
      const raw = Buffer.from(token.slice(PREFIX.length), 'base64url');
      if (raw.length < IV_LEN + TAG_LEN + 2) return null;
      const iv = raw.subarray(0, IV_LEN);
      const ct = raw.subarray(IV_LEN, raw.length - TAG_LEN);
      const tag = raw.subarray(raw.length - TAG_LEN);
      for (const key of keys) {
        // A wrong key (rotation) or a tampered token fails the tag: try the next key.
        const plain = decrypt(key, iv, ct, tag, aad(principal, digest));
        if (plain === null) continue;
        const s = JSON.parse(plain) as RequestState;
        if (typeof s.upstream !== 'string' || typeof s.createdAt !== 'number') return null;
        const age = now() - s.createdAt;
        return age >= -60_000 && age < ttlMs ? s : null;
      }
      return null;
    },
  };
}

/** What a sealed state is bound to: the method and the request it retries (MCP 2026-07-28: the
 *  retry repeats the original params, plus `inputResponses` and `requestState`). */
export function requestDigest(method: string, params: Record<string, unknown> | undefined): string {
  const p = params ?? {};
  const key = { m: method, n: p.name ?? p.uri ?? null, a: p.arguments ?? null };
  return createHash('sha256').update(canonicalize(key)).digest('base64url');
}
