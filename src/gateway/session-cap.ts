// Sessions per subject, per route (`limits.max_sessions_per_subject`): a client that opens
// sessions without ending them (or one token in a loop) would otherwise grow the gateway's
// session maps, and the upstream sessions behind them, without bound. At the cap the subject's
// least recently used idle session is ended to make room: its id then answers 404, on which an
// MCP client re-initializes (MCP 2025-11-25 "Session Management"). Only when every one of them
// has a request in flight is the new session refused (429). Sealed sessions (`sessions.keys`)
// hold no gateway state and are not counted.

import { httpError } from '../transport/errors.ts';

/** 64 sessions per subject and route unless configured. */
export const DEFAULT_MAX_SESSIONS_PER_SUBJECT = 64;

export interface CappedSession {
  lastSeen: number;
  busy: boolean;
  end(): void;
}

/**
 * Makes room for one more session of a subject that already holds `held`: ends the least
 * recently used idle one when the cap is reached, or throws SESSION_LIMIT (429).
 */
export function makeRoom(held: CappedSession[], max: number): void {
  if (held.length < max) return;
  const idle = held.filter((s) => !s.busy).sort((a, b) => a.lastSeen - b.lastSeen);
  const excess = held.length - max + 1;
  if (idle.length < excess)
    throw httpError(
      'SESSION_LIMIT',
      `Too Many Requests: this subject holds ${held.length} sessions on this route (limits.max_sessions_per_subject)`,
    );
  for (const s of idle.slice(0, excess)) s.end();
}
