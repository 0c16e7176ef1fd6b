import { usageError } from '../args.ts';

export async function runReplay(): Promise<number> {
  throw usageError('warden policy replay: not available in this build yet');
}
