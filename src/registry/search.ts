// Ranked tool search across every upstream (`/registry/tools?q=`). An inverted index over the
// tokens of each tool's name, title and description, rebuilt when a catalog changes (rare)
// so a query (frequent) is a few map lookups: the bar is ≤ 5 ms p50 over 10,000 tools.
//
// Ranking: each query token scores its best field in a tool (name 8, title 4, description 1;
// a prefix match counts 60 %), summed; a tool matching only some tokens is scaled down by the
// square of the share it matched; an exact name match adds 20. Ties break by name.

export interface SearchDoc {
  /** Name on the aggregated endpoint (`<upstream>.<tool>` unless renamed). */
  exposed: string;
  upstream: string;
  name: string;
  title?: string;
  description?: string;
  scope: string;
  destructive: boolean;
  status: string;
}

export interface SearchHit extends SearchDoc {
  score: number;
}

const WEIGHTS = { name: 8, title: 4, description: 1 } as const;
const PREFIX = 0.6;
/** A one-letter query would otherwise expand to most of the vocabulary. */
const MAX_PREFIX_EXPANSION = 256;

/** Lower-case word pieces; `createTicket`, `create_ticket` and `create-ticket` agree. */
export function tokenize(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0 && t.length <= 64);
}

/** One token's postings: doc ids (ascending) and the best field weight in each. */
interface Postings {
  docs: Int32Array;
  weights: Float32Array;
}

export class SearchIndex {
  private docs: SearchDoc[] = [];
  private lowerNames: string[] = [];
  private lowerExposed: string[] = [];
  private postings = new Map<string, Postings>();
  private vocab: string[] = [];
  /** Per-query scratch, sized to the corpus: no allocation per matching doc. */
  private score = new Float64Array(0);
  private matched = new Uint16Array(0);
  private tokenBest = new Float64Array(0);
  builtInMs = 0;

  build(docs: SearchDoc[]): void {
    const t0 = performance.now();
    // Docs are visited in order, so a token's last posting is the current doc when repeated.
    const lists = new Map<string, { docs: number[]; weights: number[] }>();
    docs.forEach((d, i) => {
      const add = (tokens: string[], w: number) => {
        for (const t of tokens) {
          let p = lists.get(t);
          if (!p) lists.set(t, (p = { docs: [], weights: [] }));
          const last = p.docs.length - 1;
          if (last >= 0 && p.docs[last] === i) {
            if (p.weights[last] < w) p.weights[last] = w;
          } else {
            p.docs.push(i);
            p.weights.push(w);
          }
        }
      };
      add(tokenize(d.name), WEIGHTS.name);
      add(tokenize(d.exposed), WEIGHTS.name);
      add(tokenize(d.title), WEIGHTS.title);
      add(tokenize(d.description), WEIGHTS.description);
    });
    const postings = new Map<string, Postings>();
    for (const [t, p] of lists)
      postings.set(t, { docs: Int32Array.from(p.docs), weights: Float32Array.from(p.weights) });
    this.docs = docs;
    this.lowerNames = docs.map((d) => d.name.toLowerCase());
    this.lowerExposed = docs.map((d) => d.exposed.toLowerCase());
    this.postings = postings;
    this.vocab = [...postings.keys()].sort();
    this.score = new Float64Array(docs.length);
    this.matched = new Uint16Array(docs.length);
    this.tokenBest = new Float64Array(docs.length);
    this.builtInMs = performance.now() - t0;
  }

  get size(): number {
    return this.docs.length;
  }

  /** Tokens of the vocabulary starting with `prefix` (binary search over the sorted list). */
  private expand(prefix: string): string[] {
    let lo = 0;
    let hi = this.vocab.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vocab[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.vocab.length && out.length < MAX_PREFIX_EXPANSION; i++) {
      if (!this.vocab[i].startsWith(prefix)) break;
      out.push(this.vocab[i]);
    }
    return out;
  }

  search(q: string, limit = 20): { total: number; hits: SearchHit[] } {
    limit = Math.max(1, Math.floor(limit));
    const qt = [...new Set(tokenize(q))].slice(0, 32);
    if (qt.length === 0) {
      const all = [...this.docs].sort((a, b) => cmp(a.exposed, b.exposed));
      return { total: all.length, hits: all.slice(0, limit).map((d) => ({ ...d, score: 0 })) };
    }
    const { score, matched, tokenBest } = this;
    const touched: number[] = [];
    for (const t of qt) {
      const seen: number[] = [];
      for (const tok of this.expand(t)) {
        const factor = tok === t ? 1 : PREFIX;
        const p = this.postings.get(tok)!;
        for (let k = 0; k < p.docs.length; k++) {
          const doc = p.docs[k];
          const s = p.weights[k] * factor;
          if (tokenBest[doc] === 0) seen.push(doc);
          if (tokenBest[doc] < s) tokenBest[doc] = s;
        }
      }
      for (const doc of seen) {
        if (matched[doc] === 0) touched.push(doc);
        score[doc] += tokenBest[doc];
        matched[doc]++;
        tokenBest[doc] = 0;
      }
    }
    const needle = q.trim().toLowerCase();
    // Top-k by insertion into a short sorted list: a common word can match every tool, but
    // only the page is ever ordered and materialized.
    const top: Array<[number, number]> = [];
    const better = (a: [number, number], b: [number, number]) =>
      a[1] > b[1] || (a[1] === b[1] && this.docs[a[0]].exposed < this.docs[b[0]].exposed);
    for (const doc of touched) {
      const share = matched[doc] / qt.length;
      let total = score[doc] * share * share;
      if (this.lowerNames[doc] === needle || this.lowerExposed[doc] === needle) total += 20;
      score[doc] = 0;
      matched[doc] = 0;
      const entry: [number, number] = [doc, Math.round(total * 1000) / 1000];
      if (top.length === limit && !better(entry, top[top.length - 1])) continue;
      let i = top.length;
      while (i > 0 && better(entry, top[i - 1])) i--;
      top.splice(i, 0, entry);
      if (top.length > limit) top.pop();
    }
    const hits = top.map(([doc, sc]) => ({ ...this.docs[doc], score: sc }));
    return { total: touched.length, hits };
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
