// Syslog transport: RFC 5424 messages over TCP (RFC 6587) or TLS (RFC 5425), each framed with
// octet counting (RFC 6587 §3.4.1: "MSG-LEN SP SYSLOG-MSG"), so a record may hold any byte,
// newlines included, and the collector never has to guess where it ends.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type { SyslogSinkConfig } from '../config.ts';
import type { Transport } from '../remote.ts';

/** RFC 5424 §6.2.1 severity 6 (informational): audit records are not alarms. */
const SEVERITY = 6;

/** One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`. The JSON
 *  record is the MSG, UTF-8 without BOM (§6.4 allows both); MSGID "audit" lets collectors
 *  route on it. Fields that are unknown are the NILVALUE "-". */
export function formatSyslog(
  cfg: Pick<SyslogSinkConfig, 'facility' | 'app_name'>,
  host: string,
  line: Buffer,
  now = new Date(),
): Buffer {
  const head = `<${cfg.facility * 8 + SEVERITY}>1 ${now.toISOString()} ${host} ${cfg.app_name} ${process.pid} audit - `;
  const msg = Buffer.concat([Buffer.from(head, 'ascii'), line]);
  return Buffer.concat([Buffer.from(`${msg.length} `, 'ascii'), msg]);
}

export class SyslogTransport implements Transport {
  readonly confirmMs: number;
  epoch = 0;
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private downCb: (() => void) | null = null;
  private readonly host: string;
  private closed = false;

  constructor(private readonly cfg: SyslogSinkConfig) {
    this.confirmMs = cfg.confirm_ms;
    // RFC 5424 §6.2.4: HOSTNAME is 1*255 PRINTUSASCII; FQDN preferred.
    this.host = (cfg.hostname ?? osHostname()).replace(/[^\x21-\x7e]/g, '').slice(0, 255) || '-';
  }

  onDown(cb: () => void): void {
    this.downCb = cb;
  }

  private connect(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const { host, port, tls } = this.cfg;
      const s: Socket = tls
        ? tlsConnect({
            host,
            port,
            servername: tls.servername ?? host,
            ca: tls.ca ? readFileSync(tls.ca) : undefined,
            cert: tls.cert ? readFileSync(tls.cert) : undefined,
            key: tls.key ? readFileSync(tls.key) : undefined,
            rejectUnauthorized: tls.reject_unauthorized,
          })
        : tcpConnect({ host, port });
      s.setNoDelay(true);
      s.setKeepAlive(true, 10_000);
      const ready = tls ? 'secureConnect' : 'connect';
      const fail = (e: Error): void => {
        s.destroy();
        this.connecting = null;
        reject(e);
      };
      s.once('error', fail);
      s.once(ready, () => {
        s.off('error', fail);
        this.epoch++;
        this.socket = s;
        this.connecting = null;
        // The collector never talks back; anything it sends is ignored.
        s.on('data', () => undefined);
        const lost = (): void => {
          if (this.socket !== s) return;
          this.socket = null;
          s.destroy();
          if (!this.closed) this.downCb?.();
        };
        s.on('error', lost);
        s.on('end', lost);
        s.on('close', lost);
        resolve(s);
      });
    });
    return this.connecting;
  }

  async send(ndjson: Buffer, _lines: number): Promise<void> {
    const s = await this.connect();
    const frames: Buffer[] = [];
    const now = new Date();
    let start = 0;
    for (let nl = ndjson.indexOf(0x0a); nl >= 0; nl = ndjson.indexOf(0x0a, start)) {
      frames.push(formatSyslog(this.cfg, this.host, ndjson.subarray(start, nl), now));
      start = nl + 1;
    }
    await new Promise<void>((resolve, reject) => {
      s.write(Buffer.concat(frames), (err) => (err ? reject(err) : resolve()));
    });
    if (this.socket !== s) throw new Error('connection lost while sending');
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.socket;
    this.socket = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.end(() => resolve());
      setTimeout(resolve, 1000).unref();
    });
    s.destroy();
  }
}
