// The SSE parser: the same events whatever the chunking (boundaries straddling chunks, all
// three line-end conventions), raw text kept byte for byte, and the bound on an event that
// never ends.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { split } from './split.ts';
import { SseEventTooLargeError, SseParser, type SseEvent } from '../../src/transport/sse.ts';

const feedAll = (chunks: string[], max?: number): { events: SseEvent[]; rest: string } => {
  const p = new SseParser(max);
  const events = chunks.flatMap((c) => p.feed(c));
  return { events, rest: p.rest() };
};

describe('SseParser', () => {
  it('parses fields, comments and multi-line data', () => {
    const { events, rest } = feedAll([
      ': keep-alive\n\nid: 7\nevent: message\ndata: {"a":1}\ndata: {"b":2}\n\ndata:x\n\nda',
    ]);
    expect(events.map(({ id, event, data }) => ({ id, event, data }))).toEqual([
      { id: undefined, event: undefined, data: '' },
      { id: '7', event: 'message', data: '{"a":1}\n{"b":2}' },
      { id: undefined, event: undefined, data: 'x' },
    ]);
    expect(rest).toBe('da');
  });

  it('yields the same events, raw text intact, however the stream is cut', () => {
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const event = fc.record({
      id: fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/), { nil: undefined }),
      data: fc.array(fc.stringMatching(/^[ -~]{0,12}$/), { minLength: 1, maxLength: 3 }),
      eol,
    });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(400), { maxLength: 12 }),
        (evs, cuts) => {
          const text = evs
            .map(
              (e) =>
                (e.id === undefined ? '' : `id: ${e.id}${e.eol}`) +
                e.data.map((d) => `data: ${d}${e.eol}`).join('') +
                e.eol,
            )
            .join('');
          const whole = feedAll([text]);
          const cut = feedAll(split(text, cuts));
          expect(cut).toEqual(whole);
          expect(whole.events.map((e) => e.raw).join('') + whole.rest).toBe(text);
          expect(whole.events.map((e) => e.data)).toEqual(evs.map((e) => e.data.join('\n')));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ends events at blank lines whose line ends are mixed ("a\\r\\n\\r", "a\\n\\r\\n")', () => {
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const line = fc.record({ data: fc.stringMatching(/^[ -~]{0,12}$/), eol });
    const event = fc.record({ lines: fc.array(line, { minLength: 1, maxLength: 3 }), end: eol });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(400), { maxLength: 12 }),
        (evs, cuts) => {
          // A CR line end followed by a LF one would be a CRLF: one line end, not two.
          const merges = (e: (typeof evs)[0]) =>
            [...e.lines.map((l) => l.eol), e.end].some(
              (x, i, all) => x === '\r' && all[i + 1] === '\n',
            );
          fc.pre(!evs.some(merges));
          // The start of one more event follows: a CR last in the stream may still be a CRLF's.
          const text =
            evs
              .map((e) => e.lines.map((l) => `data: ${l.data}${l.eol}`).join('') + e.end)
              .join('') + 'data: more';
          const want = evs.map((e) => e.lines.map((l) => l.data).join('\n'));
          for (const chunks of [[text], split(text, cuts)]) {
            const got = feedAll(chunks);
            expect(got.events.map((e) => e.data)).toEqual(want);
            // (After "\r\r" cut before a "\n", that LF rides along with the next event.)
            expect(got.rest.replace(/^\n/, '')).toBe('data: more');
            expect(got.events.map((e) => e.raw).join('') + got.rest).toBe(text);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('yields the same events fed one character at a time', () => {
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(
        fc.array(fc.record({ data: fc.stringMatching(/^[ -~]{0,8}$/), eol }), {
          minLength: 1,
          maxLength: 5,
        }),
        (evs) => {
          const text = evs.map((e) => `data: ${e.data}${e.eol}${e.eol}`).join('') + 'data: x';
          const whole = feedAll([text]);
          const one = feedAll([...text]);
          expect(one.events.map((e) => e.data)).toEqual(whole.events.map((e) => e.data));
          expect(one.events.map((e) => e.raw).join('') + one.rest).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds at most the bound of an unfinished event, then refuses it and lets go', () => {
    const p = new SseParser(64 * 1024);
    p.feed('data: ');
    let threw: unknown;
    let most = 0;
    try {
      for (let i = 0; i < 100; i++) {
        p.feed('q'.repeat(1000));
        most = Math.max(most, p.buffered);
      }
    } catch (e) {
      threw = e;
    }
    expect(threw).toBeInstanceOf(SseEventTooLargeError);
    expect(most).toBeLessThanOrEqual(64 * 1024);
    expect(p.buffered).toBe(0);
  });

  it('finds a CRLF boundary split across chunks at every position', () => {
    const text = 'data: one\r\n\r\ndata: two\r\n\r\n';
    for (let i = 0; i <= text.length; i++)
      expect(feedAll([text.slice(0, i), text.slice(i)]).events.map((e) => e.data)).toEqual([
        'one',
        'two',
      ]);
  });

  it('refuses an unfinished event past its bound, and not a long stream of small ones', () => {
    const p = new SseParser(1000);
    for (let i = 0; i < 500; i++) expect(p.feed(`data: ${'x'.repeat(50)}\n\n`)).toHaveLength(1);
    expect(() => {
      for (let i = 0; i < 30; i++) p.feed(`data: ${'y'.repeat(50)}\n`);
    }).toThrow(SseEventTooLargeError);
    // A finished one too, even when it arrives whole in one chunk.
    expect(() => new SseParser(1000).feed(`data: ${'w'.repeat(1200)}\n\n`)).toThrow(
      SseEventTooLargeError,
    );
  });

  it('takes an event of many chunks in one pass (a 4 MB event in 4 KB chunks)', () => {
    const p = new SseParser();
    const chunk = 'z'.repeat(4096);
    p.feed('data: ');
    for (let i = 0; i < 1024; i++) expect(p.feed(chunk)).toEqual([]);
    const [ev] = p.feed('\n\n');
    expect(ev.data.length).toBe(4096 * 1024);
  });
});
