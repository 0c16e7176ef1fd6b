// The expected-failures list (test/compliance/expected-failures.json): case keys known to fail.
// Like the MCP conformance suite's baseline, it fails the run both ways: a failure not listed
// is a regression, and a listed case that now passes is stale (remove it, keep the win).
import { readFile, writeFile } from 'node:fs/promises';

export type Status = 'pass' | 'fail' | 'skip';

export interface Verdict {
  /** failing, not listed */
  unexpected: string[];
  /** listed, but passing (or, on a full run, no longer a case at all) */
  stale: string[];
}

export async function readExpected(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
    throw new Error(`${file}: expected a JSON array of case notes`);
  }
  return parsed;
}

/** `fullRun`: every case was run (no --category filter), so a listed key that matched no case
 *  is stale too. Skipped cases neither fail nor go stale. */
export function judge(expected: string[], results: Map<string, Status>, fullRun: boolean): Verdict {
  const listed = new Set(expected);
  const unexpected: string[] = [];
  for (const [key, status] of results) {
    if (status === 'fail' && !listed.has(key)) unexpected.push(key);
  }
  const stale = expected.filter((key) => {
    const status = results.get(key);
    return status === 'pass' || (status === undefined && fullRun);
  });
  return { unexpected, stale };
}

/** The list after this run: failures of the cases that ran, plus (on a filtered run) the
 *  entries for cases that did not run; a skipped case keeps its entry. Sorted, so diffs stay readable. */
export function updatedExpected(
  expected: string[],
  results: Map<string, Status>,
  fullRun: boolean,
): string[] {
  const kept = expected.filter((key) => {
    const status = results.get(key);
    return status === 'skip' || (status === undefined && !fullRun);
  });
  const failing = [...results].filter(([, s]) => s === 'fail').map(([k]) => k);
  return [...new Set([...kept, ...failing])].sort();
}

export async function writeExpected(file: string, keys: string[]): Promise<void> {
  await writeFile(file, JSON.stringify(keys, null, 2) + '\n');
}
