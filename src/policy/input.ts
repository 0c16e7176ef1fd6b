// The input document the gateway hands to the policy (`data.mcp.authz.decision`), and a plain
// TypeScript twin of the shipped rules. policies/README.md documents every field; keep the two
// in step (test/policy/authz.test.ts checks decideInTs against the compiled Rego on random
// inputs, so a drift shows up as a failing property, not as a silent difference).

/** A tool as the registry resolved it (config › manifest › annotations › default_scope). */
export interface PolicyTool {
  /** The name on the route the call came through (`<upstream>.<tool>` on /mcp). */
  name: string;
  /** The one scope a token must hold to call it; "" = none. */
  scope: string;
  /** Resolved flag; the policy treats an absent flag as destructive. */
  destructive: boolean;
  /** The upstream's MCP tool annotations, as advertised: untrusted hints. */
  annotations: Record<string, unknown>;
}

export interface PolicySubject {
  sub: string;
  client_id: string;
  /** From the token's `scope` (space-separated) or `scp` claim. */
  scopes: string[];
  /** Unix seconds of the human approval (`auth.approval.time_claims`, default `approved_at`);
   *  absent when the token carries no numeric approval stamp. Never `iat` by default. */
  approved_at?: number;
  /** The token claims named in `auth.policy_claims` that the token carries. */
  claims?: Record<string, unknown>;
}

/** Per-call overrides of the policy's settings; the gateway passes its own config here. */
export interface PolicyLimits {
  max_payload_bytes?: number;
  approval_max_age_s?: number;
  approval_scope?: string;
  clock_skew_s?: number;
}

export interface PolicyInput {
  method: string;
  upstream?: string;
  /** The tool name as the client asked for it (`params.name`). */
  tool_name?: string;
  /** Absent when the registry has no such tool. */
  tool?: PolicyTool;
  arguments: unknown;
  /** UTF-8 bytes of JSON.stringify(arguments): see argumentsSize. */
  arguments_size: number;
  /** Nesting levels of arguments (a scalar 0, `{}` 1, `{"a": [1]}` 2): see argumentsDepth. */
  arguments_depth: number;
  /** Absent only when the gateway evaluates without a token (it normally rejects with 401 first). */
  subject?: PolicySubject;
  /** Whole unix seconds. */
  time: number;
  limits: PolicyLimits;
  request: { id: string | number | null; route: string };
  /** The path that received the call ("/mcp", "/u/<upstream>/mcp"); as request.route. */
  route?: string;
  /** The MCP era of the message: "2025" (session-based revisions) or "2026-07-28". */
  era?: string;
  /** The request headers named in `policy.input_headers` (lower-case names). */
  headers?: Record<string, string>;
  /** The peer address of the HTTP connection (a proxy in front shows as itself). */
  client?: { address: string };
}

/** What the gateway knows about a call, in its own (camelCase) terms. */
export interface PolicyContext {
  method: string;
  upstream?: string;
  /** Requested name; defaults to tool.name. */
  toolName?: string;
  tool?: {
    name: string;
    scope?: string;
    destructive?: boolean;
    annotations?: Record<string, unknown>;
  };
  arguments?: unknown;
  subject?: {
    sub?: string;
    clientId?: string;
    scopes?: readonly string[];
    /** Unix seconds, as in the JWT claim. */
    approvedAt?: number;
  };
  /** Milliseconds since the epoch (Date.now()) or a Date. */
  now: number | Date;
  limits?: PolicyLimits;
  requestId?: string | number | null;
  /** The path that received the request: "/mcp" or "/u/<upstream>/mcp". */
  route: string;
  /** HTTP facts the policy may see (see requestFacts). */
  http?: RequestFacts;
}

/** What the HTTP request adds to the input: allow-listed headers, the peer, the era. */
export interface RequestFacts {
  era?: string;
  headers?: Record<string, string>;
  address?: string;
  /** Selected token claims (auth.policy_claims). */
  claims?: Record<string, unknown>;
}

/** Headers a policy never sees even when allow-listed: credentials belong to src/auth, and
 *  a policy input ends up in decision logs. */
const NEVER_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Picks the allow-listed headers (names lower case); repeated ones are joined with ", "
 *  (RFC 9110 §5.3). */
export function pickHeaders(
  headers: Record<string, string | string[] | undefined>,
  allow: readonly string[],
): Record<string, string> | undefined {
  if (allow.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const name of allow) {
    const n = name.toLowerCase();
    if (NEVER_HEADERS.has(n)) continue;
    const v = headers[n];
    if (v !== undefined) out[n] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Picks the named claims the token carries (JSON values as the token holds them). */
export function pickClaims(
  claims: Record<string, unknown> | undefined,
  names: readonly string[],
): Record<string, unknown> | undefined {
  if (names.length === 0 || !claims) return undefined;
  const out: Record<string, unknown> = {};
  for (const n of names) {
    if (Object.prototype.hasOwnProperty.call(claims, n) && claims[n] !== undefined) {
      out[n] = claims[n];
    }
  }
  return out;
}

/** Adds the request facts to a built input (kept apart from the core fields above). */
function addRequestFacts(input: PolicyInput, facts: RequestFacts | undefined): void {
  if (!facts) return;
  if (facts.era !== undefined) input.era = facts.era;
  if (facts.headers !== undefined) input.headers = facts.headers;
  if (facts.address !== undefined) input.client = { address: facts.address };
  if (facts.claims !== undefined && input.subject) input.subject.claims = facts.claims;
}

/** The encoded size the payload limit applies to: the UTF-8 byte length of ECMAScript
 *  JSON.stringify (no whitespace, keys in the parsed object's order, lone surrogates escaped as
 *  \uXXXX, so every string has one well-defined byte count). It measures the arguments as the
 *  gateway will forward them, not the client's raw bytes, so padding with whitespace or escapes
 *  neither hides nor inflates a payload. */
export function argumentsSize(args: unknown): number {
  return Buffer.byteLength(JSON.stringify(args ?? {}), 'utf8');
}

/**
 * How deeply the arguments nest (arrays and objects; a scalar is 0). Cheap to know here and
 * costly to find in Rego: a policy that `walk`s the arguments pays for every path, which grows
 * with the square of the depth, so it can refuse deep arguments first (policies/README.md).
 * Iterative: the arguments come from a client.
 */
export function argumentsDepth(args: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[args ?? {}, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, d + 1]);
  }
  return max;
}

const LIMIT_KEYS = [
  'max_payload_bytes',
  'approval_max_age_s',
  'approval_scope',
  'clock_skew_s',
] as const;

export function buildPolicyInput(ctx: PolicyContext): PolicyInput {
  const args = ctx.arguments ?? {};
  const ms = typeof ctx.now === 'number' ? ctx.now : ctx.now.getTime();
  const input: PolicyInput = {
    method: ctx.method,
    arguments: args,
    arguments_size: argumentsSize(args),
    arguments_depth: argumentsDepth(args),
    // Whole seconds: JWT times are whole seconds (RFC 7519 §2 NumericDate), and integer
    // arithmetic keeps "exactly max age" exact in Rego and here alike.
    time: Math.floor(ms / 1000),
    limits: {},
    request: { id: ctx.requestId ?? null, route: ctx.route },
    route: ctx.route,
  };
  if (ctx.upstream !== undefined) input.upstream = ctx.upstream;
  const toolName = ctx.toolName ?? ctx.tool?.name;
  if (toolName !== undefined) input.tool_name = toolName;
  if (ctx.tool) {
    input.tool = {
      name: ctx.tool.name,
      scope: ctx.tool.scope ?? '',
      // MCP's destructiveHint defaults to true (2025-11-25, Tool annotations).
      destructive: ctx.tool.destructive ?? true,
      annotations: ctx.tool.annotations ?? {},
    };
  }
  if (ctx.subject) {
    const s = ctx.subject;
    input.subject = {
      sub: s.sub ?? '',
      client_id: s.clientId ?? '',
      scopes: [...(s.scopes ?? [])],
    };
    // A non-negative finite number only (RFC 7519 §2 NumericDate): anything else is no approval.
    if (typeof s.approvedAt === 'number' && Number.isFinite(s.approvedAt) && s.approvedAt >= 0) {
      input.subject.approved_at = Math.floor(s.approvedAt);
    }
  }
  // Only set keys travel: an absent key lets data.mcp.config or the default apply.
  for (const key of LIMIT_KEYS) {
    const v = ctx.limits?.[key];
    if (v !== undefined) (input.limits as Record<string, unknown>)[key] = v;
  }
  addRequestFacts(input, ctx.http);
  return input;
}

// ---- the shipped rules, in TypeScript ---------------------------------------------------------

export interface Decision {
  allow: boolean;
  reasons: string[];
}

/** Mirrors `data.mcp.config` (a bundle's data.json). */
export type PolicyConfig = PolicyLimits;

export const POLICY_DEFAULTS = {
  max_payload_bytes: 8192,
  approval_max_age_s: 300,
  approval_scope: 'approved:by:human',
  clock_skew_s: 30,
} as const satisfies Required<PolicyLimits>;

type Setting = keyof typeof POLICY_DEFAULTS;

/** Whether the policy sees member `k`: JSON drops members whose value is undefined. */
const has = (o: unknown, k: string): o is Record<string, unknown> =>
  typeof o === 'object' &&
  o !== null &&
  Object.prototype.hasOwnProperty.call(o, k) &&
  (o as Record<string, unknown>)[k] !== undefined;

/** Rego's `else` chain: the first place that defines the key wins, whatever its value. */
function setting<K extends Setting>(input: unknown, config: unknown, key: K): unknown {
  const limits = has(input, 'limits') ? input.limits : undefined;
  if (has(limits, key)) return limits[key];
  if (has(config, key)) return config[key];
  return POLICY_DEFAULTS[key];
}

/** authz.rego's `covers`: equal, or a held `x:*` whose text before "*" prefixes the scope. */
export function scopeCovers(held: unknown, required: unknown): boolean {
  if (held === required) return true;
  return (
    typeof held === 'string' &&
    typeof required === 'string' &&
    held.endsWith(':*') &&
    required.startsWith(held.slice(0, -1))
  );
}

function hasScope(subject: unknown, required: unknown): boolean {
  const scopes = has(subject, 'scopes') ? subject.scopes : undefined;
  return Array.isArray(scopes) && scopes.some((held) => scopeCovers(held, required));
}

/** Rego orders strings by their UTF-8 bytes, i.e. by code point; JS's default sort uses UTF-16
 *  code units, which differs for characters above U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

/** The shipped policy's decision, computed in TypeScript: the benchmark's baseline and the
 *  differential test's oracle. Meant for inputs shaped like PolicyInput. */
export function decideInTs(input: PolicyInput, config: PolicyConfig = {}): Decision {
  const reasons = new Set<string>();
  const tool: unknown = input.tool;
  const known = has(tool, 'name') && tool.name !== '';

  if (!known) {
    const name = has(input, 'tool_name')
      ? input.tool_name
      : has(tool, 'name')
        ? tool.name
        : '(unnamed)';
    reasons.add(`no such tool: ${String(name)}`);
  } else {
    const scope = has(tool, 'scope') ? tool.scope : undefined;
    if (scope !== undefined && scope !== '' && !hasScope(input.subject, scope)) {
      reasons.add(`missing scope: ${String(scope)}`);
    }
    const destructive = !(has(tool, 'destructive') && tool.destructive === false);
    if (destructive && input.method !== 'tools/list' && !freshApproval(input, config)) {
      reasons.add('destructive tool requires fresh human approval');
    }
  }

  const maxPayload = setting(input, config, 'max_payload_bytes');
  if (typeof input.arguments_size === 'number' && typeof maxPayload === 'number') {
    if (input.arguments_size > maxPayload) {
      reasons.add(`payload too large (> ${Math.trunc(maxPayload)} bytes)`);
    }
  }

  const sorted = [...reasons].sort(compareCodePoints);
  return { allow: sorted.length === 0, reasons: sorted };
}

function freshApproval(input: PolicyInput, config: PolicyConfig): boolean {
  if (!hasScope(input.subject, setting(input, config, 'approval_scope'))) return false;
  const at = has(input.subject, 'approved_at') ? input.subject.approved_at : undefined;
  const maxAge = setting(input, config, 'approval_max_age_s');
  const skew = setting(input, config, 'clock_skew_s');
  if (typeof input.time !== 'number' || typeof at !== 'number') return false;
  if (!Number.isFinite(at) || at < 0) return false;
  if (typeof maxAge !== 'number' || typeof skew !== 'number') return false;
  const age = input.time - at;
  return age <= maxAge && age >= -skew;
}
