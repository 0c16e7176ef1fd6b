// The gateway under test, started through the product's real entry point:
// `node bin/warden.js serve --config FILE --port 0`, ready when it prints
// `listening on http://HOST:PORT` (PRODUCT.md "Command line"). Its only upstream is the
// conformance fixture of the era under test (`fixture`, or `fixture26` for 2026-07-28); auth is the gateway's development issuer (`auth.demo`), whose tokens the
// harness mints at POST /demo/token for each route's own audience (RFC 8707), so the suite's
// requests are authenticated like any client's, with the shipped policy in force.

import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Prompt, Tool } from '@modelcontextprotocol/sdk/types.js';
import { PROMPTS } from '../../test/conformance/fixture/catalog.ts';
import { ROOT } from './suite.ts';
import { eachLine, spawnTracked, stop, waitForLine } from './processes.ts';

export const UPSTREAM = 'fixture';
/** The upstream name of the 2026-07-28 fixture (test/conformance/fixture26-server.ts). */
export const UPSTREAM26 = 'fixture26';
/** The scope every fixture tool requires; tokens carry exactly this one. */
export const FIXTURE_SCOPE = 'conformance:call';
const SERVE = join(ROOT, 'src', 'cli', 'commands', 'serve.ts');
const READY_TIMEOUT_MS = 60_000;

/** Why the gateway targets cannot run yet, or undefined when they can. */
export function gatewayMissing(): string | undefined {
  return existsSync(SERVE) ? undefined : 'src/cli/commands/serve.ts does not exist yet';
}

/**
 * warden.yaml for the run. On /mcp tools and prompts are `<upstream>.<name>` unless renamed
 * (PRODUCT.md "HTTP surface"); the suite calls the fixture's bare names, so each tool and prompt
 * is renamed to its own name — the documented way an operator exposes an upstream's names on the
 * aggregated route.
 */
export function gatewayConfig(
  fixtureUrl: string,
  tools: Pick<Tool, 'name'>[],
  auditFile: string,
  prompts: Pick<Prompt, 'name'>[] = PROMPTS,
  upstream: string = UPSTREAM,
): object {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    auth: { demo: true },
    policy: { path: join(ROOT, 'policies'), entrypoint: 'mcp/authz/decision' },
    audit: { sinks: [{ type: 'file', path: auditFile }] },
    log: { level: 'warn' },
    upstreams: [
      {
        name: upstream,
        url: fixtureUrl,
        default_scope: FIXTURE_SCOPE,
        tools: Object.fromEntries(
          tools.map((t) => [t.name, { rename: t.name, scope: FIXTURE_SCOPE, destructive: false }]),
        ),
        prompts: Object.fromEntries(prompts.map((p) => [p.name, { rename: p.name }])),
      },
    ],
  };
}

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:40211 */
  url: string;
  stop(): Promise<void>;
}

export async function startGateway(config: object, outDir: string): Promise<RunningGateway> {
  // A run of gateway targets only (`--target mcp`) has created no directory yet.
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'gateway.yaml');
  writeFileSync(file, `# written by scripts/conformance.ts\n${stringify(config)}`);
  const args = [join(ROOT, 'bin', 'warden.js'), 'serve', '--config', file, '--port', '0'];
  const child = spawnTracked(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const log = createWriteStream(join(outDir, 'gateway.log'));
  eachLine(child.stderr, (l) => log.write(`${l}\n`));
  try {
    const [, url] = await waitForLine(
      child,
      /^listening on (https?:\/\/\S+?)\/?$/,
      READY_TIMEOUT_MS,
    );
    return {
      url,
      stop: async () => {
        await stop(child);
        log.end();
      },
    };
  } catch (e) {
    await stop(child);
    log.end();
    throw e;
  }
}

/** A token from the gateway's demo issuer for one route (its URL is the audience). */
export async function mintToken(gatewayUrl: string, resource: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/demo/token`, {
    method: 'POST',
    body: new URLSearchParams({ resource, scope: FIXTURE_SCOPE, sub: 'conformance-suite' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string };
  if (!res.ok || !body.access_token)
    throw new Error(`POST ${gatewayUrl}/demo/token answered ${res.status}`);
  return body.access_token;
}
