// Argument parsing on node:util's parseArgs (strict: unknown flags are errors), with its
// multi-sentence errors turned into the CLI's one-line user errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserInputError } from '../errors/index.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function usageError(message: string, where?: string): UserInputError {
  return new UserInputError('CLI_USAGE', message, { where });
}

export function parse(args: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    // "Unknown option '--x'. To specify a positional argument …" → first sentence only.
    const msg = (e as Error).message.split(/\.\s/)[0].replace(/\.$/, '');
    throw usageError(msg);
  }
}

/** Exactly `names.length` positionals, named in the error when one is missing or extra. */
export function positionals(p: Parsed, names: string[], usage: string): string[] {
  if (p.positionals.length < names.length) {
    throw usageError(`missing ${names[p.positionals.length]} (usage: ${usage})`);
  }
  if (p.positionals.length > names.length) {
    throw usageError(
      `unexpected argument ${JSON.stringify(p.positionals[names.length])} (usage: ${usage})`,
    );
  }
  return p.positionals;
}

/** Accepts `mcp/authz/decision`, `data/mcp/authz/decision` and `data.mcp.authz.decision`. */
export function normalizeEntrypoint(ep: string): string {
  let s = ep.trim();
  if (!s.includes('/') && s.includes('.')) s = s.split('.').join('/');
  s = s.replace(/^data\//, '');
  if (s === '' || s.split('/').some((seg) => seg === '')) {
    throw usageError(
      `invalid entrypoint ${JSON.stringify(ep)}: expected a rule path like mcp/authz/decision`,
      '-e',
    );
  }
  return s;
}
