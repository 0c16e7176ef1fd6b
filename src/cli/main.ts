// The `warden` command: dispatch and the one error boundary of the CLI (PRODUCT.md, "Command
// line"). User errors — bad arguments, unreadable files, Rego errors — print ONE line naming
// the file:line:col or argument at fault and exit 2; anything else is our bug: stack, exit 70
// (EX_SOFTWARE, sysexits.h).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isWardenError } from '../errors/index.ts';
import { usageError } from './args.ts';
import { processIo, type Io } from './io.ts';
import { runPolicy } from './commands/policy.ts';
import { HELP } from './help.ts';

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** Commands loaded on use, so `warden policy …` does not load the gateway. Each module exports
 *  `run(argv, io): Promise<number>`. Literal specifiers: the compiler rewrites them to the
 *  emitted `.js` files of `dist/`. */
type Command = { run: (argv: string[], io: Io) => Promise<number> };
const DELEGATED: Record<string, () => Promise<Command>> = {
  serve: () => import('./commands/serve.ts'),
  check: () => import('./commands/check.ts'),
  registry: () => import('./commands/registry.ts'),
  audit: () => import('./commands/audit.ts'),
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
  const load = DELEGATED[cmd];
  if (load === undefined)
    throw usageError(`unknown command ${JSON.stringify(cmd)} (try warden --help)`);
  return (await load()).run(rest, io);
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
