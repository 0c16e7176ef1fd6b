// `policy.path` as an HTTP(S) URL: the bundle is polled from a server speaking OPA's bundle
// service protocol (https://www.openpolicyagent.org/docs/management-bundles#bundle-service-api):
// GET the bundle with `If-None-Match: <etag of the active bundle>`; 304 means "no change", 200
// carries a new .tar.gz. Each download is size-limited and time-limited, optionally
// signature-checked (signature.ts), loaded through the one bundle reader (bundle.ts) and the
// engine (engine.ts), and only then swapped in. Swapping is one reference assignment, and
// evaluation is synchronous, so a call always runs to completion on the engine it started with.
// A bad bundle (download error, bad signature, unparsable, failing to load, missing entrypoint)
// is logged and rejected; the active one stays. Polls are jittered so N replicas don't hit the
// bundle server in lockstep, and failures back off exponentially.
import { WardenError } from '../errors/index.ts';
import type { PolicyDecider } from '../gateway/policy-port.ts';
import { toDecision } from '../gateway/policy-port.ts';
import { readBundle, unpackTarball } from './bundle.ts';
import { instantiateEngine, type EngineOptions, type PolicyEngine } from './engine.ts';
import { PolicyErrorCode as Code, policyUserError } from './errors.ts';
import { verifyBundleSignatures, type BundleVerification } from './signature.ts';

export const isRemotePolicyPath = (path: string): boolean => /^https?:\/\//i.test(path);

/** pino-compatible subset. */
export interface RemotePolicyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RemotePolicyOptions {
  url: string;
  /** Verify `.signatures.json` against this key (PEM/JWK/KeyObject), or full options. */
  publicKey?: BundleVerification['publicKey'] | BundleVerification;
  /** Mean seconds between polls; each wait is jittered uniformly in [0.8, 1.2] × this. */
  intervalS?: number;
  /** Cap on the exponential backoff after failures (default: max(intervalS, 60)). */
  maxBackoffS?: number;
  /** Per-download deadline, headers and body (default 10 s). */
  timeoutMs?: number;
  /** Compressed download limit (default 32 MiB); unpacking has its own limits (bundle.ts). */
  maxBytes?: number;
  /** Extra request headers, e.g. `authorization: Bearer …` for a private bundle server. */
  headers?: Record<string, string>;
  /** The entrypoint the gateway evaluates; a bundle without it is rejected. */
  entrypoint?: string;
  engine?: EngineOptions;
  /** Give up on the first bundle after this long (default 30 s). */
  startupTimeoutMs?: number;
  onUpdate?: (engine: PolicyEngine, info: { revision: string; previous?: string }) => void;
  log?: RemotePolicyLogger;
}

export interface RemotePolicyStatus {
  url: string;
  revision: string;
  etag?: string;
  /** Epoch ms of the last poll that reached a verdict (200 activated, or 304). */
  lastSuccessAt?: number;
  lastError?: { code: string; message: string; at: number };
  activations: number;
  failures: number;
  consecutiveFailures: number;
}

export interface RemotePolicy {
  current(): PolicyEngine;
  readonly revision: string;
  status(): RemotePolicyStatus;
  /** Polls now (outside the schedule): 'updated', 'unchanged'; throws what a poll would log. */
  refresh(): Promise<'updated' | 'unchanged'>;
  close(): void;
}

const silent: RemotePolicyLogger = { info() {}, warn() {}, error() {} };

const remoteError = (message: string, where: string, cause?: unknown) =>
  new WardenError('POLICY_REMOTE_UNAVAILABLE', message, { status: 503, where, cause });

/** Fetches the first bundle (retrying with backoff until `startupTimeoutMs`), then polls. */
export async function createRemotePolicy(opts: RemotePolicyOptions): Promise<RemotePolicy> {
  const url = new URL(opts.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw policyUserError(Code.SOURCE_UNREADABLE, 'policy URL must be http(s)', {
      where: opts.url,
    });
  const where = opts.url;
  const log = opts.log ?? silent;
  const intervalMs = (opts.intervalS ?? 60) * 1000;
  const maxBackoffMs = (opts.maxBackoffS ?? Math.max(opts.intervalS ?? 60, 60)) * 1000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 32 << 20;
  const verification: BundleVerification | undefined =
    opts.publicKey === undefined
      ? undefined
      : typeof opts.publicKey === 'object' && 'publicKey' in opts.publicKey
        ? opts.publicKey
        : { publicKey: opts.publicKey as BundleVerification['publicKey'] };

  let engine: PolicyEngine | undefined;
  let etag: string | undefined;
  const st = { activations: 0, failures: 0, consecutive: 0 } as {
    activations: number;
    failures: number;
    consecutive: number;
    lastSuccessAt?: number;
    lastError?: RemotePolicyStatus['lastError'];
  };
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let inflight: AbortController | undefined;
  let polling: Promise<'updated' | 'unchanged'> | undefined;

  async function download(): Promise<{ body: Uint8Array; etag?: string } | null> {
    const ac = new AbortController();
    inflight = ac;
    // One controller and our own timer, not AbortSignal.any([ac.signal, AbortSignal.timeout()]):
    // on Node 20 nothing holds the composite signal strongly, so a GC during the download
    // collects it and the timeout never reaches fetch (the download then hangs for good).
    const timer = setTimeout(
      () => ac.abort(new DOMException('bundle download timed out', 'TimeoutError')),
      timeoutMs,
    );
    try {
      return await fetchBundle(ac);
    } finally {
      clearTimeout(timer);
    }
  }

  async function fetchBundle(
    ac: AbortController,
  ): Promise<{ body: Uint8Array; etag?: string } | null> {
    const signal = ac.signal;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          accept: 'application/gzip, application/octet-stream',
          ...opts.headers,
          ...(etag && engine ? { 'if-none-match': etag } : {}),
        },
        signal,
      });
    } catch (e) {
      throw remoteError(`cannot fetch policy bundle: ${describe(e)}`, where, e);
    }
    if (res.status === 304) return null;
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw remoteError(`policy bundle server answered ${res.status}`, where);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw policyUserError(
        Code.BUNDLE_INVALID,
        `bundle is ${declared} bytes (limit ${maxBytes})`,
        { where },
      );
    }
    // Read incrementally: a missing or lying Content-Length must not defeat the limit.
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          ac.abort();
          throw policyUserError(Code.BUNDLE_INVALID, `bundle exceeds ${maxBytes} bytes`, { where });
        }
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof WardenError) throw e;
      throw remoteError(`policy bundle download failed: ${describe(e)}`, where, e);
    }
    return { body: Buffer.concat(chunks), etag: res.headers.get('etag') ?? undefined };
  }

  async function load(body: Uint8Array): Promise<PolicyEngine> {
    if (verification)
      await verifyBundleSignatures(await unpackTarball(body, where), verification, where);
    const artifact = await readBundle(body, where, opts.engine ?? {});
    const next = await instantiateEngine(artifact, opts.engine ?? {});
    if (opts.entrypoint && !next.entrypoints.includes(opts.entrypoint))
      throw policyUserError(
        Code.ENTRYPOINT_UNKNOWN,
        `bundle lacks entrypoint ${opts.entrypoint} (has: ${next.entrypoints.join(', ') || 'none'})`,
        { where },
      );
    return next;
  }

  async function pollOnce(): Promise<'updated' | 'unchanged'> {
    try {
      const got = await download();
      if (closed) return 'unchanged';
      if (!got) {
        st.lastSuccessAt = Date.now();
        st.consecutive = 0;
        return 'unchanged';
      }
      const next = await load(got.body);
      if (closed) return 'unchanged';
      const previous = engine?.revision;
      engine = next; // the swap: callers holding the old engine finish on it
      etag = got.etag;
      st.activations++;
      st.lastSuccessAt = Date.now();
      st.consecutive = 0;
      log.info(
        { url: where, policy_revision: next.revision, previous_revision: previous, etag },
        'policy bundle activated',
      );
      opts.onUpdate?.(next, { revision: next.revision, previous });
      return 'updated';
    } catch (e) {
      st.failures++;
      st.consecutive++;
      const err = e as Partial<WardenError> & Error;
      st.lastError = {
        code: err.code ?? 'POLICY_REMOTE_UNAVAILABLE',
        message: err.message,
        at: Date.now(),
      };
      const fields = { url: where, err: st.lastError, active_revision: engine?.revision ?? null };
      // Once a bundle is active, a failed poll is degraded service, not an outage.
      if (engine) log.error(fields, 'policy bundle rejected; keeping the active one');
      else log.warn(fields, 'policy bundle not loaded yet');
      throw e;
    }
  }

  /** One poll at a time: a scheduled poll and refresh() share the in-flight one. */
  const poll = (): Promise<'updated' | 'unchanged'> => {
    polling ??= pollOnce().finally(() => {
      polling = undefined;
    });
    return polling;
  };

  const delay = (): number => {
    if (st.consecutive === 0) return intervalMs * (0.8 + 0.4 * Math.random());
    // Exponential backoff with "equal jitter": half fixed, half random.
    const cap = Math.min(maxBackoffMs, 500 * 2 ** Math.min(st.consecutive - 1, 20));
    return cap / 2 + (Math.random() * cap) / 2;
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(
      () =>
        void poll()
          .catch(() => {})
          .finally(schedule),
      delay(),
    );
    timer.unref();
  };

  // Startup: the gateway cannot decide anything without a policy, so retry until one loads.
  const deadline = Date.now() + (opts.startupTimeoutMs ?? 30_000);
  for (;;) {
    try {
      await poll();
      break;
    } catch (e) {
      const wait = delay();
      if (Date.now() + wait > deadline) {
        closed = true;
        throw e;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  schedule();

  return {
    current: () => engine as PolicyEngine,
    get revision() {
      return (engine as PolicyEngine).revision;
    },
    status: () => ({
      url: where,
      revision: (engine as PolicyEngine).revision,
      ...(etag ? { etag } : {}),
      ...(st.lastSuccessAt ? { lastSuccessAt: st.lastSuccessAt } : {}),
      ...(st.lastError ? { lastError: st.lastError } : {}),
      activations: st.activations,
      failures: st.failures,
      consecutiveFailures: st.consecutive,
    }),
    refresh: poll,
    close() {
      closed = true;
      clearTimeout(timer);
      inflight?.abort();
    },
  };
}

/** The gateway's view (policy-port.ts): decisions on whichever bundle is active. The engine is
 *  read once per decision, so `revisionOf` the returned decision names the bundle that made it. */
export function remotePolicyDecider(remote: RemotePolicy, entrypoint: string): PolicyDecider {
  return {
    get revision() {
      return remote.revision;
    },
    decide(input) {
      const engine = remote.current();
      try {
        return {
          ...toDecision(engine.evaluate(input, entrypoint).result),
          revision: engine.revision,
        };
      } catch (e) {
        return {
          allow: false,
          reasons: [`policy evaluation failed: ${(e as Error).message}`],
          revision: engine.revision,
        };
      }
    },
  };
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'timed out';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}
