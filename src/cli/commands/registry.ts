// `warden registry [--config FILE] [--state FILE]` (PRODUCT.md "Command line"): discovers the
// configured upstreams and prints the merged capability manifest (JSON on stdout); what the
// registry found wrong — unhealthy upstreams, excluded tools, held or flagged tools with the
// diff — goes to stderr, one line each. It reads the pin state but never writes it.
//
// `warden registry approve UPSTREAM TOOL [--state FILE] [--config FILE]` re-pins a tool whose
// definition changed (or accepts its screening findings); a running gateway picks the change
// up from the state file within a second.

import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { createUpstreamCredentials, type UpstreamAuthConfig } from '../../auth/index.ts';
import { demoConfig, loadConfigFile } from '../../config/index.ts';
import { ToolIndex } from '../../gateway/tool-index.ts';
import { buildManifest } from '../../registry/manifest.ts';
import { PinStore } from '../../registry/pins.ts';
import { createRegistry } from '../../registry/registry.ts';
import { registryConfig } from '../../registry/config.ts';
import { GATEWAY_INFO, Upstream } from '../../upstream/upstream.ts';
import { parse, positionals, usageError } from '../args.ts';
import { processIo, type Io } from '../io.ts';

const USAGE =
  'warden registry [--config FILE] [--state FILE] | warden registry approve UPSTREAM TOOL [--state FILE]';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  state: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function loadConfig(file: string | undefined) {
  const f = file ?? (existsSync('warden.yaml') ? 'warden.yaml' : undefined);
  if (f) return { config: loadConfigFile(f), stop: async () => {} };
  const { startTicketsServer } = await import('../../../demo/tickets-server.js');
  const tickets = await startTicketsServer({ port: 0 });
  return { config: demoConfig({ ticketsUrl: tickets.url }), stop: tickets.close };
}

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const p = parse(argv, OPTIONS);
  if (p.values.help) {
    io.stdout(`usage: ${USAGE}\n`);
    return 0;
  }
  const [sub] = p.positionals;
  if (sub === 'approve') return approve(p, io);
  if (sub !== undefined)
    throw usageError(`unknown registry command ${JSON.stringify(sub)} (usage: ${USAGE})`);
  return list(p.values.config as string | undefined, p.values.state as string | undefined, io);
}

async function approve(p: ReturnType<typeof parse>, io: Io): Promise<number> {
  const [, upstream, tool] = positionals(p, ['approve', 'UPSTREAM', 'TOOL'], USAGE);
  let file = p.values.state as string | undefined;
  if (!file) {
    const cfgFile =
      (p.values.config as string | undefined) ??
      (existsSync('warden.yaml') ? 'warden.yaml' : undefined);
    file = registryConfig(cfgFile ? loadConfigFile(cfgFile) : {}).state_file;
    if (!file)
      throw usageError('no state file: pass --state FILE or set registry.state_file in the config');
  }
  const store = new PinStore(file).load();
  const { pin, action } = store.approve(upstream, tool);
  store.save();
  io.stdout(
    action === 're-pinned'
      ? `approved ${upstream}/${tool}: re-pinned to sha256:${pin.hash} in ${file}\n`
      : `approved ${upstream}/${tool}: screening findings accepted for sha256:${pin.hash} in ${file}\n`,
  );
  return 0;
}

async function list(configFile: string | undefined, state: string | undefined, io: Io) {
  const { config, stop } = await loadConfig(configFile);
  const rc = registryConfig(config);
  const log = pino({ level: 'silent' });
  const upstreams = config.upstreams.map(
    (u, i) =>
      new Upstream(
        u,
        log,
        u.auth
          ? createUpstreamCredentials(u.auth as unknown as UpstreamAuthConfig, {
              where: `upstreams[${i}].auth`,
            })
          : { headers: async () => ({}) },
      ),
  );
  try {
    await Promise.all(upstreams.map((u) => u.start()));
    const publicUrl = config.public_url ?? `http://${config.listen.host}:${config.listen.port}`;
    const registry = createRegistry({
      upstreams,
      stateFile: state ?? rc.state_file,
      pinning: rc.pinning,
      screening: rc.screening,
      refreshIntervalMs: 0,
      log,
      publicUrl,
      namespace: rc.namespace,
      readOnly: true,
    });
    registry.close();
    const index = new ToolIndex(upstreams, {
      prefix: true,
      maxNameLength: config.limits.tool_name_max_length,
    });
    const manifest = buildManifest(
      GATEWAY_INFO,
      `${publicUrl}/mcp`,
      (name) => `${publicUrl}/u/${name}/mcp`,
      { tools: index.allTools(), upstreams },
      { gate: registry.gate },
    );
    io.stdout(`${JSON.stringify(manifest, null, 2)}\n`);
    report(registry.entries(), io);
    return 0;
  } finally {
    await Promise.all(upstreams.map((u) => u.close()));
    await stop();
  }
}

function report(entries: ReturnType<ReturnType<typeof createRegistry>['entries']>, io: Io) {
  for (const e of entries) {
    if (e.health !== 'healthy')
      io.stderr(`upstream ${e.name}: unhealthy: ${e.error ?? 'not discovered'}\n`);
    for (const p of e.invalid)
      io.stderr(`upstream ${e.name}: tool ${p.name} excluded: ${p.reason}\n`);
    for (const t of e.tools.values()) {
      if (t.status === 'held' || t.status === 'changed') {
        const paths = (t.diff ?? []).map((d) => d.path).join(', ');
        io.stderr(
          `upstream ${e.name}: tool ${t.name} ${t.status}: ${t.hold ?? 'tool definition changed'}${paths ? ` (${paths})` : ''}; approve with: warden registry approve ${e.name} ${t.name}\n`,
        );
      }
      for (const f of t.findings)
        io.stderr(`upstream ${e.name}: tool ${t.name} flagged at ${f.path}: ${f.detail}\n`);
    }
  }
}
