// The per-category table and the skip lists printed at the end of a compliance run.
import type { Outcome } from './run-case.ts';

/** The 42 core-language categories (../shared/opa-cases/README.md); the rest test builtins. */
export const CORE_CATEGORIES = new Set(
  `arithmetic assignments baseandvirtualdocs comparisonexpr completedoc compositebasedereference
  compositereferences comprehensions containskeyword dataderef defaultkeyword disjunction
  elsekeyword embeddedvirtualdoc eqexpr evaltermexpr every example fix1863 functionerrors
  functions helloworld indexing indirectreferences inputvalues keywordrefs negation
  nestedreferences partialdocconstants partialiter partialobjectdoc partialsetdoc planner-ir
  refheads sets stringinterpolation topdowndynamicdispatch type undos varreferences virtualdocs
  withkeyword`.split(/\s+/),
);

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

export function tally(outcomes: Outcome[]): Tally {
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const o of outcomes) {
    if (o.status === 'pass') t.passed++;
    else if (o.status === 'fail') t.failed++;
    else t.skipped++;
  }
  return t;
}

/** Pass rate over all cases of the category (skips count against it: the bar is per case). */
export const percent = (t: Tally): string => {
  const total = t.passed + t.failed + t.skipped;
  return total === 0 ? '-' : `${((100 * t.passed) / total).toFixed(1)}%`;
};

export function table(byCategory: Map<string, Outcome[]>): string {
  const rows = [...byCategory].sort(([a], [b]) => {
    const ca = CORE_CATEGORIES.has(a) ? 0 : 1;
    const cb = CORE_CATEGORIES.has(b) ? 0 : 1;
    return ca - cb || (a < b ? -1 : a > b ? 1 : 0);
  });
  const width = Math.max(8, ...rows.map(([c]) => c.length + 2));
  const line = (cells: string[]) =>
    cells[0].padEnd(width) +
    cells
      .slice(1)
      .map((c) => c.padStart(8))
      .join('');
  const out = [line(['category', 'passed', 'failed', 'skipped', 'pass %'])];
  let core: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const [cat, outcomes] of rows) {
    const t = tally(outcomes);
    const isCore = CORE_CATEGORIES.has(cat);
    if (isCore) core = add(core, t);
    const name = isCore ? `${cat} *` : cat;
    out.push(line([name, `${t.passed}`, `${t.failed}`, `${t.skipped}`, percent(t)]));
  }
  out.push(line(['core *', `${core.passed}`, `${core.failed}`, `${core.skipped}`, percent(core)]));
  return out.join('\n') + '\n';
}

const add = (a: Tally, b: Tally): Tally => ({
  passed: a.passed + b.passed,
  failed: a.failed + b.failed,
  skipped: a.skipped + b.skipped,
});

/** Which builtins caused skips, and how many cases each. */
export function skipSummary(outcomes: Outcome[]): string {
  const builtins = new Map<string, number>();
  const reasons = new Map<string, number>();
  for (const o of outcomes) {
    if (o.status !== 'skip') continue;
    if (o.builtins && o.builtins.length > 0) {
      for (const b of o.builtins) builtins.set(b, (builtins.get(b) ?? 0) + 1);
    } else reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
  }
  const lines: string[] = [];
  if (builtins.size > 0) {
    const list = [...builtins].sort(([a], [b]) => (a < b ? -1 : 1));
    lines.push(`skipped, builtin not implemented (${builtins.size}):`);
    lines.push(...list.map(([b, n]) => `  ${b} (${n} case${n === 1 ? '' : 's'})`));
  }
  for (const [r, n] of reasons) lines.push(`skipped, ${r}: ${n} case${n === 1 ? '' : 's'}`);
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
