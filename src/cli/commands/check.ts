// `warden check [--config FILE] [--probe]` (PRODUCT.md "Command line"): everything `serve`
// checks before it binds, without serving — like `nginx -t`. The config against its schema,
// the auth section, upstream definitions and credentials, the files the config names, stdio
// commands, and the policy compiled; `--probe` also fetches the JWKS, a remote bundle, and
// discovers every upstream. Prints `ok`, or each problem as `file:line:col: key: message`;
// exit 0 or 2.

import { existsSync, readFileSync } from 'node:fs';
import { buildConfig, locateKeyPath, parseYaml, type WardenConfig } from '../../config/index.ts';
import { ConfigInvalidError } from '../../config/validate.ts';
import { isWardenError } from '../../errors/index.ts';
import { checkConfig, type PreflightProblem } from '../../gateway/preflight.ts';
import { openPolicy } from '../../gateway/policy-port.ts';
import { pino } from 'pino';
import { parse, usageError } from '../args.ts';
import { processIo, type Io } from '../io.ts';

const USAGE = 'warden check [--config FILE] [--probe]';

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const p = parse(argv, {
    config: { type: 'string', short: 'c' },
    probe: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (p.values.help) {
    io.stdout(`usage: ${USAGE}\n`);
    return 0;
  }
  if (p.positionals.length)
    throw usageError(`unexpected argument ${JSON.stringify(p.positionals[0])} (usage: ${USAGE})`);
  const file =
    (p.values.config as string | undefined) ??
    (existsSync('warden.yaml') ? 'warden.yaml' : undefined);
  if (!file) throw usageError(`no ./warden.yaml here (usage: ${USAGE})`, '--config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usageError(`cannot read config: ${code === 'ENOENT' ? 'no such file' : code}`, file);
  }
  const src = parseYaml(text, file); // a syntax error is one line, thrown
  let config: WardenConfig;
  try {
    config = buildConfig(src.doc.toJS(), file, process.env, src);
  } catch (e) {
    if (e instanceof ConfigInvalidError) return report(io, e.details!.problems as string[]);
    if (isWardenError(e) && e.where)
      return report(io, [`${locateKeyPath(src, file, e.where)}: ${e.message}`]);
    throw e;
  }
  const probe = p.values.probe === true;
  const problems: PreflightProblem[] = await checkConfig(config, { probe });
  if (!problems.some((x) => x.where.startsWith('policy'))) {
    const remote = /^https?:\/\//i.test(config.policy.path);
    if (!remote || probe) {
      try {
        const source = await openPolicy(config.policy, { log: pino({ level: 'silent' }) });
        source.close();
      } catch (e) {
        problems.push({
          where: 'policy.path',
          message: isWardenError(e) ? e.toLine() : (e as Error).message,
        });
      }
    }
  }
  if (!problems.length) {
    io.stdout('ok\n');
    return 0;
  }
  // In the order of the file, as the schema's problems are.
  const lines = problems.map((x) => `${locateKeyPath(src, file, x.where)}: ${x.message}`);
  const pos = (l: string) =>
    (/:(\d+):(\d+): /.exec(l.slice(file.length)) ?? [0, 0, 0]).slice(1).map(Number);
  lines.sort((a, b) => pos(a)[0] - pos(b)[0] || pos(a)[1] - pos(b)[1]);
  return report(io, lines);
}

function report(io: Io, lines: string[]): number {
  for (const l of lines) io.stderr(`${l.replace(/\s*\n\s*/g, ' ')}\n`);
  return 2;
}
