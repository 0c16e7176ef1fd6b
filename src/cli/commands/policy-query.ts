// A query given to `warden policy eval DIR QUERY` that is more than a data path: compiled as
// one more module beside the policy, whose one rule is the query's value. A single expression
// (`data.x.limit * 2`, `count(data.x.users)`) gives its value; a body of several expressions
// or a comparison (`input.n > 1; data.x.allow`) gives true, or undefined when it fails — as
// `opa eval` gives a query's expression values when it succeeds.
import type { SourceFile } from '../../rego/compile.ts';
import { parseModule } from '../../rego/parser.ts';
import { isWardenError } from '../../errors/index.ts';

export const QUERY_PACKAGE = '__warden_query';
export const QUERY_ENTRYPOINT = `${QUERY_PACKAGE}/q`;
const FILE = '<query>';

export function queryModule(query: string): SourceFile {
  const asValue = `package ${QUERY_PACKAGE}\n\nq := (${query.trim()})\n`;
  try {
    parseModule(FILE, asValue);
    return { path: FILE, text: asValue };
  } catch (e) {
    if (!isWardenError(e)) throw e;
  }
  const body = query
    .split(/;|\n/)
    .map((s) => `\t${s.trim()}`)
    .join('\n');
  return { path: FILE, text: `package ${QUERY_PACKAGE}\n\nq if {\n${body}\n}\n` };
}
