// Incremental parser for text/event-stream (WHATWG HTML §9.2.6), keeping each event's raw
// text so a proxy can pass events through byte-for-byte and rewrite only the one it must.

export interface SseEvent {
  raw: string;
  data: string;
  id?: string;
  event?: string;
}

/** An event grew past the parser's bound without ending (an upstream we do not control). */
export class SseEventTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`an SSE event exceeds ${limit} characters`);
  }
}

/** Event boundaries: a blank line, i.e. two line ends in a row, each CRLF, LF or CR, mixed as
 *  they come ("a\r\n\r" ends an event). A CR followed by LF is one line end, never two. A CR
 *  last in the buffer after a CRLF or LF waits for the next chunk, which may start with its
 *  LF; after a CR it ends the event at once (a CR-only stream must not wait for the next one). */
const BOUNDARY = /(?:\r\n|(?<!\r)\n)(?:\r\n|\n|\r(?=[^\n]))|\r(?!\n)(?:\r\n|\n|\r)/g;

export class SseParser {
  /** The unfinished event's text, as the chunks that brought it (joined once, when it ends:
   *  appending to one string and scanning it would flatten it per chunk, quadratic in the
   *  event's length). */
  private parts: string[] = [];
  private pending = 0;
  /** The last characters of `parts` (at most TAIL): a boundary may straddle chunks. */
  private tail = '';
  /** The last event ended with a CR whose LF may start the next chunk: not a line end then. */
  private crEnded = false;

  /** `maxEvent`: an event longer than this, finished or not, throws SseEventTooLargeError
   *  (an unfinished one instead of growing without bound). */
  constructor(private readonly maxEvent = Infinity) {}

  /** Characters held for the event being received (bounded by `maxEvent`). */
  get buffered(): number {
    return this.pending;
  }

  /** Feeds a chunk; returns the events it completed. Works with LF, CRLF and CR line ends.
   *  Linear in the input: each chunk is scanned once (with the few characters before it that
   *  a boundary may start in), and an event's text is joined once. */
  feed(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    // The window: the tail of what is held, then the chunk. The held text before the tail
    // holds no boundary, and a boundary is at most 4 characters long (CRLF CRLF), so one that
    // straddles the chunk's start begins at most 3 characters back; one more lets the
    // look-behind see the character before it.
    const win = this.tail + chunk;
    const base = this.tail.length;
    BOUNDARY.lastIndex = Math.max(0, base - 3);
    if (this.crEnded && win.length > 0) {
      // "…\r\r" + "\n…": the LF completes the CRLF that ended the last event; it travels
      // with the next event's raw text but ends no line.
      if (this.pending === 0 && win[0] === '\n')
        BOUNDARY.lastIndex = Math.max(1, BOUNDARY.lastIndex);
      this.crEnded = false;
    }
    let start = 0; // in `win`; text before it was emitted
    let first = true;
    for (let m = BOUNDARY.exec(win); m; m = BOUNDARY.exec(win)) {
      const end = m.index + m[0].length;
      this.crEnded = end === win.length && win[end - 1] === '\r';
      let raw: string;
      if (first && this.pending > 0) {
        // The first event includes everything held; the window repeats the tail of it.
        const size = this.pending + Math.max(0, end - base);
        if (size > this.maxEvent) throw this.tooLarge();
        this.parts.push(win.slice(base, Math.max(base, end)));
        raw = this.parts.join('');
        if (end < base) raw = raw.slice(0, raw.length - (base - end));
      } else {
        if (end - start > this.maxEvent) throw this.tooLarge();
        raw = win.slice(start, end);
      }
      first = false;
      out.push(parseEvent(raw));
      start = end;
    }
    if (first) {
      // No boundary: the chunk joins the held text, whose last characters end the window.
      if (chunk) this.parts.push(chunk);
      this.pending += chunk.length;
      this.tail = win.slice(-TAIL);
    } else {
      const rest = win.slice(start);
      this.parts = rest ? [rest] : [];
      this.pending = rest.length;
      this.tail = rest.slice(-TAIL);
    }
    if (this.pending > this.maxEvent) throw this.tooLarge();
    return out;
  }

  /** Whatever is buffered (an unterminated event at end of stream). */
  rest(): string {
    const r = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    this.tail = '';
    this.crEnded = false;
    return r;
  }

  private tooLarge(): SseEventTooLargeError {
    // What is held is dropped: the caller ends the exchange, nothing more is parsed.
    this.parts = [];
    this.pending = 0;
    this.tail = '';
    return new SseEventTooLargeError(this.maxEvent);
  }
}

/** Characters of look-back a boundary search needs: 3 for the boundary, 1 for look-behind. */
const TAIL = 4;

function parseEvent(raw: string): SseEvent {
  const data: string[] = [];
  const ev: SseEvent = { raw, data: '' };
  for (const line of raw.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'id') ev.id = value;
    else if (field === 'event') ev.event = value;
  }
  ev.data = data.join('\n');
  return ev;
}

/** Re-encodes an event with new data, keeping its id and event type. */
export function encodeEvent(ev: SseEvent, data: string): string {
  let s = '';
  if (ev.event) s += `event: ${ev.event}\n`;
  if (ev.id !== undefined) s += `id: ${ev.id}\n`;
  for (const line of data.split('\n')) s += `data: ${line}\n`;
  return `${s}\n`;
}

/** One JSON-RPC message as an SSE event of the Streamable HTTP transport (event type
 * `message`; JSON has no raw newlines, so one data line). */
export function messageEvent(msg: Record<string, unknown>): string {
  return `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n\n`;
}
