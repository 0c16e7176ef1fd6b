// `warden policy test --coverage`: which source lines the tests evaluated. The coverage build
// (src/rego/plan/coverage.ts) says which lines carry an expression or a rule head; the marks
// hit during the run say which were evaluated. The JSON shape is `opa test --coverage`'s
// report (files → covered / not_covered row ranges, line counts, percentage).
// https://www.openpolicyagent.org/docs/policy-testing#coverage

export interface Range {
  start: { row: number };
  end: { row: number };
}

export interface FileCoverage {
  covered?: Range[];
  not_covered?: Range[];
  covered_lines: number;
  not_covered_lines: number;
  coverage: number;
}

export interface CoverageReport {
  files: Record<string, FileCoverage>;
  covered_lines: number;
  not_covered_lines: number;
  coverage: number;
}

/** Consecutive rows → ranges: [1,2,3,7] → 1-3, 7. */
function ranges(rows: number[]): Range[] {
  const out: Range[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last.end.row === r - 1) last.end.row = r;
    else out.push({ start: { row: r }, end: { row: r } });
  }
  return out;
}

const percent = (c: number, n: number): number =>
  n === 0 ? 100 : Math.round((c / (c + n)) * 10000) / 100;

/** `hits` holds "file:line" strings of evaluated marks. */
export function coverageReport(
  coverable: Map<string, Set<number>>,
  hits: Set<string>,
): CoverageReport {
  const files: Record<string, FileCoverage> = {};
  let covered = 0;
  let notCovered = 0;
  for (const file of [...coverable.keys()].sort()) {
    const rows = [...coverable.get(file)!].sort((a, b) => a - b);
    const yes = rows.filter((r) => hits.has(`${file}:${r}`));
    const no = rows.filter((r) => !hits.has(`${file}:${r}`));
    covered += yes.length;
    notCovered += no.length;
    files[file] = {
      ...(yes.length ? { covered: ranges(yes) } : {}),
      ...(no.length ? { not_covered: ranges(no) } : {}),
      covered_lines: yes.length,
      not_covered_lines: no.length,
      coverage: percent(yes.length, no.length),
    };
  }
  return {
    files,
    covered_lines: covered,
    not_covered_lines: notCovered,
    coverage: percent(covered, notCovered),
  };
}

const rangeText = (r: Range): string =>
  r.start.row === r.end.row ? `${r.start.row}` : `${r.start.row}-${r.end.row}`;

export function coverageText(report: CoverageReport): string {
  let s = '';
  for (const [file, fc] of Object.entries(report.files)) {
    const total = fc.covered_lines + fc.not_covered_lines;
    s += `${file}: ${fc.coverage.toFixed(2)}% (${fc.covered_lines}/${total} lines)`;
    s += fc.not_covered ? `; not covered: ${fc.not_covered.map(rangeText).join(', ')}\n` : '\n';
  }
  const total = report.covered_lines + report.not_covered_lines;
  return s + `coverage: ${report.coverage.toFixed(2)}% (${report.covered_lines}/${total} lines)\n`;
}
