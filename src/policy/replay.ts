// Replay: the decisions a log recorded, re-made by another policy. Two log kinds are read,
// one JSON object per line:
//   - the gateway's audit records (src/audit/record.ts): they do not hold the whole policy
//     input, so it is rebuilt from the record's fields — method, upstream, tool name,
//     arguments (as recorded: redacted values stay `[REDACTED:<kind>]`), subject and client,
//     route, request id, time (whole seconds of `time`), and the recorded request headers.
//     What a record lacks is left out of the input: the token's scopes (`subject.scopes` is
//     []), its approval time, the tool's resolved scope/destructive flag/annotations
//     (`input.tool` holds the name only), `limits`, token claims and the client address.
//     A policy that reads those decides differently on replay than it did live: compare
//     against a baseline policy replayed on the same inputs (`--baseline`) to see only what
//     the new policy changes;
//   - OPA decision logs (`{decision_id, path, input, result, …}`): the input is exact.
// A decision made on redacted arguments is flagged: neither the recorded nor the replayed
// decision saw what the client sent.

import { argumentsDepth, argumentsSize } from './input.ts';

export type Outcome = 'allow' | 'deny' | 'ask';

export interface ReplayCall {
  /** 1-based line number in the log. */
  line: number;
  id: string;
  time?: string;
  subject: string;
  tool: string;
  input: Record<string, unknown>;
  /** The recorded decision, when the log has one. */
  before?: { outcome: Outcome; reasons: string[] };
  /** OPA decision logs name the rule that decided (`path`). */
  path?: string;
  redacted: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `[REDACTED:<kind>]` anywhere in a value (the audit module's placeholder). */
export function hasRedaction(v: unknown): boolean {
  const stack = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === 'string') {
      if (x.includes('[REDACTED')) return true;
    } else if (Array.isArray(x)) stack.push(...x);
    else if (isObj(x)) stack.push(...Object.keys(x), ...Object.values(x));
  }
  return false;
}

/** A decision entrypoint's value → outcome and reasons (a boolean rule: allow / deny). */
export function outcomeOf(result: unknown): { outcome: Outcome; reasons: string[] } {
  if (typeof result === 'boolean') return { outcome: result ? 'allow' : 'deny', reasons: [] };
  if (!isObj(result)) return { outcome: 'deny', reasons: ['policy returned no decision'] };
  const reasons = Array.isArray(result.reasons)
    ? result.reasons.filter((r): r is string => typeof r === 'string')
    : [];
  if (result.allow === true && reasons.length === 0) return { outcome: 'allow', reasons };
  if (isObj(result.ask)) {
    const msg = typeof result.ask.message === 'string' ? [result.ask.message] : [];
    return { outcome: 'ask', reasons: reasons.length ? reasons : msg };
  }
  return { outcome: 'deny', reasons: reasons.length ? reasons : ['policy returned no decision'] };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The policy input an audit record implies (see the header for what is approximated). */
export function inputFromAudit(r: Record<string, unknown>): Record<string, unknown> {
  const args = r.arguments ?? {};
  const ms = Date.parse(str(r.time) ?? '');
  const tool = str(r.tool);
  const input: Record<string, unknown> = {
    method: r.method,
    arguments: args,
    arguments_size: argumentsSize(args),
    arguments_depth: argumentsDepth(args),
    time: Number.isFinite(ms) ? Math.floor(ms / 1000) : 0,
    limits: {},
    request: { id: r.request_id ?? null, route: str(r.route) ?? '' },
  };
  if (typeof r.upstream === 'string') input.upstream = r.upstream;
  if (tool !== undefined) {
    input.tool_name = tool;
    input.tool = { name: tool };
  }
  if (typeof r.subject === 'string') {
    input.subject = { sub: r.subject, client_id: str(r.client) ?? '', scopes: [] };
  }
  if (isObj(r.headers)) input.headers = r.headers;
  if (typeof r.route === 'string') input.route = r.route;
  return input;
}

export class ReplayLogError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Every tools/call the log decided, in order. Lines that are not JSON objects are errors;
 *  other records (other methods, calls refused before the policy) are skipped. */
export function readReplayLog(text: string): ReplayCall[] {
  const calls: ReplayCall[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(raw);
    } catch {
      throw new ReplayLogError(i + 1, 'not a JSON object');
    }
    if (!isObj(rec)) throw new ReplayLogError(i + 1, 'not a JSON object');
    const call =
      isObj(rec.input) && 'decision_id' in rec ? fromOpa(rec, i + 1) : fromAudit(rec, i + 1);
    if (call) calls.push(call);
  }
  return calls;
}

function fromOpa(rec: Record<string, unknown>, line: number): ReplayCall | undefined {
  const input = rec.input as Record<string, unknown>;
  if (input.method !== undefined && input.method !== 'tools/call') return undefined;
  const subject = isObj(input.subject) ? str(input.subject.sub) : undefined;
  return {
    line,
    id: str(rec.decision_id) ?? `line ${line}`,
    time: str(rec.timestamp),
    subject: subject ?? '-',
    tool: str(input.tool_name) ?? (isObj(input.tool) ? str(input.tool.name) : undefined) ?? '-',
    input,
    before: 'result' in rec ? outcomeOf(rec.result) : undefined,
    path: str(rec.path)
      ?.replace(/^data[./]/, '')
      .replace(/\./g, '/'),
    redacted: hasRedaction(input.arguments),
  };
}

function fromAudit(rec: Record<string, unknown>, line: number): ReplayCall | undefined {
  if (rec.method !== 'tools/call') return undefined;
  if (rec.decision !== 'allow' && rec.decision !== 'deny') return undefined;
  const reasons = Array.isArray(rec.reasons)
    ? rec.reasons.filter((r): r is string => typeof r === 'string')
    : [];
  return {
    line,
    id: str(rec.decision_id) ?? String(rec.request_id ?? `line ${line}`),
    time: str(rec.time),
    subject: str(rec.subject) ?? '-',
    tool: str(rec.tool) ?? '-',
    input: inputFromAudit(rec),
    before: { outcome: rec.decision, reasons },
    redacted: hasRedaction(rec.arguments),
  };
}
