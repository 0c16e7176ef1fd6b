// The live registry: one entry per upstream, kept current from the upstream's own discovery
// (`changed` events: start, list_changed, stdio restarts), an interval poll with jitter, and
// retries with exponential backoff and jitter for upstreams that fail discovery. One
// upstream's failure only ever touches its own entry.
//
// The gateway adopts it in three places: `handle` for /registry/* paths, `gate` and
// `validateArguments` in the Authorizer (held and excluded tools, -32602 on bad arguments).

import { EventEmitter } from 'node:events';
import { unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Upstream } from '../upstream/upstream.ts';
import { handleRegistryRequest } from './api.ts';
import {
  HOLD_CHANGED,
  ingest,
  type PinningMode,
  type ScreeningMode,
  type UpstreamEntry,
} from './entry.ts';
import { PinStore, diff } from './pins.ts';
import { Poller } from './poller.ts';
import { SearchIndex, type SearchDoc } from './search.ts';
import { revisionOf, runInputSchema, type ArgumentCheck } from './validate.ts';

export interface RegistryOptions {
  upstreams: Upstream[];
  /** Pin state (JSON). Without it pins live in memory: they hold for this process only. */
  stateFile?: string;
  pinning?: PinningMode;
  screening?: ScreeningMode;
  /** Base of the interval poll; each wait is jittered ±20 %. 0 disables polling. */
  refreshIntervalMs?: number;
  /** Backoff for failed discovery: base doubles per failure up to max, with full jitter. */
  retry?: { baseMs?: number; maxMs?: number };
  log: Logger;
  /** The gateway's public URL, for `remotes` (…/u/<upstream>/mcp). */
  publicUrl?: string | (() => string);
  /** server.json namespace (reverse DNS); default: the public URL's host, reversed. */
  namespace?: string;
  /** The MCP revision an upstream negotiated; default: read from its HTTP transport. */
  protocolVersion?: (u: Upstream) => string | undefined;
  /** Compute pins but never write the state file (`warden registry`). */
  readOnly?: boolean;
}

export type GateResult = { ok: true } | { ok: false; reason: string };

export interface Registry {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** Whether calls to a tool may proceed: held and excluded tools may not. Unknown tools are
   * the policy's business ("no such tool"). */
  gate(upstream: string, tool: string): GateResult;
  /** `gate` for a definition an upstream served a client live (the drop-in route's tools/list):
   * one that differs from its pin is held like a change discovery saw (pinning: enforce). */
  observe(upstream: string, def: Record<string, unknown>): GateResult;
  validateArguments(upstream: string, tool: string, args: unknown): ArgumentCheck;
  entries(): UpstreamEntry[];
  entry(upstream: string): UpstreamEntry | undefined;
  search(q: string, limit?: number): ReturnType<SearchIndex['search']>;
  /** Re-pins (or accepts the findings of) a tool and saves the state file. */
  approve(upstream: string, tool: string): 're-pinned' | 'accepted';
  /** Refreshes one upstream now (or all); resolves when done. */
  refresh(upstream?: string): Promise<void>;
  readonly events: EventEmitter;
  readonly publicUrl: string;
  readonly namespace: string;
  close(): void;
}

/** The version spoken with the upstream (2026-07-28, or what initialize negotiated). */
const transportVersion = (u: Upstream): string | undefined => u.protocolVersion;

export function reverseDns(host: string): string {
  if (/^[\d.]+$/.test(host) || host.includes(':')) return host.replace(/[^a-zA-Z0-9.-]/g, '-');
  return host.split('.').reverse().join('.');
}

export function createRegistry(o: RegistryOptions): Registry {
  const log = o.log.child({ component: 'registry' });
  const pinning = o.pinning ?? 'enforce';
  const screening = o.screening ?? 'warn';
  const pins = new PinStore(o.stateFile).load();
  const events = new EventEmitter();
  const index = new SearchIndex();
  const byName = new Map<string, UpstreamEntry>();
  const publicUrl = () =>
    (typeof o.publicUrl === 'function' ? o.publicUrl() : o.publicUrl) ?? 'http://127.0.0.1';
  const namespace = o.namespace ?? reverseDns(new URL(publicUrl()).hostname);

  const save = () => {
    if (o.readOnly) return;
    try {
      pins.save();
    } catch (e) {
      log.error({ err: (e as Error).message, file: pins.file }, 'registry state not saved');
    }
  };

  const reindex = () => {
    const docs: SearchDoc[] = [];
    for (const e of byName.values())
      for (const t of e.tools.values()) {
        if (t.resolved?.hidden) continue;
        docs.push({
          exposed: t.resolved?.exposedName ?? `${e.name}.${t.name}`,
          upstream: e.name,
          name: t.name,
          title: (t.def.title ?? (t.def.annotations as { title?: string })?.title) as string,
          description: t.def.description as string | undefined,
          scope: t.resolved?.scope ?? '',
          destructive: t.resolved?.destructive ?? true,
          status: t.status,
        });
      }
    index.build(docs);
  };

  /** Takes the upstream's current catalog into its entry (sync: the 'changed' event handler
   * runs before any later call is authorized against the new list). */
  const take = (u: Upstream) => {
    const e = byName.get(u.name)!;
    if (!u.catalog) return;
    const rev = revisionOf((o.protocolVersion ?? transportVersion)(u));
    const info = u.catalog.serverInfo as UpstreamEntry['serverInfo'];
    e.serverInfo = info && { ...info };
    const r = ingest(
      e,
      u.catalog.tools as unknown as Record<string, unknown>[],
      u.catalog.byName,
      rev,
      { pinning, screening, pins },
    );
    if (r.pinsDirty) save();
    if (r.listChanged) {
      for (const p of e.invalid)
        log.warn({ upstream: e.name, tool: p.name, reason: p.reason }, 'tool excluded');
      for (const t of e.tools.values()) {
        if (t.status === 'held' || t.status === 'changed')
          log.warn(
            { upstream: e.name, tool: t.name, status: t.status, reason: t.hold, diff: t.diff },
            t.hold === 'tool description flagged'
              ? 'tool held by screening'
              : 'tool definition changed',
          );
        if (t.findings.length)
          log.warn(
            { upstream: e.name, tool: t.name, findings: t.findings },
            'tool description flagged',
          );
      }
      reindex();
      events.emit('changed', e.name);
    }
  };

  function gate(upstream: string, tool: string): GateResult {
    const e = byName.get(upstream);
    const t = e?.tools.get(tool);
    if (t) return t.hold ? { ok: false, reason: t.hold } : { ok: true };
    const bad = e?.invalid.find((p) => p.name === tool);
    if (bad) return { ok: false, reason: `tool excluded: ${bad.reason}` };
    return { ok: true };
  }

  /** After an approval: discovery lists again on a fresh upstream session, so it sees what
   * clients are served now (an upstream may serve its old session the old definition). */
  const rediscover = (u: Upstream) =>
    void u
      .rediscover()
      .catch((e: unknown) =>
        log.warn({ upstream: u.name, err: (e as Error).message }, 'rediscovery failed'),
      );

  const poller = new Poller({
    upstreams: o.upstreams,
    entries: byName,
    intervalMs: o.refreshIntervalMs ?? 300_000,
    retryBaseMs: o.retry?.baseMs ?? 1_000,
    retryMaxMs: o.retry?.maxMs ?? 60_000,
    log,
    onFailed: (e) => events.emit('unhealthy', e.name),
  });

  const listeners: Array<() => void> = [];
  for (const u of o.upstreams) {
    byName.set(u.name, {
      name: u.name,
      kind: u.kind,
      health: 'pending',
      failures: 0,
      tools: new Map(),
      invalid: [],
    });
    const onChanged = () => take(u);
    u.on('changed', onChanged);
    listeners.push(() => u.off('changed', onChanged));
    if (u.catalog) take(u);
    poller.track(u);
  }
  reindex();

  // Approvals made with `warden registry approve` land in the state file: adopt them.
  if (pins.file && !o.readOnly) {
    const file = pins.file;
    const onFile = () => {
      try {
        const changed = pins.merge();
        for (const up of new Set(changed.map(([u]) => u))) {
          const u = o.upstreams.find((x) => x.name === up);
          if (u) {
            take(u);
            rediscover(u);
          }
        }
      } catch (e) {
        log.error({ err: (e as Error).message, file: pins.file }, 'registry state unreadable');
      }
    };
    watchFile(file, { interval: 1000, persistent: false }, onFile);
    listeners.push(() => unwatchFile(file, onFile));
  }

  const registry: Registry = {
    events,
    get publicUrl() {
      return publicUrl();
    },
    namespace,
    handle: (req, res, path) => handleRegistryRequest(registry, req, res, path),
    gate,
    observe(upstream, def) {
      const e = byName.get(upstream);
      const name = String(def.name);
      const t = e?.tools.get(name);
      if (!e || !t || pinning === 'off') return gate(upstream, name);
      const [check, dirty] = pins.observeLive(upstream, def);
      if (check?.status !== 'changed') return gate(upstream, name);
      if (dirty) save();
      const status = pinning === 'enforce' ? 'held' : 'changed';
      if (t.status !== status || dirty) {
        // Held like a change discovery saw: listed as held, calls denied, released by
        // `warden registry approve`, which pins what the client was served.
        t.status = status;
        t.hold = status === 'held' ? HOLD_CHANGED : undefined;
        t.diff = diff(check.pin.definition, def);
        e.updatedAt = new Date().toISOString();
        log.warn(
          { upstream, tool: name, status, reason: t.hold, diff: t.diff, live: true },
          'tool definition changed',
        );
        reindex();
        events.emit('changed', upstream);
      }
      return gate(upstream, name);
    },
    validateArguments(upstream, tool, args) {
      const t = byName.get(upstream)?.tools.get(tool);
      if (!t) return { ok: true };
      return runInputSchema(t.input, args);
    },
    entries: () => [...byName.values()],
    entry: (name) => byName.get(name),
    search: (q, limit) => index.search(q, limit),
    approve(upstream, tool) {
      const { action } = pins.approve(upstream, tool);
      save();
      const u = o.upstreams.find((x) => x.name === upstream);
      if (u) {
        take(u);
        rediscover(u);
      }
      return action;
    },
    refresh: (name) => poller.refreshNow(name),
    close() {
      poller.close();
      for (const off of listeners.splice(0)) off();
    },
  };
  return registry;
}
