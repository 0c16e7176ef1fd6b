// Syslog over TLS (RFC 5425) to a real node:tls collector with a certificate made by openssl,
// and the RFC 5424 / RFC 6587 §3.4.1 wire format checked byte by byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAuditor, parseAuditConfig } from '../../src/audit/index.ts';
import { formatSyslog } from '../../src/audit/sinks/syslog.ts';
import { input, tempDir } from './helpers.ts';
import { OPENSSL, selfSignedCert } from '../fixtures/tls.ts';

/** Splits an octet-counted stream into messages; returns the rest. */
function deframe(input: Buffer, out: Buffer[]): Buffer {
  let buf: Buffer = input;
  for (;;) {
    const sp = buf.indexOf(0x20);
    if (sp < 0) return buf;
    const len = Number(buf.subarray(0, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0)
      throw new Error(`bad frame length ${buf.subarray(0, sp).toString()}`);
    if (buf.length < sp + 1 + len) return buf;
    out.push(buf.subarray(sp + 1, sp + 1 + len));
    buf = buf.subarray(sp + 1 + len);
  }
}

describe('syslog wire format', () => {
  it('is RFC 5424 with octet-counting framing (length in bytes, UTF-8 safe)', () => {
    const line = Buffer.from('{"a":"Zoë 電話"}');
    const frame = formatSyslog(
      { facility: 16, app_name: 'warden' },
      'gw1',
      line,
      new Date('2026-01-02T03:04:05.678Z'),
    );
    const text = frame.toString('utf8');
    const m = /^(\d+) (.*)$/s.exec(text)!;
    expect(Number(m[1])).toBe(Buffer.byteLength(m[2]));
    expect(m[2]).toBe(
      `<134>1 2026-01-02T03:04:05.678Z gw1 warden ${process.pid} audit - {"a":"Zoë 電話"}`,
    );
  });
});

describe.skipIf(!OPENSSL)('syslog sink over TLS', () => {
  it('delivers framed records to a TLS collector whose certificate it verifies', async () => {
    const dir = tempDir('warden-tls-');
    const { key, cert } = selfSignedCert(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    const messages: Buffer[] = [];
    const server = createServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (sock: TLSSocket) => {
        let rest: Buffer = Buffer.alloc(0);
        sock.on('data', (d: Buffer) => {
          rest = deframe(Buffer.concat([rest, d]), messages);
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const a = await createAuditor(
      parseAuditConfig({
        sinks: [
          {
            type: 'syslog',
            name: 'tls',
            host: '127.0.0.1',
            port,
            tls: { ca: cert, servername: 'localhost' },
            hostname: 'gw1',
            confirm_ms: 100,
          },
        ],
        spool: { dir: join(dir, 'spool') },
        mode: 'async',
      }),
    );
    for (let i = 0; i < 25; i++) await a.record(input(i));
    const end = Date.now() + 15_000;
    while (messages.length < 25 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(messages).toHaveLength(25);
    messages.forEach((m, i) => {
      const s = m.toString('utf8');
      expect(s).toMatch(
        /^<110>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z gw1 mcp-warden \d+ audit - \{/,
      );
      expect(JSON.parse(s.slice(s.indexOf('{'))).seq).toBe(i);
    });
    await a.close(5000);
    expect(a.metrics().remote.tls.delivered).toBe(25);
    server.close();
  });

  it('refuses a collector whose certificate is not trusted (and keeps the records spooled)', async () => {
    const dir = tempDir('warden-tls-');
    const { key, cert } = selfSignedCert(dir, 'evil');
    let received = 0;
    const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (sock) =>
      sock.on('data', () => received++),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const a = await createAuditor(
      parseAuditConfig({
        sinks: [{ type: 'syslog', name: 'tls', host: '127.0.0.1', port, tls: true }],
        spool: { dir: join(dir, 'spool') },
      }),
    );
    await a.record(input(0));
    const end = Date.now() + 10_000;
    while (a.metrics().remote.tls.failures === 0 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    expect(a.metrics().remote.tls).toMatchObject({ delivered: 0, connected: false });
    expect(a.metrics().remote.tls.pending_bytes).toBeGreaterThan(0);
    expect(received).toBe(0);
    await a.close(100);
    server.close();
  });
});
