// Incremental parser for text/event-stream (WHATWG HTML §9.2.6), keeping each event's raw
// text so a proxy can pass events through byte-for-byte and rewrite only the one it must.

export interface SseEvent {
  raw: string;
  data: string;
  id?: string;
  event?: string;
}

export class SseParser {
  private buf = '';

  /** Feeds a chunk; returns the events it completed. Works with LF, CRLF and CR line ends. */
  feed(chunk: string): SseEvent[] {
    this.buf += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n\r\n|\n\n|\r\r/.exec(this.buf);
      if (!m) break;
      const raw = this.buf.slice(0, m.index + m[0].length);
      this.buf = this.buf.slice(m.index + m[0].length);
      out.push(parseEvent(raw));
    }
    return out;
  }

  /** Whatever is buffered (an unterminated event at end of stream). */
  rest(): string {
    const r = this.buf;
    this.buf = '';
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
