// Preloaded (`node --import`) into the conformance CLI when it tests the gateway. The suite
// (0.1.16) has no option for request headers, but the gateway, like any OAuth 2.1 protected MCP
// server, answers 401 without `Authorization: Bearer` (MCP 2025-11-25 "Authorization" §Access
// Token Usage). This adds that one header, exactly as an authenticated client sends it, to the
// requests bound for the gateway's origin; nothing else about the requests changes.
//
// It installs an undici global dispatcher: both Node's built-in fetch (used by the SDK client
// transport and by the raw-HTTP scenarios) and the `undici.request` of the DNS-rebinding
// scenario send through the dispatcher stored under Symbol.for('undici.globalDispatcher.1').
// The 0.2 prerelease's SEP-2243 header scenarios send with `http.request({hostname, port, …})`
// instead, so that function is wrapped too (0.1.16 uses node:http only for its own servers).
//
// Env: WARDEN_CONFORMANCE_BEARER (the token), WARDEN_CONFORMANCE_BEARER_ORIGIN (e.g.
// http://127.0.0.1:8080). Plain JavaScript because it runs on the suite's Node 22, without tsx.

import http from 'node:http';
import { createRequire } from 'node:module';

const token = process.env.WARDEN_CONFORMANCE_BEARER;
const origin = process.env.WARDEN_CONFORMANCE_BEARER_ORIGIN;

/** Headers in any of the shapes undici accepts: flat array, array of pairs, object, iterable. */
export function withBearer(headers, value) {
  const auth = `Bearer ${value}`;
  if (headers == null) return { authorization: auth };
  if (Array.isArray(headers)) {
    if (headers.length && Array.isArray(headers[0])) {
      if (headers.some(([k]) => String(k).toLowerCase() === 'authorization')) return headers;
      return [...headers, ['authorization', auth]];
    }
    for (let i = 0; i < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === 'authorization') return headers;
    return [...headers, 'authorization', auth];
  }
  if (typeof headers[Symbol.iterator] === 'function')
    return withBearer(
      Array.from(headers, ([k, v]) => [k, v]),
      value,
    );
  if (Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) return headers;
  return { ...headers, authorization: auth };
}

if (token && origin) {
  // Resolve undici from the suite's own install (tools/conformance), where this runs.
  const require = createRequire(`${process.cwd()}/package.json`);
  const { Agent, setGlobalDispatcher } = require('undici');
  const target = new URL(origin).origin;
  const agent = new Agent().compose(
    (dispatch) => (opts, handler) =>
      String(opts.origin).replace(/\/$/, '') === target
        ? dispatch({ ...opts, headers: withBearer(opts.headers, token) }, handler)
        : dispatch(opts, handler),
  );
  setGlobalDispatcher(agent);

  // http.request(options[, callback]) with an options object: the form the suite uses. Any
  // other form passes through unchanged.
  const request = http.request;
  http.request = function requestWithBearer(options, ...rest) {
    if (options && typeof options === 'object' && !(options instanceof URL) && options.hostname) {
      const where = `${options.protocol ?? 'http:'}//${options.hostname}${options.port ? `:${options.port}` : ''}`;
      if (new URL(where).origin === target)
        return request.call(
          this,
          { ...options, headers: withBearer(options.headers, token) },
          ...rest,
        );
    }
    return request.call(this, options, ...rest);
  };
}
