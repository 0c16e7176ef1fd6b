// A byte-level bound on the events of an SSE stream that someone else parses.
//
// The /mcp route reads its upstreams through the SDK's client transport, which parses SSE
// itself and would buffer an event of any size. An upstream the gateway does not control could
// make it hold gigabytes that way. This transform passes the stream on whole events only
// (WHATWG HTML §9.2.6: an event ends at a blank line; CR, LF and CRLF all end a line) and holds
// at most `limit` bytes of the event being received. An event over the bound is dropped, never
// forwarded in part: the stream ends instead with what `onOverflow` returns (for a POST
// answer, a JSON-RPC error event for its request), so the reader sees a clean end, not a
// truncated event.

import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

export class SseEventBound extends Transform {
  /** Bytes of the event being received, held until its blank line arrives. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private lineStart = true;
  private afterCR = false;
  /** The last chunk ended with the CR of a blank line: a LF first in the next belongs to it. */
  private lfOwed = false;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => Buffer | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.overflowed) return done();
    let start = 0; // first byte of `chunk` not yet passed on or held
    if (this.lfOwed && chunk[0] === LF) {
      // The LF of a CRLF blank line whose CR ended the previous chunk (and event).
      this.push(chunk.subarray(0, 1));
      start = 1;
    }
    this.lfOwed = false;
    for (let i = start; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === LF && this.afterCR) {
        this.afterCR = false; // the LF of a CRLF: the CR already ended the line
        continue;
      }
      this.afterCR = b === CR;
      if (b !== LF && b !== CR) {
        this.lineStart = false;
        continue;
      }
      if (!this.lineStart) {
        this.lineStart = true;
        continue;
      }
      // A blank line: the event (held bytes + chunk[start..i]) is complete. A CRLF goes whole.
      let end = i + 1;
      if (b === CR) {
        if (end < chunk.length && chunk[end] === LF) {
          end++;
          this.afterCR = false;
        } else if (end === chunk.length) this.lfOwed = true;
      }
      if (this.heldBytes + (end - start) > this.limit) return this.overflow(done);
      const tail = chunk.subarray(start, end);
      this.push(this.held.length === 0 ? tail : Buffer.concat([...this.held, tail]));
      this.held = [];
      this.heldBytes = 0;
      start = end;
      i = end - 1;
    }
    if (start < chunk.length) {
      if (this.heldBytes + (chunk.length - start) > this.limit) return this.overflow(done);
      this.held.push(chunk.subarray(start));
      this.heldBytes += chunk.length - start;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // A stream that ends mid-event: the reader discards an unterminated event, so do we.
    this.held = [];
    done();
  }

  private overflow(done: TransformCallback): void {
    this.overflowed = true;
    this.held = [];
    this.heldBytes = 0;
    const trailer = this.onOverflow();
    if (trailer) this.push(trailer);
    this.push(null);
    done();
    this.end(); // nothing more is read: let the stream finish and close
  }
}
