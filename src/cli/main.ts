// The `warden` command: dispatch and the one error boundary of the CLI (PRODUCT.md, "Command
// line"). User errors — bad arguments, unreadable files, Rego errors — print ONE line naming
// the file:line:col or argument at fault and exit 2; anything else is our bug: stack, exit 70
// (EX_SOFTWARE, sysexits.h).
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isWardenError } from '../errors/index.ts';
import { usageError } from './args.ts';
import { processIo, type Io } from './io.ts';
import { runPolicy } from './commands/policy.ts';
import { HELP } from './help.ts';

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** Commands other parts of the project own: loaded on use, so a missing or broken one cannot
 *  break `warden policy …`. Each module exports `run(argv): Promise<number>`. */
const DELEGATED: Record<string, string> = {
  serve: './commands/serve.ts',
  check: './commands/check.ts',
  registry: './commands/registry.ts',
  audit: './commands/audit.ts',
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (isWardenError(e)) {
      const line = e.where ? e.toLine() : `warden: ${e.message}`;
      io.stderr(`${line.replace(/\s*\n\s*/g, ' ')}\n`);
      return EXIT_USAGE;
    }
    io.stderr(
      `warden: internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return EXIT_INTERNAL;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.stderr(HELP);
    return EXIT_USAGE;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout(HELP);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    const pkg = await import('../../package.json', { with: { type: 'json' } });
    io.stdout(`${pkg.default.version}\n`);
    return 0;
  }
  if (cmd === 'policy') return runPolicy(rest, io);
  const file = DELEGATED[cmd];
  if (file === undefined)
    throw usageError(`unknown command ${JSON.stringify(cmd)} (try warden --help)`);
  const url = new URL(file, import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    io.stderr(`warden ${cmd}: not implemented yet in this build\n`);
    return EXIT_USAGE;
  }
  const mod = (await import(url.href)) as { run: (argv: string[], io: Io) => Promise<number> };
  return mod.run(rest, io);
}

/** True when this file is the program (bin/warden.js or `tsx src/cli/main.ts`), not an import
 *  from a test. */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  let real: string;
  try {
    real = realpathSync(script);
  } catch {
    return false;
  }
  return real === fileURLToPath(import.meta.url) || /[\\/]bin[\\/]warden(\.js)?$/.test(real);
}

if (invokedDirectly()) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
  // Done: nothing may keep the process up (a half-started stdio child, a demo server). Output
  // is flushed first (pipes and files are written synchronously on POSIX; the delay covers
  // the rest); the timer itself does not hold the loop open.
  setTimeout(() => process.exit(code), 500).unref();
}
