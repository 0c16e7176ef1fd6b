// `warden policy …`: the policy author's tools. Each loads on use, so one command's
// dependencies (the compiler, the WASM SDK) never slow or break another.
import { usageError } from '../args.ts';
import type { Io } from '../io.ts';
import { POLICY_COMMANDS, POLICY_HELP } from '../help.ts';

type Run = (args: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Run>> = {
  build: async () => (await import('./policy-build.ts')).runBuild,
  eval: async () => (await import('./policy-eval.ts')).runEval,
  test: async () => (await import('./policy-test.ts')).runTest,
  bench: async () => (await import('./policy-bench.ts')).runBench,
  check: async () => (await import('./policy-check.ts')).runCheck,
  fmt: async () => (await import('./policy-fmt.ts')).runFmt,
  replay: async () => (await import('./policy-replay.ts')).runReplay,
};

export async function runPolicy(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw usageError(`missing policy command (${POLICY_COMMANDS})`);
  if (
    sub === '--help' ||
    sub === '-h' ||
    sub === 'help' ||
    rest.includes('--help') ||
    rest.includes('-h')
  ) {
    io.stdout(POLICY_HELP);
    return 0;
  }
  const load = Object.prototype.hasOwnProperty.call(COMMANDS, sub) ? COMMANDS[sub] : undefined;
  if (!load) {
    throw usageError(`unknown policy command ${JSON.stringify(sub)} (${POLICY_COMMANDS})`);
  }
  return (await load())(rest, io);
}
