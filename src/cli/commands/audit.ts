// `warden audit verify FILE [FILE…]` (PRODUCT.md "Command line"): checks the hash chain of an
// audit log or a rotated series (given in any order: files are chained by their records' seq).
// Exit 0: intact. Exit 1: the first broken, missing, reordered or truncated record, named as
// file:line. Exit 2: usage errors and unreadable files (one line, via the CLI's error boundary).
import { access, constants, stat } from 'node:fs/promises';
import { UserInputError } from '../../errors/index.ts';
import { verifyFiles } from '../../audit/verify.ts';
import { parse, usageError } from '../args.ts';
import { processIo, type Io } from '../io.ts';

const USAGE = 'warden audit verify FILE [FILE...]';

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    (sub === undefined ? io.stderr : io.stdout)(`usage: ${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'verify')
    throw usageError(`unknown audit command ${JSON.stringify(sub)} (usage: ${USAGE})`);
  const p = parse(rest, { quiet: { type: 'boolean', short: 'q' } });
  if (p.positionals.length === 0) throw usageError(`missing FILE (usage: ${USAGE})`);
  for (const f of p.positionals) await readable(f);
  const r = await verifyFiles(p.positionals);
  if (!r.ok) {
    const pr = r.problem!;
    io.stderr(`${pr.file}:${pr.line}: ${pr.message}\n`);
    io.stderr(`audit chain BROKEN after ${r.records} good record(s)\n`);
    return 1;
  }
  if (!p.values.quiet) {
    const from = r.firstSeq ?? 0;
    const span = r.records === 0 ? 'no records' : `seq ${from}..${from + r.records - 1}`;
    io.stdout(`ok: ${r.records} record(s) in ${r.files.length} file(s), ${span}, chain intact\n`);
    if (r.records > 0 && from !== 0)
      io.stdout(
        `note: the chain starts at seq ${from}; earlier files were not given, so their records are not checked\n`,
      );
    if (r.lastHash) io.stdout(`head: ${r.lastHash}\n`);
  }
  return 0;
}

async function readable(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
    if ((await stat(file)).isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (code ?? 'unreadable');
    throw new UserInputError('CLI_FILE_UNREADABLE', `cannot read: ${why}`, { where: file });
  }
}
