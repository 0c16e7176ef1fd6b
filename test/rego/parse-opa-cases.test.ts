// Parses every module of OPA's own v1 compliance cases (/work/shared/opa-cases/v1, see its
// README): all must parse, except cases whose expectation is a parse error, which must fail
// with a RegoError REGO_PARSE_ERROR. A mismatch is a parser bug, not a test to adjust.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RegoError } from '../../src/rego/errors.ts';
import { parseModule } from '../../src/rego/parser.ts';

const ROOT = '/work/shared/opa-cases/v1';

interface Case {
  note: string;
  modules?: string[];
  want_error_code?: string;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

// `want_error` texts starting "rego_parse_error" come from the rego.parse_module builtin at
// evaluation time, not from the case's own modules.
const expectsParseError = (c: Case): boolean => c.want_error_code === 'rego_parse_error';

describe('OPA v1 compliance cases: every module parses', () => {
  const files = yamlFiles(ROOT).sort();
  const byCategory = new Map<string, string[]>();
  for (const f of files) {
    const cat = relative(ROOT, f).split('/')[0];
    byCategory.set(cat, [...(byCategory.get(cat) ?? []), f]);
  }
  const totals = { parsed: 0, errorsMatched: 0, mismatches: [] as string[] };

  for (const [cat, catFiles] of byCategory) {
    it(cat, () => {
      const mismatches: string[] = [];
      for (const f of catFiles) {
        // Large integers occur in these files; only the Rego text matters here.
        const doc = parseYaml(readFileSync(f, 'utf8'), { intAsBigInt: true }) as { cases?: Case[] };
        for (const c of doc.cases ?? []) {
          (c.modules ?? []).forEach((text, i) => {
            const name = `${relative(ROOT, f)}#${c.note}#${i}`;
            let err: unknown;
            try {
              parseModule(name, text);
            } catch (e) {
              err = e;
            }
            if (err !== undefined && !(err instanceof RegoError)) throw err;
            if (expectsParseError(c)) {
              if (err) totals.errorsMatched++;
              else mismatches.push(`${name}: parsed, but OPA rejects it`);
            } else if (err) {
              mismatches.push(`${(err as RegoError).toLine()}`);
            } else totals.parsed++;
          });
        }
      }
      totals.mismatches.push(...mismatches);
      expect(mismatches).toEqual([]);
    });
  }

  it('reports the counts', () => {
    console.log(
      `opa-cases: ${totals.parsed} modules parsed, ${totals.errorsMatched} expected parse errors matched, ${totals.mismatches.length} mismatches`,
    );
    expect(totals.parsed).toBeGreaterThan(1000);
  });
});
