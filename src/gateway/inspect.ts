// Reading an upstream's answer on the drop-in route: every JSON-RPC message in it (a JSON body,
// single or batch, or SSE events) is shown to the proxy, which may replace it (tools/list
// filtering, redacted tool results); the body is then re-emitted with the replacements, or only
// peeked at (bounded) when the proxy streams it through untouched.

import { SseParser, encodeEvent } from '../transport/sse.ts';
import type { AnswerFeed } from './upstream-post.ts';

/** How much of a JSON answer is kept for inspection (audit, tools/list filtering). */
const INSPECT_LIMIT = 8 * 1024 * 1024;

/**
 * Watches a response body for JSON-RPC messages (single or batch, JSON or SSE): returns the
 * feed its text goes into. With `write`, the body is re-emitted (SSE events as they complete;
 * a JSON body once, whole) with `onMessage`'s replacements applied.
 */
export function answerInspector(
  isSse: boolean,
  onMessage: (m: Record<string, unknown>) => Record<string, unknown> | undefined,
  write: ((s: string) => void) | undefined,
  end: () => void,
  /** Bound on one SSE event. Re-emitting, an event over it throws SseEventTooLargeError (the
   *  caller ends the exchange); only peeking, inspection stops and the stream passes on. */
  maxEvent = INSPECT_LIMIT,
): AnswerFeed {
  if (isSse) {
    let parser: SseParser | undefined = new SseParser(maxEvent);
    return {
      data(chunk) {
        if (!parser) return;
        let events;
        try {
          events = parser.feed(chunk);
        } catch (e) {
          if (write) throw e;
          parser = undefined; // too large to inspect: the answer streams through untouched
          return;
        }
        for (const ev of events) {
          // Answers carry an id; progress notifications restart the proxy's answer timeout.
          const seen = ev.data.includes('"id"') || ev.data.includes('notifications/progress');
          const replaced = seen ? rewrite(ev.data, onMessage) : undefined;
          write?.(replaced === undefined ? ev.raw : encodeEvent(ev, replaced));
        }
      },
      end() {
        const rest = parser?.rest();
        if (rest) write?.(rest);
        end();
      },
    };
  }
  let text = '';
  let overflow = false;
  return {
    data(chunk) {
      // When re-emitting (write) the whole body is needed; otherwise only a bounded peek.
      if (write || (!overflow && text.length + chunk.length <= INSPECT_LIMIT)) text += chunk;
      else overflow = true;
    },
    end() {
      const replaced = !overflow && text ? rewrite(text, onMessage) : undefined;
      write?.(replaced ?? text);
      end();
    },
  };
}

/** Applies `onMessage` to a message or batch; returns new JSON text if anything changed. */
function rewrite(
  text: string,
  onMessage: (m: Record<string, unknown>) => Record<string, unknown> | undefined,
): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined; // not JSON: passed through untouched
  }
  const one = (m: unknown) =>
    m && typeof m === 'object' && !Array.isArray(m)
      ? onMessage(m as Record<string, unknown>)
      : undefined;
  if (Array.isArray(doc)) {
    let changed = false;
    const out = doc.map((m) => {
      const r = one(m);
      if (r) changed = true;
      return r ?? m;
    });
    return changed ? JSON.stringify(out) : undefined;
  }
  const r = one(doc);
  return r ? JSON.stringify(r) : undefined;
}
