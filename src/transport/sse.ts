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
  private buf = '';
  /** Where the next boundary search starts: the text before it holds none. */
  private scanned = 0;
  /** The last event ended with a CR whose LF may start the next chunk: not a line end then. */
  private crEnded = false;

  /** `maxEvent`: an event longer than this, finished or not, throws SseEventTooLargeError
   *  (an unfinished one instead of growing without bound). */
  constructor(private readonly maxEvent = Infinity) {}

  /** Feeds a chunk; returns the events it completed. Works with LF, CRLF and CR line ends.
   *  Linear in the input: an event arriving in many chunks is not rescanned from its start
   *  for each one. */
  feed(chunk: string): SseEvent[] {
    this.buf += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    // A boundary may straddle the previous chunk's end: back up by its longest length - 1.
    BOUNDARY.lastIndex = Math.max(0, this.scanned - 3);
    if (this.crEnded && this.buf.length > 0) {
      // "…\r\r" + "\n…": the LF completes the CRLF that ended the last event; it travels
      // with the next event's raw text but ends no line.
      if (this.buf[0] === '\n') BOUNDARY.lastIndex = Math.max(1, BOUNDARY.lastIndex);
      this.crEnded = false;
    }
    for (let m = BOUNDARY.exec(this.buf); m; m = BOUNDARY.exec(this.buf)) {
      const end = m.index + m[0].length;
      this.crEnded = end === this.buf.length && this.buf[end - 1] === '\r';
      if (end - start > this.maxEvent) throw new SseEventTooLargeError(this.maxEvent);
      out.push(parseEvent(this.buf.slice(start, end)));
      start = end;
    }
    if (start > 0) this.buf = this.buf.slice(start);
    this.scanned = this.buf.length;
    if (this.buf.length > this.maxEvent) throw new SseEventTooLargeError(this.maxEvent);
    return out;
  }

  /** Whatever is buffered (an unterminated event at end of stream). */
  rest(): string {
    const r = this.buf;
    this.buf = '';
    this.scanned = 0;
    this.crEnded = false;
    return r;
  }
}

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
