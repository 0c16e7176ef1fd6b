// `warden policy replay (DIR|BUNDLE) --log FILE [-e ENTRYPOINT] [--baseline DIR|BUNDLE]
// [--format table|json] [--fail-on-change]`: re-decides every recorded tools/call of an audit
// log or OPA decision log with the given policy (src/policy/replay.ts says how the input is
// rebuilt) and prints each decision that changes; the last line is
// `N replayed, N changed (N newly denied, N newly allowed)`. With --baseline the "before" is
// the baseline policy's decision on the same rebuilt input, not the recorded one, so what the
// rebuilt input lacks cancels out. Exit 1 with --fail-on-change when any changed.
import { stat } from 'node:fs/promises';
import { UserInputError } from '../../errors/index.ts';
import { DEFAULT_ENTRYPOINT } from '../../policy/bundle.ts';
import { loadEngine, type PolicyEngine } from '../../policy/engine.ts';
import {
  outcomeOf,
  readReplayLog,
  ReplayLogError,
  type Outcome,
  type ReplayCall,
} from '../../policy/replay.ts';
import { isWardenError } from '../../errors/index.ts';
import { normalizeEntrypoint, parse, positionals, usageError } from '../args.ts';
import { readUserFile, type Io } from '../io.ts';
import { REPLAY_USAGE } from '../help.ts';

const REPLAY_OPTIONS = {
  log: { type: 'string', short: 'l' },
  entrypoint: { type: 'string', short: 'e' },
  baseline: { type: 'string', short: 'b' },
  format: { type: 'string', short: 'f' },
  'fail-on-change': { type: 'boolean' },
  'v0-compatible': { type: 'boolean' },
} as const;

export interface Change {
  record: string;
  line: number;
  time?: string;
  subject: string;
  tool: string;
  before: Outcome;
  after: Outcome;
  before_reasons: string[];
  reasons: string[];
  /** The call's recorded arguments were redacted: neither decision saw the real ones. */
  redacted: boolean;
}

export async function runReplay(args: string[], io: Io): Promise<number> {
  const p = parse(args, REPLAY_OPTIONS);
  const [source] = positionals(p, ['DIR or BUNDLE'], REPLAY_USAGE);
  const logFile = p.values.log as string | undefined;
  if (logFile === undefined) throw usageError(`missing --log FILE (usage: ${REPLAY_USAGE})`);
  const format = (p.values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') {
    throw usageError(
      `invalid --format ${JSON.stringify(format)}: expected table or json`,
      '--format',
    );
  }
  const requested = p.values.entrypoint as string | undefined;
  const ep = requested === undefined ? undefined : normalizeEntrypoint(requested);
  let calls: ReplayCall[];
  try {
    calls = readReplayLog(await readUserFile(logFile));
  } catch (e) {
    if (e instanceof ReplayLogError) {
      throw new UserInputError('CLI_INPUT_INVALID', e.message, { where: `${logFile}:${e.line}` });
    }
    throw e;
  }
  const entrypoints = [...new Set(calls.map((c) => ep ?? c.path ?? DEFAULT_ENTRYPOINT))];
  if (entrypoints.length === 0) entrypoints.push(ep ?? DEFAULT_ENTRYPOINT);
  const regoVersion = p.values['v0-compatible'] === true ? 'v0' : undefined;
  const load = async (src: string) => {
    const isDir = (await stat(src).catch(() => undefined))?.isDirectory() ?? false;
    return loadEngine(src, isDir ? { entrypoints, regoVersion } : { regoVersion });
  };
  const engine = await load(source);
  const baselineSrc = p.values.baseline as string | undefined;
  const baseline = baselineSrc === undefined ? undefined : await load(baselineSrc);

  const changes: Change[] = [];
  let redacted = 0;
  for (const c of calls) {
    const entrypoint = ep ?? c.path ?? DEFAULT_ENTRYPOINT;
    const after = decide(engine, c, entrypoint);
    const before = baseline ? decide(baseline, c, entrypoint) : c.before;
    if (c.redacted) redacted++;
    if (!before || before.outcome === after.outcome) continue;
    changes.push({
      record: c.id,
      line: c.line,
      time: c.time,
      subject: c.subject,
      tool: c.tool,
      before: before.outcome,
      after: after.outcome,
      before_reasons: before.reasons,
      reasons: after.reasons,
      redacted: c.redacted,
    });
  }
  const newlyDenied = changes.filter((c) => c.before === 'allow').length;
  const newlyAllowed = changes.filter((c) => c.after === 'allow').length;
  const summary = `${calls.length} replayed, ${changes.length} changed (${newlyDenied} newly denied, ${newlyAllowed} newly allowed)`;
  if (format === 'json') {
    io.stdout(
      JSON.stringify(
        {
          changes,
          replayed: calls.length,
          changed: changes.length,
          newly_denied: newlyDenied,
          newly_allowed: newlyAllowed,
          redacted,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    io.stdout(table(changes));
    if (redacted > 0) {
      io.stdout(
        `${redacted} of the replayed calls had redacted arguments: their decisions were made on [REDACTED] values (marked "redacted")\n`,
      );
    }
  }
  io.stdout(`${summary}\n`);
  return p.values['fail-on-change'] === true && changes.length > 0 ? 1 : 0;
}

/** An evaluation error is a denial, as the gateway fails closed. */
function decide(engine: PolicyEngine, c: ReplayCall, entrypoint: string) {
  try {
    return outcomeOf(engine.evaluate(c.input, entrypoint).result);
  } catch (e) {
    if (!isWardenError(e)) throw e;
    return { outcome: 'deny' as const, reasons: [`policy evaluation failed: ${e.message}`] };
  }
}

function table(changes: Change[]): string {
  if (changes.length === 0) return '';
  const rows = [
    ['RECORD', 'SUBJECT', 'TOOL', 'BEFORE → AFTER', 'REASONS'],
    ...changes.map((c) => [
      `${c.line}:${c.record}`,
      c.subject,
      c.tool,
      `${c.before} → ${c.after}`,
      (c.redacted ? '[redacted arguments] ' : '') +
        (c.reasons.length ? c.reasons.join('; ') : c.before_reasons.join('; ')),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) =>
          i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - [...cell].length),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}
