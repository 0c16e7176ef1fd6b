// Which client headers the drop-in route may pass on (src/upstream/forward-headers.ts).
import { describe, expect, it } from 'vitest';
import { isIdentityHeader, stripIdentityHeaders } from '../../src/upstream/forward-headers.ts';

describe('stripIdentityHeaders', () => {
  const client = () => ({
    authorization: 'Bearer client-token',
    'proxy-authorization': 'Basic x',
    cookie: 'a=1',
    forwarded: 'for=1.2.3.4',
    'x-forwarded-user': 'admin',
    'x-forwarded-for': '1.2.3.4',
    'x-auth-request-email': 'a@b',
    'x-remote-user': 'admin',
    'x-real-ip': '1.2.3.4',
    'mcp-session-id': 's',
    'mcp-protocol-version': '2025-06-18',
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'last-event-id': '7',
  });

  it('keeps the protocol headers and removes every identity header and credential', () => {
    const h = client();
    stripIdentityHeaders(h);
    expect(Object.keys(h).sort()).toEqual(
      ['accept', 'content-type', 'last-event-id', 'mcp-protocol-version', 'mcp-session-id'].sort(),
    );
  });

  it('passes allow-listed identity headers, never the credentials', () => {
    const h = client();
    stripIdentityHeaders(h, ['cookie', 'x-forwarded-user', 'authorization', 'proxy-authorization']);
    expect(h).toMatchObject({ cookie: 'a=1', 'x-forwarded-user': 'admin' });
    expect(h).not.toHaveProperty('authorization');
    expect(h).not.toHaveProperty('proxy-authorization');
    expect(h).not.toHaveProperty('x-forwarded-for');
  });

  it('classifies by prefix', () => {
    for (const n of ['x-forwarded-proto', 'x-auth-request-groups', 'x-remote-group'])
      expect(isIdentityHeader(n)).toBe(true);
    for (const n of ['x-request-id', 'traceparent', 'mcp-name', 'user-agent'])
      expect(isIdentityHeader(n)).toBe(false);
  });
});
