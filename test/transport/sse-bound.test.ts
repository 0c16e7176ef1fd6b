// SseEventBound: whole events only, whatever the chunking and line ends; an event over the
// bound is never forwarded, not even in part, and the stream ends with the overflow trailer.

import { once } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { split } from './split.ts';
import { SseEventBound } from '../../src/transport/sse-bound.ts';
import { SseParser } from '../../src/transport/sse.ts';

async function pass(chunks: string[], limit: number, trailer?: string): Promise<string[]> {
  const bound = new SseEventBound(limit, () => (trailer ? Buffer.from(trailer) : undefined));
  const out: string[] = [];
  bound.on('data', (c: Buffer) => out.push(c.toString()));
  const closed = once(bound, 'close');
  for (const c of chunks) if (!bound.writableEnded) bound.write(Buffer.from(c));
  if (!bound.writableEnded) bound.end();
  await closed;
  return out;
}

const eventArb = fc.record({
  data: fc.array(fc.stringMatching(/^[ -~]{0,30}$/), { minLength: 1, maxLength: 3 }),
  eol: fc.constantFrom('\n', '\r\n', '\r'),
});
const text = (e: { data: string[]; eol: string }) =>
  e.data.map((d) => `data: ${d}${e.eol}`).join('') + e.eol;

describe('SseEventBound', () => {
  it('passes every event whole, at event boundaries only, however the stream is cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(600), { maxLength: 12 }),
        fc.stringMatching(/^data: [a-z]{0,8}$/),
        async (evs, cuts, unfinished) => {
          const whole = evs.map(text).join('');
          const out = await pass(split(whole + unfinished, cuts), 1 << 20);
          // Everything but the unterminated last event, byte for byte.
          expect(out.join('')).toBe(whole);
          // Each piece holds whole events: a fresh parser fed the piece and then the start of
          // another event holds only that start (a lone LF is the end of a CRLF blank line).
          for (const piece of out) {
            if (piece === '\n') continue; // the LF of a CRLF whose CR ended the last piece
            const p = new SseParser();
            p.feed(piece + 'data: next');
            expect(p.rest()).toBe('data: next');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops the first event over the bound and everything after, then ends with the trailer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { maxLength: 4 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(2000), { maxLength: 12 }),
        async (before, eol, cuts) => {
          const small = before.map(text).join('');
          const big = `data: ${'x'.repeat(300)}${eol}${eol}`;
          const out = await pass(split(small + big + 'data: after\n\n', cuts), 200, 'TRAILER');
          expect(out.join('')).toBe(small + 'TRAILER');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bounds an event that never ends, holding no more than the bound', async () => {
    const chunks = Array.from({ length: 100 }, () => 'data: ' + 'y'.repeat(1000));
    expect(await pass(['data: ok\n\n', ...chunks], 10_000)).toEqual(['data: ok\n\n']);
  });
});
