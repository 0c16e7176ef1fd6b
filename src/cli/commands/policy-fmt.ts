import { usageError } from '../args.ts';

export async function runFmt(): Promise<number> {
  throw usageError('warden policy fmt: not available in this build yet');
}
