// Request checks every MCP route applies before authentication or parsing, in the order the
// MCP 2025-11-25 "Streamable HTTP" section lists them: method (405), Origin/Host (403, the
// spec's "MUST validate the Origin header … to prevent DNS rebinding attacks"), Accept (406),
// Content-Type and charset (415).

import type { IncomingMessage } from 'node:http';
import { httpError } from './errors.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface OriginPolicy {
  /** Exact origins allowed besides the gateway's own (`allowed_origins` in warden.yaml). */
  allowed: ReadonlySet<string>;
  /** Origins of `public_url` and of the listening address. */
  own: ReadonlySet<string>;
  /** Bound to a loopback address: then the Host header must name loopback too. */
  loopback: boolean;
}

export function compileOriginPolicy(opts: {
  allowed: string[];
  publicUrl?: string;
  listenUrl: string;
  host: string;
}): OriginPolicy {
  const own = new Set<string>([new URL(opts.listenUrl).origin]);
  if (opts.publicUrl) own.add(new URL(opts.publicUrl).origin);
  const loopback = LOOPBACK_HOSTS.has(opts.host) || opts.host.startsWith('127.');
  if (loopback) {
    const port = new URL(opts.listenUrl).port;
    for (const h of ['localhost', '127.0.0.1', '[::1]']) own.add(`http://${h}:${port}`);
  }
  return { allowed: new Set(opts.allowed.map((o) => o.replace(/\/+$/, ''))), own, loopback };
}

export function checkMethod(req: IncomingMessage): void {
  if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'DELETE')
    throw httpError('METHOD_NOT_ALLOWED', `Method ${req.method} not allowed`);
}

/**
 * Browsers send Origin on cross-origin requests; a page on an attacker's site (or a rebound DNS
 * name pointing at 127.0.0.1) must not reach the gateway. Non-browser clients send no Origin.
 */
export function checkOrigin(req: IncomingMessage, policy: OriginPolicy, publicHost?: string): void {
  const origin = req.headers.origin;
  if (origin !== undefined && !policy.allowed.has(origin) && !policy.own.has(origin))
    throw httpError('ORIGIN_FORBIDDEN', `Forbidden: origin ${origin} is not allowed`);
  if (policy.loopback) {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!LOOPBACK_HOSTS.has(host) && host !== publicHost)
      throw httpError('ORIGIN_FORBIDDEN', `Forbidden: host ${host} is not allowed`);
  }
}

const accepts = (req: IncomingMessage, type: string): boolean => {
  const a = req.headers.accept ?? '';
  return a.includes(type) || a.includes('*/*');
};

export function checkAccept(req: IncomingMessage): void {
  // POST: the client must accept both JSON and SSE answers; GET opens an SSE stream.
  const ok =
    req.method === 'POST'
      ? accepts(req, 'application/json') && accepts(req, 'text/event-stream')
      : req.method === 'GET'
        ? accepts(req, 'text/event-stream')
        : true;
  if (!ok)
    throw httpError(
      'NOT_ACCEPTABLE',
      req.method === 'POST'
        ? 'Not Acceptable: Client must accept both application/json and text/event-stream'
        : 'Not Acceptable: Client must accept text/event-stream',
    );
}

/**
 * A POST body is JSON in UTF-8 and nothing else. The media type is `application/json`; a
 * `charset` parameter other than UTF-8 (any of them: a parser that takes the last of several
 * would read another charset than one that takes the first) is refused, since an upstream that
 * honours it (body-parser does, utf-7 included) would read other text than the gateway decided
 * on; and so is a content coding (RFC 9110 §15.5.16: 415 for an unsupported coding). The
 * forwarded body is always the gateway's own `application/json` serialization.
 */
export function checkContentType(req: IncomingMessage): void {
  const ct = req.headers['content-type'] ?? '';
  const [essence, ...params] = ct.split(';');
  if (essence.trim().toLowerCase() !== 'application/json')
    throw httpError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Unsupported Media Type: Content-Type must be application/json',
    );
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const cs = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (cs !== 'utf-8' && cs !== 'utf8')
      throw httpError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Unsupported Media Type: charset ${cs} is not supported, the body must be UTF-8`,
      );
  }
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity')
    throw httpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Unsupported Media Type: Content-Encoding ${coding} is not supported`,
    );
}
