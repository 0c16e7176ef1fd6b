// `warden policy build|eval|test`: the policy author's tools. Each loads on use, so one
// command's dependencies (the compiler, the WASM SDK) never slow or break another.
import { usageError } from '../args.ts';
import type { Io } from '../io.ts';
import { POLICY_HELP } from '../help.ts';

export async function runPolicy(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw usageError(`missing policy command (build, eval or test)`);
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
  switch (sub) {
    case 'build':
      return (await import('./policy-build.ts')).runBuild(rest, io);
    case 'eval':
      return (await import('./policy-eval.ts')).runEval(rest, io);
    case 'test':
      return (await import('./policy-test.ts')).runTest(rest, io);
    default:
      throw usageError(`unknown policy command ${JSON.stringify(sub)} (build, eval or test)`);
  }
}
