// A supervised stdio upstream: one child process at a time, spoken to by one SDK Client.
// When the child dies (crash, exit) it is restarted with exponential backoff; requests that
// were in flight fail (the SDK rejects them with "Connection closed"), later ones go to the new
// child. A command that cannot start (ENOENT) or a child that dies before it stayed up
// STABLE_MS keeps doubling the delay (100 ms … 30 s), one log line per attempt; only a child
// that stayed up that long starts over at 100 ms. On shutdown the child is killed (SDK: stdin
// end → SIGTERM → SIGKILL).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StdioClientTransport,
  getDefaultEnvironment,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/schema.ts';

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;
/** A child that stayed up this long resets the backoff. */
const STABLE_MS = 30_000;

export interface StdioSupervisorOptions {
  config: UpstreamConfig;
  log: Logger;
  clientInfo: { name: string; version: string };
  capabilities: ClientCapabilities;
  /** Called with each freshly connected client (before discovery), to install handlers. */
  onClient: (client: Client) => void;
  /** Called after a restart succeeded (the gateway rediscovers). */
  onRestart: () => void;
  /** false: a child that exits is not restarted (a per-subject child: the next call spawns
   *  a new one); `onExit` is told instead. */
  restart?: boolean;
  onExit?: () => void;
}

export class StdioSupervisor {
  client?: Client;
  pid?: number;
  restarts = 0;
  /** Spawns tried (the first start included): what the backoff bounds. */
  attempts = 0;
  private closing = false;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  /** When the running child completed `initialize`; 0 while none is up. */
  private upSince = 0;
  /** Why the last start failed, for the next backoff line. */
  private lastError?: string;

  constructor(private readonly opts: StdioSupervisorOptions) {}

  /** Spawns the child and completes `initialize`; rejects if the first start fails. */
  async start(): Promise<Client> {
    const { config, log } = this.opts;
    this.attempts++;
    const transport = new StdioClientTransport({
      command: config.command!,
      args: config.args,
      env: { ...getDefaultEnvironment(), ...config.env },
      cwd: config.cwd,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) log.info({ upstream: config.name, stderr: line }, 'upstream stderr');
    });
    const client = new Client(this.opts.clientInfo, { capabilities: this.opts.capabilities });
    this.opts.onClient(client);
    client.onclose = () => {
      if (this.client === client) this.client = undefined;
      // Only a child that stayed up resets the backoff; one that never came up (ENOENT, an
      // exit during initialize) or died at once keeps doubling it.
      if (this.upSince && Date.now() - this.upSince > STABLE_MS) this.attempt = 0;
      this.upSince = 0;
      if (this.opts.restart === false) this.opts.onExit?.();
      else if (!this.closing) this.scheduleRestart();
    };
    try {
      await client.connect(transport, { timeout: config.timeout_ms });
    } catch (e) {
      this.lastError = (e as Error).message;
      throw e;
    }
    this.client = client;
    this.pid = transport.pid ?? undefined;
    this.upSince = Date.now();
    this.lastError = undefined;
    return client;
  }

  private scheduleRestart(): void {
    if (this.timer || this.closing) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.attempt++, 20));
    // One line per attempt: with the delay doubling, a command that cannot start logs a few
    // lines a minute, not ten a second.
    this.opts.log.warn(
      {
        upstream: this.opts.config.name,
        delay_ms: delay,
        attempt: this.attempts,
        ...(this.lastError ? { err: this.lastError } : {}),
      },
      'stdio upstream exited; restarting',
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closing) return;
      this.start().then(
        () => {
          this.restarts++;
          this.opts.onRestart();
        },
        // Logged by the next schedule (its line carries the error).
        () => this.scheduleRestart(),
      );
    }, delay);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
  }
}
