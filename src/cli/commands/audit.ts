// `warden audit verify FILE… [--key FILE] [--checkpoints FILE --public-key FILE]` (PRODUCT.md
// "Command line"): checks the hash chain of an audit log or a rotated series (given in any
// order: files are chained by their records' seq); with the chain key, the HMACs; with the
// signed checkpoints, both ends of the series. Exit 0: intact (what could not be proven is
// printed as notes). Exit 1: the first broken, missing, reordered, truncated, re-forged or cut
// record, named as file:line. Exit 2: usage errors, unreadable files and keys (one line).
import { access, constants, stat } from 'node:fs/promises';
import { UserInputError } from '../../errors/index.ts';
import { loadPublicKey, readVerifyKeys } from '../../audit/keys.ts';
import { verifyFiles, type VerifyOptions } from '../../audit/verify.ts';
import { parse, usageError } from '../args.ts';
import { processIo, type Io } from '../io.ts';

const USAGE =
  'warden audit verify FILE [FILE...] [--key FILE] [--checkpoints FILE --public-key FILE]';

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    (sub === undefined ? io.stderr : io.stdout)(`usage: ${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'verify')
    throw usageError(`unknown audit command ${JSON.stringify(sub)} (usage: ${USAGE})`);
  const p = parse(rest, {
    quiet: { type: 'boolean', short: 'q' },
    key: { type: 'string', multiple: true },
    checkpoints: { type: 'string', multiple: true },
    'public-key': { type: 'string' },
  });
  if (p.positionals.length === 0) throw usageError(`missing FILE (usage: ${USAGE})`);
  const keyFiles = (p.values.key as string[] | undefined) ?? [];
  const cpFiles = (p.values.checkpoints as string[] | undefined) ?? [];
  const pub = p.values['public-key'] as string | undefined;
  if (cpFiles.length > 0 && pub === undefined)
    throw usageError('--checkpoints needs --public-key (the Ed25519 key that signed them)');
  if (pub !== undefined && cpFiles.length === 0)
    throw usageError('--public-key needs --checkpoints FILE');
  for (const f of [...p.positionals, ...keyFiles, ...cpFiles, ...(pub ? [pub] : [])])
    await readable(f);
  const opts: VerifyOptions = {};
  if (keyFiles.length > 0) opts.keys = keyFiles.flatMap(readVerifyKeys);
  if (pub) opts.checkpoints = { files: cpFiles, publicKey: loadPublicKey(pub) };
  const r = await verifyFiles(p.positionals, opts);
  if (!r.ok) {
    const pr = r.problem!;
    io.stderr(`${pr.file}:${pr.line}: ${pr.message}\n`);
    io.stderr(`audit chain BROKEN after ${r.records} good record(s)\n`);
    return 1;
  }
  if (!p.values.quiet) {
    const from = r.firstSeq ?? 0;
    const span = r.records === 0 ? 'no records' : `seq ${from}..${from + r.records - 1}`;
    const proofs = [
      opts.keys ? 'keyed' : '',
      opts.checkpoints ? `${r.checkpoints} checkpoint(s) match` : '',
    ]
      .filter(Boolean)
      .join(', ');
    io.stdout(
      `ok: ${r.records} record(s) in ${r.files.length} file(s), ${span}, chain intact${proofs ? ` (${proofs})` : ''}\n`,
    );
    if (r.records > 0 && from !== 0)
      io.stdout(
        `note: the chain starts at seq ${from}; earlier files were not given, so their records are not checked\n`,
      );
    if (r.lastHash) io.stdout(`head: ${r.lastHash}\n`);
  }
  for (const n of r.notes) io.stderr(`note: ${n}\n`);
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
