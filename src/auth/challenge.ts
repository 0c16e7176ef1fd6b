// Reading bearer credentials from a request and writing the `WWW-Authenticate` challenge.
// RFC 6750 §2.1 (header form, b64token grammar), §2.3 (query form, which the MCP authorization
// spec forbids: "Access tokens MUST NOT be included in the URI query string"), §3 (challenge
// syntax), §3.1 (error codes and their statuses); RFC 9728 §5.1 (`resource_metadata`).

import type { IncomingHttpHeaders } from 'node:http';

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Far above any real access token; stops hashing and parsing megabyte headers. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export type Credentials =
  | { kind: 'none'; description: string }
  | { kind: 'token'; token: string }
  | { kind: 'malformed'; status: 400 | 401; error: BearerError; description: string };

/**
 * Extracts the bearer token. Never throws: every odd header maps to an RFC 6750 outcome.
 * - no credentials, or another scheme (Basic, DPoP…): no error code (RFC 6750 §3.1 "SHOULD NOT
 *   include an error code" when the client sent no bearer authentication information);
 * - a bearer header that breaks the grammar, several headers, a token in the query: 400
 *   `invalid_request` ("malformed", "more than one method", §3.1);
 * - a syntactically fine but oversized token: 401 `invalid_token`.
 */
export function readCredentials(headers: IncomingHttpHeaders, url: string): Credentials {
  if (queryHasToken(url))
    return {
      kind: 'malformed',
      status: 400,
      error: 'invalid_request',
      description:
        'access tokens in the query string are not accepted; use the Authorization header',
    };
  const raw: unknown = headers.authorization;
  if (raw === undefined) return { kind: 'none', description: 'no access token' };
  if (typeof raw !== 'string')
    return {
      kind: 'malformed',
      status: 400,
      error: 'invalid_request',
      description: 'more than one Authorization header',
    };
  // RFC 9110 §5.5: field values are trimmed of surrounding whitespace.
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  const sp = value.search(/[ \t]/);
  const scheme = sp < 0 ? value : value.slice(0, sp);
  if (scheme.toLowerCase() !== 'bearer') {
    if (value === '') return malformed('empty Authorization header');
    return { kind: 'none', description: 'unsupported authentication scheme; use Bearer' };
  }
  const token = sp < 0 ? '' : value.slice(sp).replace(/^[ \t]+/, '');
  if (token === '') return malformed('Bearer credentials are missing');
  if (!B64TOKEN.test(token)) return malformed('Bearer credentials are not a valid b64token');
  if (token.length > MAX_TOKEN_LENGTH)
    return {
      kind: 'malformed',
      status: 401,
      error: 'invalid_token',
      description: 'token too large',
    };
  return { kind: 'token', token };
}

const malformed = (description: string): Credentials => ({
  kind: 'malformed',
  status: 400,
  error: 'invalid_request',
  description,
});

function queryHasToken(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const query = url.slice(q + 1).split('#')[0];
  // Parse by hand rather than URLSearchParams so a malformed percent-escape can not throw and a
  // percent-encoded name (`access%5Ftoken`) is still caught.
  for (const pair of query.split('&')) {
    const name = pair.split('=')[0];
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      /* keep the raw name */
    }
    if (decoded === 'access_token') return true;
  }
  return false;
}

export interface ChallengeParams {
  error?: BearerError;
  errorDescription?: string;
  scope?: string[];
  resourceMetadata?: string;
}

/**
 * `Bearer` challenge (RFC 6750 §3). Parameter values are quoted-strings (RFC 9110 §5.6.4):
 * `\` and `"` are backslash-escaped and control characters dropped so a value can never end
 * the header or the parameter early. `error_description` and `scope` are further restricted
 * by RFC 6750 §3 to %x20-21 / %x23-5B / %x5D-7E, so disallowed characters are replaced there.
 */
export function bearerChallenge(p: ChallengeParams): string {
  const parts: string[] = [];
  if (p.resourceMetadata !== undefined)
    parts.push(`resource_metadata=${quote(p.resourceMetadata)}`);
  if (p.error) parts.push(`error=${quote(p.error)}`);
  if (p.errorDescription !== undefined)
    parts.push(`error_description=${quote(restrict(p.errorDescription))}`);
  if (p.scope && p.scope.length > 0) parts.push(`scope=${quote(p.scope.map(restrict).join(' '))}`);
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

export function quote(v: string): string {
  return `"${v.replace(/[\x00-\x1f\x7f]/g, '').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only. */
const restrict = (v: string): string => v.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
