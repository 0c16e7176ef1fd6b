// Tool pinning, the "rug pull" guard: the first time the gateway sees a tool it records a
// SHA-256 of the tool's canonical definition; a later, different definition is a change an
// operator must approve (`warden registry approve UPSTREAM TOOL`) before calls flow again.
//
// The state file is JSON, written atomically (temp file in the same directory, then rename(2),
// which POSIX makes atomic), so a crash never leaves half a file. Both the gateway and the CLI
// write it: a save first merges what is on disk, the newer pin of each tool winning, so an
// approval written by the CLI is not overwritten by a gateway that has not reloaded yet.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalize } from '../audit/canonical.ts';
import { UserInputError } from '../errors/index.ts';

/** The parts of a tool that decide what a model is told and what it sends. `title` is shown to
 * users and models alike, so it is pinned along with the fields the issue names. */
export function pinnedView(def: Record<string, unknown>): Record<string, unknown> {
  const { name, title, description, inputSchema, outputSchema, annotations } = def;
  return { name, title, description, inputSchema, outputSchema, annotations };
}

export function toolHash(def: Record<string, unknown>): string {
  return createHash('sha256')
    .update(canonicalize(pinnedView(def)))
    .digest('hex');
}

export interface Pin {
  hash: string;
  pinned_at: string;
  definition: Record<string, unknown>;
  /** A definition seen after the pin that differs from it: what `approve` would pin. `live`:
   *  seen in an answer to a client (the drop-in route's tools/list), not by discovery — it
   *  stays pending when discovery still sees the pinned definition, until approved. */
  observed?: {
    hash: string;
    seen_at: string;
    definition: Record<string, unknown>;
    live?: boolean;
  };
  /** The hash an operator approved although screening flagged it. */
  screening_approved?: string;
}

interface StateDoc {
  version: 1;
  tools: Record<string, Record<string, Pin>>;
}

export type PinCheck =
  { status: 'new' | 'same'; hash: string } | { status: 'changed'; hash: string; pin: Pin };

export interface DiffEntry {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** Member-wise difference of two JSON values, as JSON Pointer paths (RFC 6901). */
export function diff(a: unknown, b: unknown, path = ''): DiffEntry[] {
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
    return keys.flatMap((k) =>
      diff(ao[k], bo[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  }
  if (a === undefined && b === undefined) return [];
  if (
    canonicalize(a ?? null) === canonicalize(b ?? null) &&
    (a === undefined) === (b === undefined)
  )
    return [];
  return [{ path: path || '/', before: a, after: b }];
}

export class PinStore {
  private doc: StateDoc = { version: 1, tools: {} };

  /** Without a file the pins live in memory only (they still hold within one process). */
  constructor(readonly file?: string) {}

  /** Reads the state file; a missing file is an empty state, a corrupt one an error. */
  load(): this {
    if (this.file) this.doc = readState(this.file);
    return this;
  }

  get(upstream: string, tool: string): Pin | undefined {
    return this.doc.tools[upstream]?.[tool];
  }

  all(): Record<string, Record<string, Pin>> {
    return this.doc.tools;
  }

  /** Compares a definition with its pin; pins on first sight, records a changed definition.
   * Returns whether the state changed (so the caller saves). */
  check(upstream: string, def: Record<string, unknown>, now = new Date()): [PinCheck, boolean] {
    const name = String(def.name);
    const hash = toolHash(def);
    const byTool = (this.doc.tools[upstream] ??= {});
    const pin = byTool[name];
    if (!pin) {
      byTool[name] = { hash, pinned_at: now.toISOString(), definition: pinnedView(def) };
      return [{ status: 'new', hash }, true];
    }
    if (pin.hash === hash) {
      // An upstream that serves discovery the pinned definition and clients another one has
      // not gone back to the pin: the change a client was served is still pending.
      if (pin.observed?.live) return [{ status: 'changed', hash, pin }, false];
      // The upstream went back to the pinned definition: the pending change is moot.
      const dirty = pin.observed !== undefined;
      delete pin.observed;
      return [{ status: 'same', hash }, dirty];
    }
    const dirty = pin.observed?.hash !== hash;
    if (dirty) pin.observed = { hash, seen_at: now.toISOString(), definition: pinnedView(def) };
    return [{ status: 'changed', hash, pin }, dirty];
  }

  /** A definition served live to a client (not by discovery): `same` when it is the pinned
   *  one; otherwise recorded as the pending change. Returns whether the state changed. */
  observeLive(
    upstream: string,
    def: Record<string, unknown>,
    now = new Date(),
  ): [PinCheck | undefined, boolean] {
    const pin = this.get(upstream, String(def.name));
    if (!pin) return [undefined, false];
    const hash = toolHash(def);
    if (pin.hash === hash) return [{ status: 'same', hash }, false];
    const dirty = pin.observed?.hash !== hash || !pin.observed.live;
    if (dirty)
      pin.observed = { hash, seen_at: now.toISOString(), definition: pinnedView(def), live: true };
    return [{ status: 'changed', hash, pin }, dirty];
  }

  /**
   * An operator's approval: a changed tool is re-pinned to the definition last observed; an
   * unchanged one has its screening findings accepted. Either way the approved hash is the one
   * screening no longer holds.
   */
  approve(
    upstream: string,
    tool: string,
    now = new Date(),
  ): { pin: Pin; action: 're-pinned' | 'accepted' } {
    const pin = this.get(upstream, tool);
    if (!pin)
      throw new UserInputError(
        'REGISTRY_UNKNOWN_TOOL',
        `no pinned tool ${tool} on upstream ${upstream}`,
        {
          where: this.file,
        },
      );
    const observed = pin.observed;
    const next: Pin = observed
      ? { hash: observed.hash, pinned_at: now.toISOString(), definition: observed.definition }
      : { ...pin, pinned_at: now.toISOString() };
    next.screening_approved = next.hash;
    this.doc.tools[upstream][tool] = next;
    return { pin: next, action: observed ? 're-pinned' : 'accepted' };
  }

  /** Merges the file's newer pins (approvals made elsewhere) into memory; returns the
   * (upstream, tool) pairs whose pin changed. */
  merge(): Array<[string, string]> {
    if (!this.file) return [];
    const disk = readState(this.file);
    const changed: Array<[string, string]> = [];
    for (const [up, tools] of Object.entries(disk.tools))
      for (const [name, pin] of Object.entries(tools)) {
        const mine = this.doc.tools[up]?.[name];
        if (!mine || pin.pinned_at > mine.pinned_at) {
          (this.doc.tools[up] ??= {})[name] = pin;
          changed.push([up, name]);
        }
      }
    return changed;
  }

  /** Atomic write of the merged state. */
  save(): void {
    if (!this.file) return;
    try {
      this.merge();
    } catch {
      // An unreadable file on disk is replaced by our state rather than blocking pinning.
    }
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.doc, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

function readState(file: string): StateDoc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tools: {} };
    throw new UserInputError('REGISTRY_STATE_UNREADABLE', `cannot read: ${(e as Error).message}`, {
      where: file,
      cause: e,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserInputError('REGISTRY_STATE_INVALID', `not JSON: ${(e as Error).message}`, {
      where: file,
    });
  }
  const d = doc as Partial<StateDoc>;
  if (d?.version !== 1 || !d.tools || typeof d.tools !== 'object')
    throw new UserInputError(
      'REGISTRY_STATE_INVALID',
      'not a warden registry state file (version 1)',
      {
        where: file,
      },
    );
  return d as StateDoc;
}
