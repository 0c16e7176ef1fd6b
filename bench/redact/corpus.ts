// Deterministic inputs for the redaction benchmark and the linear-time test: "mixed JSON" shaped
// like MCP tool traffic (mostly ordinary text, ids and numbers, ~1 secret per 2 KB), and inputs
// built to make backtracking engines blow up on these very patterns.

/** xorshift32: the same corpus on every run and machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const WORDS =
  'the gateway forwards each call to its upstream after the policy allows it and records what happened in the audit log with the arguments redacted'.split(
    ' ',
  );
const SECRETS = [
  'alice.smith@example.com',
  '4111 1111 1111 1111',
  '123-45-6789',
  '+44 20 7946 0958',
  '(212) 555-1234',
  '10.20.30.40',
  '2001:db8:85a3::8a2e:370:7334',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  'Bearer 0123456789abcdefABCDEF',
  'AKIAIOSFODNN7EXAMPLE',
  'DE89 3704 0044 0532 0130 00',
];

function sentence(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]);
  return out.join(' ');
}

/** One MCP-like tool result object. */
function item(r: () => number, i: number): unknown {
  const withSecret = r() < 0.25;
  return {
    id: `ord-${100000 + i}`,
    order_number: String(Math.floor(r() * 1e12)),
    created: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
    version: `v${i % 7}.${i % 13}.${i % 5}`,
    amount: Math.round(r() * 1e6) / 100,
    tags: ['alpha', 'beta', 'gamma'].slice(0, 1 + (i % 3)),
    note:
      sentence(r, 20) +
      (withSecret ? ` ${SECRETS[Math.floor(r() * SECRETS.length)]} ` : ' ') +
      sentence(r, 10),
    path: `/srv/data/${i % 100}/file-${i}.json`,
  };
}

/** A JSON value whose serialization is about `bytes` long, and that serialization. */
export function mixedJson(bytes: number, seed = 42): { value: unknown; text: string } {
  const r = rng(seed);
  const items: unknown[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const it = item(r, i);
    items.push(it);
    size += JSON.stringify(it).length + 1;
  }
  const value = { content: [{ type: 'text', text: 'results' }], structuredContent: { items } };
  return { value, text: JSON.stringify(value) };
}

/** Inputs that defeat backtracking engines on these very patterns: one long run of
 *  local-part characters with no "@" (a backtracking engine retries the email pattern from every
 *  position: quadratic), then near-miss units — an email-like string with no valid domain end,
 *  digit/dash runs that never satisfy a card or SSN boundary — and an unterminated PEM header. RE2 stays linear on all of it. */
export function adversarial(bytes: number): string {
  const unit = 'a.'.repeat(24) + '@' + 'a-'.repeat(24) + '!' + '1-'.repeat(20) + '\t';
  const tail = ' -----BEGIN PRIVATE KEY----- ';
  let s = 'a'.repeat(Math.floor(bytes / 2)) + ' ';
  while (s.length < bytes - tail.length) s += unit;
  return s.slice(0, bytes - tail.length) + tail;
}
