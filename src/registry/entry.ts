// What the registry knows about one upstream: health, the tools it accepted (with their
// compiled input schema, pin status and screening findings), the tools it excluded and why.
// `ingest` turns one discovered catalog into this; it is pure apart from the pin store.

import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type { ResolvedTool } from '../upstream/tools.ts';
import { diff, type DiffEntry, type PinStore } from './pins.ts';
import { screenTool, type ScreenFinding } from './screen.ts';
import { checkTools, type Revision, type ToolProblem } from './validate.ts';

export type PinningMode = 'off' | 'warn' | 'enforce';
export type ScreeningMode = 'warn' | 'hold';

export type ToolStatus = 'ok' | 'changed' | 'flagged' | 'held';

export interface ToolEntry {
  name: string;
  def: Record<string, unknown>;
  resolved?: ResolvedTool;
  input: ValidateFunction;
  hash: string;
  status: ToolStatus;
  /** Why calls are denied (status `held`). */
  hold?: string;
  /** Pinned vs. current definition, when they differ. */
  diff?: DiffEntry[];
  findings: ScreenFinding[];
}

export interface UpstreamEntry {
  name: string;
  kind: 'http' | 'stdio';
  health: 'pending' | 'healthy' | 'unhealthy';
  error?: string;
  failures: number;
  revision?: Revision;
  serverInfo?: { name: string; version: string; title?: string; description?: string };
  tools: Map<string, ToolEntry>;
  invalid: ToolProblem[];
  /** Hash over the accepted tools and exclusions: `updatedAt` moves only when it does. */
  listHash?: string;
  publishedAt?: string;
  updatedAt?: string;
  lastRefreshAt?: string;
  nextRetryAt?: string;
  etag?: string;
}

export interface IngestOptions {
  pinning: PinningMode;
  screening: ScreeningMode;
  pins?: PinStore;
}

export const HOLD_CHANGED = 'tool definition changed';
export const HOLD_FLAGGED = 'tool description flagged';

/**
 * Validates, screens and pins one upstream's tool list. Returns whether the pin store changed
 * (the caller saves it) and whether the accepted list changed.
 */
export function ingest(
  entry: UpstreamEntry,
  tools: ReadonlyArray<Record<string, unknown>>,
  resolved: Map<string, ResolvedTool>,
  rev: Revision,
  opts: IngestOptions,
  now = new Date(),
): { pinsDirty: boolean; listChanged: boolean } {
  const { ok, invalid } = checkTools(tools, rev);
  let pinsDirty = false;
  const next = new Map<string, ToolEntry>();
  for (const { def, input } of ok) {
    const d = def as Record<string, unknown>;
    const findings = screenTool(d);
    let status: ToolStatus = 'ok';
    let hold: string | undefined;
    let delta: DiffEntry[] | undefined;
    let hash = '';
    if (opts.pins) {
      const [check, dirty] = opts.pins.check(entry.name, d, now);
      pinsDirty ||= dirty;
      hash = check.hash;
      if (check.status === 'changed') {
        delta = diff(check.pin.definition, check.pin.observed?.definition ?? d);
        if (opts.pinning === 'enforce') [status, hold] = ['held', HOLD_CHANGED];
        else if (opts.pinning === 'warn') status = 'changed';
      }
      const pin = opts.pins.get(entry.name, def.name);
      if (findings.length && pin?.screening_approved === hash) findings.length = 0;
    }
    if (findings.length && status === 'ok') {
      if (opts.screening === 'hold') [status, hold] = ['held', HOLD_FLAGGED];
      else status = 'flagged';
    }
    next.set(def.name, {
      name: def.name,
      def: d,
      resolved: resolved.get(def.name),
      input,
      hash,
      status,
      hold,
      diff: delta,
      findings,
    });
  }
  const listHash = createHash('sha256')
    .update(
      JSON.stringify([
        [...next.values()].map((t) => [t.name, t.hash || JSON.stringify(t.def), t.status]),
        invalid,
      ]),
    )
    .digest('hex');
  const listChanged = listHash !== entry.listHash;
  entry.tools = next;
  entry.invalid = invalid;
  entry.revision = rev;
  entry.listHash = listHash;
  entry.health = 'healthy';
  entry.error = undefined;
  entry.failures = 0;
  entry.nextRetryAt = undefined;
  entry.lastRefreshAt = now.toISOString();
  entry.publishedAt ??= now.toISOString();
  if (listChanged) entry.updatedAt = now.toISOString();
  return { pinsDirty, listChanged };
}
