// Verified-token cache. Keyed by the SHA-256 of the token so raw tokens never sit in memory
// longer than the request that carried them, bounded in size (LRU: Map keeps insertion order,
// a hit is re-inserted at the end), and each entry dies at the token's own expiry so a cached
// answer is never more permissive than verifying again would be.

import { hash } from 'node:crypto';

/** base64url(SHA-256(token)): the cache key and `Subject.tokenHash` (safe to log and audit).
 *  One-shot `crypto.hash`: no Hash object per request (it runs on every authenticated one). */
export const tokenHash = (token: string): string => hash('sha256', token, 'base64url');

interface Entry<V> {
  value: V;
  /** Epoch ms after which the entry is gone. */
  expiresAtMs: number;
}

export class TokenCache<V> {
  private readonly map = new Map<string, Entry<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (this.now() >= e.expiresAtMs) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, value: V, expiresAtMs: number): void {
    if (this.maxEntries <= 0 || !(expiresAtMs > this.now())) return;
    this.map.delete(key);
    this.map.set(key, { value, expiresAtMs });
    while (this.map.size > this.maxEntries) {
      // The oldest entry is first in iteration order.
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  clear(): void {
    this.map.clear();
  }
}
