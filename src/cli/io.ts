// The CLI's only contact with the process: output streams and stdin. Commands take an `Io` so
// tests can run them in-process and read exactly what a terminal would show.
import { readFile } from 'node:fs/promises';
import { UserInputError } from '../errors/index.ts';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of stdin as UTF-8 (for `--input -`). */
  readStdin(): Promise<string>;
}

export const processIo: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** Reads a user-named file; failures become one-line user errors naming the file. */
export async function readUserFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : err.code === 'EACCES'
            ? 'permission denied'
            : (err.code ?? err.message);
    throw new UserInputError('CLI_FILE_UNREADABLE', `cannot read: ${why}`, { where: file });
  }
}
