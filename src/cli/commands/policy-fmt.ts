// `warden policy fmt (DIR|FILE)... [-w | -l | -d] [--fail]`: formats Rego the way `opa fmt`
// lays it out (src/rego/format.ts). Without a flag it prints the formatted text; -w writes it
// back, -l lists the files that would change, -d prints a diff. With --fail the exit status
// is 1 when any file would change (as opa fmt --fail). A file that does not parse is a
// one-line error naming file:line:col (exit 2); the formatted text is parsed again and must
// give the same syntax tree, so formatting can never change what a policy means.
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserInputError } from '../../errors/index.ts';
import { formatRego } from '../../rego/format.ts';
import { parseModule } from '../../rego/parser.ts';
import { parse, usageError } from '../args.ts';
import { readUserFile, type Io } from '../io.ts';
import { FMT_USAGE } from '../help.ts';

const FMT_OPTIONS = {
  write: { type: 'boolean', short: 'w' },
  list: { type: 'boolean', short: 'l' },
  diff: { type: 'boolean', short: 'd' },
  fail: { type: 'boolean' },
  'v0-compatible': { type: 'boolean' },
} as const;

async function regoFiles(p: string): Promise<string[]> {
  const st = await stat(p).catch(() => undefined);
  if (!st)
    throw new UserInputError('CLI_FILE_UNREADABLE', 'cannot read: no such file', { where: p });
  if (!st.isDirectory()) return [p];
  const out: string[] = [];
  const entries = await readdir(p, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const child = path.join(p, e.name);
    if (e.isDirectory()) out.push(...(await regoFiles(child)));
    else if (e.name.endsWith('.rego')) out.push(child);
  }
  return out;
}

/** The syntax tree without positions: what must not change. */
function shape(file: string, text: string, regoVersion?: 'v0'): string {
  return JSON.stringify(parseModule(file, text, regoVersion), (k, v: unknown) =>
    k === 'loc' ? undefined : v,
  );
}

export async function runFmt(args: string[], io: Io): Promise<number> {
  const p = parse(args, FMT_OPTIONS);
  if (p.positionals.length === 0) throw usageError(`missing DIR or FILE (usage: ${FMT_USAGE})`);
  const modes = ['write', 'list', 'diff'].filter((m) => p.values[m] === true);
  if (modes.length > 1) throw usageError('give at most one of -w, -l and -d');
  const files = (await Promise.all(p.positionals.map(regoFiles))).flat();
  const regoVersion = p.values['v0-compatible'] === true ? 'v0' : undefined;
  let changed = 0;
  for (const file of files) {
    const src = await readUserFile(file);
    const before = shape(file, src, regoVersion); // a parse error is the user's: file:line:col, exit 2
    const out = formatRego(src);
    if (shape(file, out, regoVersion) !== before) {
      throw new UserInputError(
        'CLI_FMT_UNSAFE',
        'formatting would change the policy; file left as is (please report)',
        { where: file },
      );
    }
    const differs = out !== src;
    if (differs) changed++;
    if (p.values.write === true) {
      if (differs) await writeFile(file, out);
    } else if (p.values.list === true) {
      if (differs) io.stdout(`${file}\n`);
    } else if (p.values.diff === true) {
      if (differs) io.stdout(unifiedDiff(file, src, out));
    } else io.stdout(out);
  }
  return p.values.fail === true && changed > 0 ? 1 : 0;
}

/** A unified diff (3 lines of context) from a longest-common-subsequence line match. */
export function unifiedDiff(file: string, a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: { t: ' ' | '-' | '+'; s: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push({ t: ' ', s: x[i++], ai: i, bi: ++j });
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1]))
      ops.push({ t: '-', s: x[i++], ai: i, bi: j });
    else ops.push({ t: '+', s: y[j++], ai: i, bi: j });
  }
  let out = `--- ${file}\n+++ ${file} (formatted)\n`;
  for (let k = 0; k < ops.length;) {
    if (ops[k].t === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - 3);
    let end = k;
    while (end < ops.length) {
      if (ops[end].t !== ' ') {
        end++;
        continue;
      }
      let run = 0;
      while (end + run < ops.length && ops[end + run].t === ' ') run++;
      if (run > 6 || end + run === ops.length) {
        end = Math.min(ops.length, end + 3);
        break;
      }
      end += run;
    }
    const hunk = ops.slice(start, end);
    const aStart = hunk.find((o) => o.t !== '+')?.ai ?? 0;
    const bStart = hunk.find((o) => o.t !== '-')?.bi ?? 0;
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out += `@@ -${aStart},${aLen} +${bStart},${bLen} @@\n`;
    for (const o of hunk) out += `${o.t}${o.s}\n`;
    k = end;
  }
  return out;
}
