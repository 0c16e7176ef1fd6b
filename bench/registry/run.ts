// Search bench (issue #6 bar: ≤ 5 ms p50 over 10,000 tools, reported with the index build
// time). Not a test (no timing assertions in tests): `npx tsx test/registry/search-bench.ts`.
import { SearchIndex, type SearchDoc } from '../../src/registry/search.ts';

const WORDS = (
  'create list get update delete search query run send read write file ticket issue user repo ' +
  'branch commit message channel email calendar event invoice payment customer order product ' +
  'database table row column index report chart metric alert log trace deploy build test ' +
  'image video audio document page note task project team member role permission token key'
).split(' ');
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = () => WORDS[Math.floor(rnd() * WORDS.length)];
const sentence = (n: number) => Array.from({ length: n }, pick).join(' ');

const docs: SearchDoc[] = [];
for (let i = 0; i < 10_000; i++) {
  const name = `${pick()}_${pick()}_${i}`;
  const upstream = `up${i % 50}`;
  docs.push({
    exposed: `${upstream}.${name}`,
    upstream,
    name,
    title: sentence(3),
    description: sentence(20),
    scope: 'mcp:tools:call',
    destructive: i % 3 === 0,
    status: 'ok',
  });
}
const index = new SearchIndex();
const t0 = performance.now();
index.build(docs);
const build = performance.now() - t0;
const queries = Array.from({ length: 2000 }, (_, i) =>
  i % 3 === 0 ? pick() : i % 3 === 1 ? `${pick()} ${pick()}` : pick().slice(0, 3),
);
for (const q of queries.slice(0, 200)) index.search(q);
const times = queries.map((q) => {
  const s = performance.now();
  index.search(q, 20);
  return performance.now() - s;
});
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.floor((times.length - 1) * p)].toFixed(3);
console.log(
  `tools=${docs.length} build=${build.toFixed(1)}ms queries=${times.length} p50=${pct(0.5)}ms p90=${pct(0.9)}ms p99=${pct(0.99)}ms`,
);
