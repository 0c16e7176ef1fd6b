// Sealed MRTR `requestState` (src/session/request-state.ts; MCP 2026-07-28 "Multi Round-Trip
// Requests": the state is attacker-controlled, its integrity is the server's to protect): a state
// opens only for the principal and the request it was sealed for, before it expires, with a key
// the sealer holds — and `open` never throws, whatever it is handed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRequestStateSealer, requestDigest } from '../../src/session/request-state.ts';

const K_OLD = 'old-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const K_NEW = 'new-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const T0 = 1_800_000_000_000;
const ALICE = 'https://login.example.com alice';
const BOB = 'https://login.example.com bob';

const call = (name: string, args: Record<string, unknown> = {}) =>
  requestDigest('tools/call', { name, arguments: args });
const DIGEST = call('fx.test_input_required_result_elicitation', { q: 1 });
const STATE = { upstream: 'fx', state: 'upstream-opaque-state-123' };

/** A sealer whose clock the test moves. */
function clocked(keys: string[], ttlMs?: number) {
  let t = T0;
  const sealer = createRequestStateSealer({ keys, ttlMs, now: () => t });
  return { sealer, at: (ms: number) => void (t = ms) };
}

describe('request-state sealer', () => {
  it('round-trips the state for the same principal and request', () => {
    const { sealer } = clocked([K_OLD]);
    const token = sealer.seal(STATE, ALICE, DIGEST);
    expect(token.startsWith('ws1.')).toBe(true);
    expect(token).toMatch(/^ws1\.[A-Za-z0-9_-]+$/);
    expect(token).not.toContain(STATE.state); // opaque to the client
    expect(sealer.open(token, ALICE, DIGEST)).toEqual({ ...STATE, createdAt: T0 });
    // A held call (era translation) round-trips its handle and no upstream state.
    const held = sealer.seal({ upstream: 'legacy', held: 'h-1' }, ALICE, DIGEST);
    expect(sealer.open(held, ALICE, DIGEST)).toEqual({
      upstream: 'legacy',
      held: 'h-1',
      createdAt: T0,
    });
    // Two seals of the same state differ (fresh IV each time).
    expect(sealer.seal(STATE, ALICE, DIGEST)).not.toBe(token);
  });

  it('refuses another principal', () => {
    const { sealer } = clocked([K_OLD]);
    const token = sealer.seal(STATE, ALICE, DIGEST);
    expect(sealer.open(token, BOB, DIGEST)).toBeNull();
    expect(sealer.open(token, `${ALICE} `, DIGEST)).toBeNull();
    expect(sealer.open(token, '', DIGEST)).toBeNull();
  });

  it('refuses another request: other tool, other arguments, other method', () => {
    const { sealer } = clocked([K_OLD]);
    const token = sealer.seal(STATE, ALICE, DIGEST);
    expect(sealer.open(token, ALICE, call('fx.delete_all', { q: 1 }))).toBeNull();
    expect(
      sealer.open(token, ALICE, call('fx.test_input_required_result_elicitation', { q: 2 })),
    ).toBeNull();
    expect(
      sealer.open(
        token,
        ALICE,
        requestDigest('prompts/get', {
          name: 'fx.test_input_required_result_elicitation',
          arguments: { q: 1 },
        }),
      ),
    ).toBeNull();
  });

  it('digests what the retry repeats, and nothing the retry adds', () => {
    const base = { name: 't', arguments: { b: 2, a: 1 } };
    const d = requestDigest('tools/call', base);
    // Key order does not matter (canonical JSON); requestState, inputResponses and _meta do not count.
    expect(requestDigest('tools/call', { arguments: { a: 1, b: 2 }, name: 't' })).toBe(d);
    expect(
      requestDigest('tools/call', {
        ...base,
        requestState: 'ws1.x',
        inputResponses: { k: { action: 'accept' } },
        _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' },
      }),
    ).toBe(d);
    expect(requestDigest('resources/read', { uri: 'test://a' })).not.toBe(
      requestDigest('resources/read', { uri: 'test://b' }),
    );
    expect(requestDigest('tools/call', undefined)).toBe(requestDigest('tools/call', {}));
  });

  it('refuses a token with any byte changed (property)', () => {
    const { sealer } = clocked([K_OLD]);
    const token = sealer.seal(STATE, ALICE, DIGEST);
    const raw = Buffer.from(token.slice(4), 'base64url');
    fc.assert(
      fc.property(fc.nat(raw.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const t = Buffer.from(raw);
        t[i] ^= x;
        expect(sealer.open(`ws1.${t.toString('base64url')}`, ALICE, DIGEST)).toBeNull();
      }),
      { numRuns: 300 },
    );
    // Truncated, extended, wrong prefix.
    expect(sealer.open(token.slice(0, -1), ALICE, DIGEST)).toBeNull();
    expect(sealer.open(`${token}AA`, ALICE, DIGEST)).toBeNull();
    expect(sealer.open(`ws2.${token.slice(4)}`, ALICE, DIGEST)).toBeNull();
  });

  it('refuses an expired state (and one from too far in the future)', () => {
    const { sealer, at } = clocked([K_OLD], 60_000);
    const token = sealer.seal(STATE, ALICE, DIGEST);
    at(T0 + 59_999);
    expect(sealer.open(token, ALICE, DIGEST)).not.toBeNull();
    at(T0 + 60_000);
    expect(sealer.open(token, ALICE, DIGEST)).toBeNull();
    // Clock skew between replicas is tolerated up to a minute, not more.
    at(T0 - 59_000);
    expect(sealer.open(token, ALICE, DIGEST)).not.toBeNull();
    at(T0 - 61_000);
    expect(sealer.open(token, ALICE, DIGEST)).toBeNull();
  });

  it('defaults to a ten-minute lifetime', () => {
    const { sealer, at } = clocked([K_OLD]);
    const token = sealer.seal(STATE, ALICE, DIGEST);
    at(T0 + 10 * 60_000 - 1);
    expect(sealer.open(token, ALICE, DIGEST)).not.toBeNull();
    at(T0 + 10 * 60_000);
    expect(sealer.open(token, ALICE, DIGEST)).toBeNull();
  });

  it('opens states sealed with a rotated-out key, and seals with the first key only', () => {
    const old = clocked([K_OLD]).sealer;
    const rotated = clocked([K_NEW, K_OLD]).sealer;
    const onlyNew = clocked([K_NEW]).sealer;
    const before = old.seal(STATE, ALICE, DIGEST);
    expect(rotated.open(before, ALICE, DIGEST)).toEqual({ ...STATE, createdAt: T0 });
    expect(onlyNew.open(before, ALICE, DIGEST)).toBeNull();
    // Rotation does not loosen the binding.
    expect(rotated.open(before, BOB, DIGEST)).toBeNull();
    const after = rotated.seal(STATE, ALICE, DIGEST);
    expect(onlyNew.open(after, ALICE, DIGEST)).not.toBeNull();
    expect(old.open(after, ALICE, DIGEST)).toBeNull();
  });

  it('gives every keyless sealer its own random key', () => {
    const a = createRequestStateSealer({ keys: [] });
    const b = createRequestStateSealer({ keys: [] });
    const token = a.seal(STATE, ALICE, DIGEST);
    expect(a.open(token, ALICE, DIGEST)).toMatchObject(STATE);
    expect(b.open(token, ALICE, DIGEST)).toBeNull();
    expect(a.open(b.seal(STATE, ALICE, DIGEST), ALICE, DIGEST)).toBeNull();
  });

  it('never throws on hostile input (property)', () => {
    const { sealer } = clocked([K_OLD]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `ws1.${s}`),
          fc
            .uint8Array({ minLength: 0, maxLength: 200 })
            .map((b) => `ws1.${Buffer.from(b).toString('base64url')}`),
          fc.anything() as fc.Arbitrary<unknown>,
        ),
        (t) => {
          expect(sealer.open(t as string, ALICE, DIGEST)).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
    expect(sealer.open(`ws1.${'A'.repeat(70_000)}`, ALICE, DIGEST)).toBeNull();
  });
});
