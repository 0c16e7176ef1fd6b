// Whether the issuer's token keys (the JWKS at `auth.jwks_uri`) can be fetched: what /readyz
// reports and `warden check --probe` tests. Without them every JWT is refused with 503, so a
// replica that cannot fetch them must leave its Service's endpoints instead of answering.
// The verifier (jwt.ts, through jose) keeps its own cached key set; this only watches the URL:
// one fetch at start, retries with exponential backoff while it fails, and a re-check when a
// verification finds the keys unavailable.

export interface JwksStatus {
  url: string;
  ok: boolean;
  /** Why the last fetch failed. */
  error?: string;
  /** Keys in the last set fetched. */
  keys?: number;
  /** ISO time of the last attempt. */
  checked_at?: string;
}

export interface JwksWatchHooks {
  /** Each fetch, and its outcome (for metrics). */
  fetched?(ok: boolean): void;
  /** A fetch failed (the first of a run of failures) or recovered. */
  failed?(status: JwksStatus): void;
  recovered?(status: JwksStatus): void;
}

/** One GET of a JWKS (RFC 7517 §5): a JSON object with a `keys` array. */
export async function fetchJwks(
  url: string,
  timeoutMs: number,
): Promise<{ ok: true; keys: number } | { ok: false; error: string }> {
  try {
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return { ok: false, error: `HTTP ${res.status}` };
    }
    const doc = (await res.json()) as { keys?: unknown };
    if (!doc || !Array.isArray(doc.keys)) return { ok: false, error: 'not a JWK set (no keys)' };
    return { ok: true, keys: doc.keys.length };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') return { ok: false, error: `timed out after ${timeoutMs} ms` };
    const why = err.cause?.code ?? err.cause?.message ?? err.message;
    return { ok: false, error: why };
  }
}

const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

export class JwksWatch {
  private state: JwksStatus;
  private timer?: NodeJS.Timeout;
  private delay = MIN_RETRY_MS;
  private closed = false;
  private running?: Promise<void>;

  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
    private readonly hooks: JwksWatchHooks = {},
  ) {
    this.state = { url, ok: false, error: 'not fetched yet' };
  }

  status(): JwksStatus {
    return { ...this.state };
  }

  /** Fetches now (a concurrent call shares the fetch); resolves when it is done. */
  check(): Promise<void> {
    this.running ??= this.attempt().finally(() => (this.running = undefined));
    return this.running;
  }

  private async attempt(): Promise<void> {
    clearTimeout(this.timer);
    const r = await fetchJwks(this.url, this.timeoutMs);
    if (this.closed) return;
    const was = this.state;
    this.state = {
      url: this.url,
      ok: r.ok,
      ...(r.ok ? { keys: r.keys } : { error: r.error }),
      checked_at: new Date().toISOString(),
    };
    this.hooks.fetched?.(r.ok);
    if (r.ok) {
      this.delay = MIN_RETRY_MS;
      if (!was.ok && was.checked_at) this.hooks.recovered?.(this.status());
      return;
    }
    if (was.ok || !was.checked_at || was.error !== this.state.error)
      this.hooks.failed?.(this.status());
    this.timer = setTimeout(() => void this.check(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, MAX_RETRY_MS);
  }

  /** A verification could not get keys: re-check (one fetch at a time, at most one every
   *  MIN_RETRY_MS, so failing calls cannot turn the gateway into a load on the issuer). */
  unavailable(): void {
    const last = this.state.checked_at ? Date.parse(this.state.checked_at) : 0;
    if (!this.closed && this.state.ok && Date.now() - last >= MIN_RETRY_MS) void this.check();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
