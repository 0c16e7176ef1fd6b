// semver.is_valid / semver.compare: Semantic Versioning 2.0.0 (https://semver.org), no "v"
// prefix, precedence per §11 (build metadata ignored).
import { isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

// The regular expression suggested by semver.org, §"Is there a suggested regular expression".
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Version {
  core: bigint[];
  pre: string[];
}

function parse(s: string): Version | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return { core: [BigInt(m[1]), BigInt(m[2]), BigInt(m[3])], pre: m[4] ? m[4].split('.') : [] };
}

const cmp = <T>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return cmp(a.core[i], b.core[i]);
  // §11.3: a pre-release has lower precedence than the release.
  if (a.pre.length === 0 || b.pre.length === 0) return cmp(b.pre.length, a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    // §11.4: numeric identifiers compare numerically and sort before alphanumeric ones.
    const c = xn && yn ? cmp(BigInt(x), BigInt(y)) : xn ? -1 : yn ? 1 : cmp(x, y);
    if (c !== 0) return c;
  }
  return cmp(a.pre.length, b.pre.length);
}

export const semverBuiltins: Record<string, Fn> = {
  'semver.is_valid': (v: unknown) => isStr(v) && parse(v) !== undefined,
  'semver.compare': (a: unknown, b: unknown) => {
    const x = isStr(a) ? parse(a) : undefined;
    const y = isStr(b) ? parse(b) : undefined;
    return x && y ? compare(x, y) : undefined;
  },
};
