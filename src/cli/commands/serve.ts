// `warden serve [--config FILE] [--host H] [--port N] [--log-level L] [--log-format F]`
// (PRODUCT.md "Command line"). Without --config: ./warden.yaml if present, else the embedded
// demo (bundled upstreams in demo/, the policies in policies/, the auth module's development
// issuer). A config it cannot run with (bad auth section, port in use, address not available)
// exits 2 with one line naming the file, line and key, before any port is bound. Runs until
// SIGINT/SIGTERM, then drains in-flight calls and exits 0.

import { existsSync, watch } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { isWardenError, UserInputError, type WardenError } from '../../errors/index.ts';
import { parse, usageError } from '../args.ts';
import { demoConfig, loadConfigFile, locateInFile, type WardenConfig } from '../../config/index.ts';
import { createGateway, type Gateway } from '../../gateway/gateway.ts';
import { createLogger, logOptions } from '../../gateway/log.ts';

const USAGE =
  'warden serve [--config FILE] [--host H] [--port N] [--log-level LEVEL] [--log-format json|pretty]';

function port(v: string | undefined, where: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 65535)
    throw usageError(`invalid port ${JSON.stringify(v)} (usage: ${USAGE})`, where);
  return Number(v);
}

export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, {
    config: { type: 'string', short: 'c' },
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (p.values.help) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  if (p.positionals.length)
    throw usageError(`unexpected argument ${JSON.stringify(p.positionals[0])} (usage: ${USAGE})`);
  const file =
    (p.values.config as string | undefined) ??
    (existsSync('warden.yaml') ? 'warden.yaml' : undefined);
  const host = p.values.host as string | undefined;
  // --port, else WARDEN_PORT (the image sets it, and its HEALTHCHECK probes it), else the
  // config's listen.port.
  const listenPort =
    port(p.values.port as string | undefined, '--port') ??
    port(process.env.WARDEN_PORT, 'WARDEN_PORT');

  let config: WardenConfig;
  let stopDemo: (() => Promise<void>) | undefined;
  if (file) config = loadConfigFile(file);
  else {
    // The demo tickets upstream is an SDK Streamable HTTP server in this process (free port).
    const { startTicketsServer } = await import('../../../demo/tickets-server.js');
    const tickets = await startTicketsServer({ port: 0 });
    stopDemo = tickets.close;
    config = demoConfig({ ticketsUrl: tickets.url });
  }
  let gw: Gateway | undefined;
  let url: string;
  try {
    const logging = logOptions(config.log, {
      level: p.values['log-level'] as string | undefined,
      format: p.values['log-format'] as string | undefined,
    });
    gw = await createGateway(config, { logger: createLogger(logging) });
    url = await gw.listen(listenPort ?? config.listen.port, host ?? config.listen.host);
  } catch (e) {
    await gw?.close().catch(() => undefined);
    await stopDemo?.();
    throw isWardenError(e) ? located(e, file, { host, port: listenPort }) : e;
  }
  process.stdout.write(`listening on ${url}\n`);
  if (gw.demoIssuer) {
    process.stdout.write(
      `\nEmbedded demo: upstreams ${gw.upstreams.map((u) => u.name).join(', ')}; MCP endpoint ${url}/mcp\n`,
    );
    process.stdout.write(
      `${gw.demoIssuer.helpText(url, `${url}/mcp`, ['postgres:query:readonly', 'jira:read', 'jira:write'])}\n`,
    );
  }

  // Reload on SIGHUP and when the file changes. A bad new config is rejected and logged; the
  // running one stays.
  let unwatch = () => {};
  if (file) {
    let timer: NodeJS.Timeout | undefined;
    const reload = (why: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        Promise.resolve()
          .then(() => gw.reload(loadConfigFile(file)))
          .catch((e: unknown) =>
            gw.log.error(
              { why, err: isWardenError(e) ? e.toLine() : String(e) },
              'config reload rejected; keeping the running config',
            ),
          );
      }, 100);
    };
    const onHup = () => reload('SIGHUP');
    process.on('SIGHUP', onHup);
    // Editors replace files (rename), so watch the directory entry rather than the inode.
    const watcher = watch(dirname(resolvePath(file)), (_event, name) => {
      if (name === basename(file)) reload('file changed');
    });
    unwatch = () => {
      process.off('SIGHUP', onHup);
      watcher.close();
      clearTimeout(timer);
    };
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      unwatch();
      gw.log.info({ signal }, 'shutting down');
      void gw
        .close()
        .then(() => stopDemo?.())
        .then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** A start-up error with a key path, pointed at the flag or the config line that set it. */
function located(
  e: WardenError,
  file: string | undefined,
  flags: { host?: string; port?: number },
): WardenError {
  // Only key paths ("auth.jwks_uri"): flags and already-located places stay as they are.
  if (!e.where || !/^[A-Za-z_][\w-]*(?:[.[]|$)/.test(e.where) || e.where.includes(':')) return e;
  const where =
    e.where === 'listen.port' && flags.port !== undefined
      ? '--port'
      : e.where === 'listen.host' && flags.host !== undefined
        ? '--host'
        : file
          ? locateInFile(file, e.where)
          : e.where;
  return new UserInputError(e.code, e.message, { where, cause: e });
}
