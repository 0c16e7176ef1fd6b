// Sealed session ids (src/session/seal.ts): round trip, rotation, tampering, expiry, subject
// binding, and a property test that `open` never throws whatever it is handed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/errors/index.ts';
import { createSessionSealer, sessionSubject, type SessionState } from '../../src/session/seal.ts';

const K1 = 'k1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const K2 = 'k2-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const T0 = 1_800_000_000_000;
const SUB = 'https://login.example.com alice';

const state = (over: Partial<SessionState> = {}): SessionState => ({
  sub: SUB,
  upstreamSessions: {
    tickets: '0f6c5d0e-3b1a-4a8e-9b7e-1c2d3e4f5a6b',
    db: 'c8a1e2f3-4b5c-6d7e-8f90-a1b2c3d4e5f6',
    wiki: 'session-1234567890abcdef1234567890abcdef',
  },
  protocolVersion: '2025-11-25',
  clientCapabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
  createdAt: T0,
  ...over,
});

const sealer = (keys: string[], now = T0, ttlS = 3600) =>
  createSessionSealer({ keys, ttlS, now: () => now });

describe('sealed session ids', () => {
  it('round-trips the state, is URL-safe visible ASCII and well under 1 KB', () => {
    const s = sealer([K1]);
    const id = s.seal(state());
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(id.length).toBeLessThan(1024);
    expect(s.open(id, SUB)).toEqual(state());
    // A fresh IV per seal: the same state never yields the same id.
    expect(s.seal(state())).not.toBe(id);
  });

  it('keeps optional fields optional', () => {
    const s = sealer([K1]);
    const bare: SessionState = {
      sub: SUB,
      upstreamSessions: {},
      protocolVersion: '2025-03-26',
      createdAt: T0,
    };
    expect(s.open(s.seal(bare), SUB)).toEqual(bare);
    const withVersions = state({ upstreamVersions: { tickets: '2025-06-18' } });
    expect(s.open(s.seal(withVersions), SUB)).toEqual(withVersions);
  });

  it('binds the route: an id opens only on the route it was sealed for', () => {
    const s = sealer([K1]);
    const onMcp = s.seal(state({ route: '/mcp' }));
    expect(s.open(onMcp, SUB, '/mcp')).toEqual(state({ route: '/mcp' }));
    expect(s.open(onMcp, SUB, '/u/tickets/mcp')).toBeNull();
    expect(s.open(onMcp, SUB)).toBeNull();
    const dropIn = s.seal(state({ route: '/u/tickets/mcp' }));
    expect(s.open(dropIn, SUB, '/mcp')).toBeNull();
    // The subject and the route are bound as a pair, not as one concatenated string.
    const odd = s.seal(state({ sub: 'a', route: 'b/mcp' }));
    expect(s.open(odd, 'ab', '/mcp')).toBeNull();
    expect(s.open(odd, 'a', 'b/mcp')).not.toBeNull();
  });

  it('rotates: the old key still opens, the new key seals', () => {
    const old = sealer([K1]);
    const rotated = sealer([K2, K1]);
    const oldId = old.seal(state());
    expect(rotated.open(oldId, SUB)).toEqual(state());
    const newId = rotated.seal(state());
    expect(old.open(newId, SUB)).toBeNull(); // sealed with K2, which `old` does not know
    expect(sealer([K2]).open(newId, SUB)).toEqual(state());
    // Once K1 is dropped, its ids stop opening.
    expect(sealer([K2]).open(oldId, SUB)).toBeNull();
  });

  it('rejects a tampered id: every byte of header, ciphertext and tag', () => {
    const s = sealer([K1]);
    const raw = Buffer.from(s.seal(state()), 'base64url');
    for (let i = 0; i < raw.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const t = Buffer.from(raw);
        t[i] ^= mask;
        expect(s.open(t.toString('base64url'), SUB), `byte ${i}`).toBeNull();
      }
    }
    // Truncation and extension are tampering too.
    expect(s.open(raw.subarray(0, raw.length - 1).toString('base64url'), SUB)).toBeNull();
    expect(s.open(Buffer.concat([raw, Buffer.from([0])]).toString('base64url'), SUB)).toBeNull();
  });

  it('rejects ids that are not base64url or not ours', () => {
    const s = sealer([K1]);
    const id = s.seal(state());
    for (const bad of ['', 'x', `${id}=`, `${id}.`, id.replace(/^./, '+'), 'a'.repeat(5000)])
      expect(s.open(bad, SUB)).toBeNull();
    expect(sealer(['z'.repeat(40)]).open(id, SUB)).toBeNull();
  });

  it('expires ttl seconds after createdAt, tolerating a little clock skew', () => {
    const id = sealer([K1]).seal(state());
    expect(sealer([K1], T0 + 3599_000).open(id, SUB)).not.toBeNull();
    expect(sealer([K1], T0 + 3600_000).open(id, SUB)).toBeNull();
    expect(sealer([K1], T0 - 30_000).open(id, SUB)).not.toBeNull();
    expect(sealer([K1], T0 - 3600_000).open(id, SUB)).toBeNull();
  });

  it('is bound to the subject', () => {
    const s = sealer([K1]);
    const id = s.seal(state());
    expect(s.open(id, 'https://login.example.com mallory')).toBeNull();
    expect(s.open(id, `${SUB} `)).toBeNull();
    expect(s.open(id, '')).toBeNull();
    // Issuer and sub are joined unambiguously: no pair collides with another by shifting text.
    const a = sessionSubject({ issuer: 'https://a b', sub: 'c' });
    expect(a).not.toBe(sessionSubject({ issuer: 'https://a', sub: 'b c' }));
    const bound = s.seal(state({ sub: a }));
    expect(s.open(bound, a)).toEqual(state({ sub: a }));
    expect(s.open(bound, sessionSubject({ issuer: 'https://a', sub: 'b c' }))).toBeNull();
  });

  it('refuses weak or missing keys and oversize state', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isWardenError(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => createSessionSealer({ keys: [], ttlS: 1 }))).toBe('SESSION_KEYS_MISSING');
    expect(code(() => createSessionSealer({ keys: ['short'], ttlS: 1 }))).toBe('SESSION_KEY_WEAK');
    expect(code(() => createSessionSealer({ keys: [K1], ttlS: 0 }))).toBe('SESSION_TTL_INVALID');
    const s = createSessionSealer({ keys: [K1], ttlS: 60, maxLength: 256 });
    expect(code(() => s.seal(state()))).toBe('SESSION_STATE_TOO_LARGE');
  });

  it('open never throws, whatever it is given (fuzz)', () => {
    const s = sealer([K1, K2]);
    const good = Buffer.from(s.seal(state()), 'base64url');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String().map((b) => b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')),
          fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('base64url')),
          // Mutations of a genuine id keep the version byte and key id plausible.
          fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const t = Buffer.from(good);
            t[i] ^= x;
            return t.toString('base64url');
          }),
        ),
        fc.string(),
        (id, sub) => {
          expect(s.open(id, sub)).toBeNull();
        },
      ),
      { numRuns: 2000 },
    );
    // Wrong types from a sloppy caller are still just "no session".
    expect(s.open(undefined as unknown as string, SUB)).toBeNull();
    expect(s.open(good.toString('base64url'), null as unknown as string)).toBeNull();
  });
});
