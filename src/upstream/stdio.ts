// A supervised stdio upstream: one child process at a time, spoken to by one SDK Client.
// When the child dies (crash, exit) it is restarted with exponential backoff; requests that
// were in flight fail (the SDK rejects them with "Connection closed"), later ones go to the new
// child. On shutdown the child is killed (SDK: stdin end → SIGTERM → SIGKILL).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StdioClientTransport,
  getDefaultEnvironment,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/schema.ts';

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 10_000;
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
}

export class StdioSupervisor {
  client?: Client;
  pid?: number;
  restarts = 0;
  private closing = false;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(private readonly opts: StdioSupervisorOptions) {}

  /** Spawns the child and completes `initialize`; rejects if the first start fails. */
  async start(): Promise<Client> {
    const { config, log } = this.opts;
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
      if (!this.closing) this.scheduleRestart();
    };
    await client.connect(transport, { timeout: config.timeout_ms });
    this.client = client;
    this.pid = transport.pid ?? undefined;
    this.startedAt = Date.now();
    return client;
  }

  private scheduleRestart(): void {
    if (this.timer || this.closing) return;
    if (Date.now() - this.startedAt > STABLE_MS) this.attempt = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt++);
    this.opts.log.warn(
      { upstream: this.opts.config.name, delay_ms: delay },
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
        (e: unknown) => {
          this.opts.log.error(
            { upstream: this.opts.config.name, err: (e as Error).message },
            'stdio upstream restart failed',
          );
          this.scheduleRestart();
        },
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
