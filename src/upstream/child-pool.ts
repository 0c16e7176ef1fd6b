// `isolation: per_subject` for a stdio upstream: one child per subject (the token's issuer and
// `sub`), so that nothing one user's child says can reach another user. A child is spawned on
// the subject's first use and ends when it has been idle (no call in flight) for
// `child_idle_s`; at most `max_children` run at once, and a subject without a child when all
// are busy gets UPSTREAM_BUSY (503). A child that exits is not restarted: the subject's next
// call spawns a new one. Discovery keeps its own child (upstream.ts).

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/schema.ts';
import { httpError } from '../transport/errors.ts';
import { StdioSupervisor } from './stdio.ts';

/** The key of a subject's child: issuer and `sub` (one `sub` under two issuers is two users). */
export const subjectKey = (s: { issuer?: string; sub: string }): string =>
  `${s.issuer ?? ''}\u0000${s.sub}`;

interface Child {
  sup: StdioSupervisor;
  ready: Promise<Client>;
  lastUsed: number;
}

export interface ChildPoolOptions {
  config: UpstreamConfig;
  log: Logger;
  clientInfo: { name: string; version: string };
  capabilities: ClientCapabilities;
  /** Installs handlers on each child's client before it connects. */
  onClient: (client: Client) => void;
  /** Whether a call is in flight on the client (such a child is never reaped). */
  busy: (client: Client) => boolean;
}

export class ChildPool {
  private readonly children = new Map<string, Child>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly idleMs: number;
  private readonly max: number;

  constructor(private readonly opts: ChildPoolOptions) {
    this.idleMs = (opts.config.child_idle_s ?? 300) * 1000;
    this.max = opts.config.max_children ?? 32;
    this.sweeper = setInterval(() => this.reap(), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.children.size;
  }

  /** The subject's child, spawned on first use. */
  acquire(subject: string): Promise<Client> {
    let c = this.children.get(subject);
    if (!c) {
      if (this.children.size >= this.max) this.reap(0);
      if (this.children.size >= this.max)
        throw httpError(
          'UPSTREAM_BUSY',
          `upstream ${this.opts.config.name} runs its limit of ${this.max} per-subject children (upstreams[].max_children)`,
        );
      c = this.spawn(subject);
    }
    c.lastUsed = Date.now();
    return c.ready;
  }

  /** The subject's child if it runs (never spawns one). */
  existing(subject: string): Promise<Client> | undefined {
    return this.children.get(subject)?.ready;
  }

  private spawn(subject: string): Child {
    const forget = () => {
      if (this.children.get(subject) === child) this.children.delete(subject);
    };
    const sup = new StdioSupervisor({
      config: this.opts.config,
      log: this.opts.log,
      clientInfo: this.opts.clientInfo,
      capabilities: this.opts.capabilities,
      onClient: this.opts.onClient,
      onRestart: () => undefined,
      restart: false,
      onExit: forget,
    });
    const child: Child = { sup, ready: sup.start(), lastUsed: Date.now() };
    child.ready.catch(forget);
    this.children.set(subject, child);
    return child;
  }

  /** Ends children idle for longer than `idleMs` (0: any idle child, to make room). */
  private reap(idleMs = this.idleMs): void {
    const limit = Date.now() - idleMs;
    for (const [subject, c] of this.children) {
      if (c.lastUsed > limit || !c.sup.client || this.opts.busy(c.sup.client)) continue;
      this.children.delete(subject);
      void c.sup.close();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.children.values()];
    this.children.clear();
    await Promise.all(all.map((c) => c.sup.close()));
  }
}
