// A local policy (a Rego directory or a bundle file) hot-reloaded like a remote bundle: the
// files that make it (`.rego`, `data.json`, `data.yaml`, or the bundle) are watched; when their
// content changes the policy is compiled anew and swapped in atomically — a decision is made
// entirely by the old or entirely by the new one — and a policy that fails to compile is
// logged and the running one kept. Content unchanged (an editor's touch, a rename dance):
// nothing happens.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { isWardenError } from '../errors/index.ts';
import { loadPolicyDecider, type PolicyDecider, type PolicySource } from './policy-port.ts';

const POLICY_FILE = (name: string) =>
  name.endsWith('.rego') || name === 'data.json' || name === 'data.yaml' || name === 'data.yml';

/** A digest of what the policy is made of (paths and contents); '' when unreadable. */
export function policyDigest(path: string): string {
  const h = createHash('sha256');
  try {
    if (!statSync(path).isDirectory()) return h.update(readFileSync(path)).digest('hex');
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name < b.name ? -1 : 1,
      )) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (POLICY_FILE(e.name)) h.update(`${p}\0`).update(readFileSync(p)).update('\0');
      }
    };
    walk(path);
    return h.digest('hex');
  } catch {
    return '';
  }
}

/** A watched source: `refresh` re-reads the files now (SIGHUP; resolves when done). */
export type WatchedPolicySource = PolicySource & { refresh(): Promise<void> };

export interface PolicyWatchHooks {
  log: Logger;
  /** Each reload attempt after a change: swapped in, or refused (the old one kept). */
  reloaded?(result: 'applied' | 'rejected'): void;
  /** Debounce of file events, ms (editors write in several steps). */
  debounceMs?: number;
}

/** Wraps a local policy source so its decider follows the files at `path`. */
export function watchLocalPolicy(
  source: PolicySource,
  p: { path: string; entrypoint: string; rego_version?: 'v0' | 'v1' },
  hooks: PolicyWatchHooks,
): WatchedPolicySource {
  let active: PolicyDecider = source.decider;
  let digest = policyDigest(p.path);
  // The decider the runtime holds: every call reads `active` once, so a swap is atomic.
  const decider: PolicyDecider = {
    get revision() {
      return active.revision;
    },
    decide: (input) => {
      const d = active;
      return { ...d.decide(input), revision: d.revision };
    },
    // `policy.shadow`'s candidate is not reloaded with the live policy: it stays as opened.
    ...(source.decider.shadow ? { shadow: source.decider.shadow.bind(source.decider) } : {}),
  };
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const reload = () => {
    running = running.then(async () => {
      const next = policyDigest(p.path);
      if (next === digest || next === '') return;
      try {
        const fresh = await loadPolicyDecider(p.path, p.entrypoint, {
          regoVersion: p.rego_version,
          // print() output of the reloaded policy is logged as the first one's (policy-port.ts).
          print: (o) => hooks.log.debug({ print: o.text, where: o.where }, 'policy print'),
        });
        const previous = active.revision;
        active = fresh;
        digest = next;
        hooks.log.info(
          { policy_revision: fresh.revision, previous, path: p.path },
          'policy reloaded',
        );
        hooks.reloaded?.('applied');
      } catch (e) {
        digest = next; // the same broken content is not retried until it changes again
        hooks.log.error(
          { path: p.path, err: isWardenError(e) ? e.toLine() : String(e) },
          'policy reload rejected; keeping the running policy',
        );
        hooks.reloaded?.('rejected');
      }
    });
  };
  const changed = (name: string | null) => {
    if (name !== null && !POLICY_FILE(basename(name)) && !name.endsWith(basename(p.path))) return;
    clearTimeout(timer);
    timer = setTimeout(reload, hooks.debounceMs ?? 200);
  };
  let watcher: FSWatcher | undefined;
  try {
    const dir = statSync(p.path).isDirectory();
    // A bundle file is replaced by rename: watch its directory entry, not the inode.
    watcher = dir
      ? watch(p.path, { recursive: true }, (_e, name) => changed(name))
      : watch(dirname(p.path), (_e, name) => {
          if (name === basename(p.path)) changed(name);
        });
    watcher.unref();
  } catch (e) {
    hooks.log.warn({ path: p.path, err: String(e) }, 'cannot watch the policy; reload with SIGHUP');
  }
  return {
    decider,
    key: source.key,
    close() {
      clearTimeout(timer);
      watcher?.close();
      source.close();
    },
    refresh: () => {
      clearTimeout(timer);
      reload();
      return running;
    },
  };
}
