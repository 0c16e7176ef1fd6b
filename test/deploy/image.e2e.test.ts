// The image as operators run it: deploy/Dockerfile built with podman and started read-only,
// then probed from outside — health check, readiness, a real SDK client's tool call through
// the embedded demo, tini as PID 1, the unprivileged user, and nothing of the build left in it
// (sources, compilers, re2's objects). No registry is reachable here, so the Node base image is
// made the way the official one is: a Debian bookworm root from Debian's packages (mmdebstrap),
// the Node 24 binary and headers of tools/node24 (the npm `node` package), npm from the npm
// registry (node-gyp builds re2 against those headers, offline), and
// this machine's CA bundle (a site's base image carries its own trust store: the build stage
// reaches the npm registry through whatever this machine trusts).
// Minutes long, so it runs only with WARDEN_IMAGE_TEST=1 (`npm run test:image`, which CI runs).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const ROOT = join(import.meta.dirname, '../..');
const ENABLED = process.env.WARDEN_IMAGE_TEST === '1';
const CACHE = '/var/tmp/warden-image';
const IMAGE = 'localhost/mcp-warden:test';
const NODE_BASE = 'localhost/node:24-bookworm-slim';
const NAME = `warden-image-test-${process.pid}`;
/** RUN steps as chroots (buildah's isolation), which need no OCI runtime: see runImage. */
const ISOLATION = ['--isolation=chroot'];

if (!ENABLED)
  console.warn(
    '\n*** image test skipped: run `npm run test:image` (needs podman and mmdebstrap: bash scripts/ci-apt.sh)\n',
  );

function run(cmd: string, args: string[], opts: { input?: string } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Step output a person watching CI can follow: each step is minutes long. */
const step = (s: string): void => void process.stderr.write(`image test: ${s}\n`);

/** A Node 24 base like the official node:24-bookworm-slim: Debian root + node + npm. */
function buildNodeBase(): void {
  mkdirSync(CACHE, { recursive: true });
  const rootfs = join(CACHE, 'debian-bookworm.tar');
  if (!existsSync(rootfs)) {
    step('mmdebstrap: a minimal Debian bookworm root from Debian packages');
    run('mmdebstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', rootfs]);
  }
  step('podman import: the Debian base');
  run('podman', ['import', rootfs, 'localhost/warden-debian:bookworm']);
  run('npm', ['ci', '--prefix', 'tools/node24', '--no-audit', '--no-fund']);
  const node = execFileSync('readlink', ['-f', 'tools/node24/node_modules/.bin/node'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const ctx = join(CACHE, 'node-base');
  mkdirSync(ctx, { recursive: true });
  execFileSync('cp', [node, join(ctx, 'node')]);
  // The headers, so node-gyp (re2) builds offline: the package ships them beside the binary.
  const header = execFileSync(
    'find',
    ['tools/node24/node_modules', '-path', '*/include/node/node.h', '-print', '-quit'],
    { cwd: ROOT, encoding: 'utf8' },
  ).trim();
  execFileSync('rm', ['-rf', join(ctx, 'include')]);
  execFileSync('cp', ['-a', join(ROOT, header, '../..'), join(ctx, 'include')]);
  execFileSync('cp', ['/etc/ssl/certs/ca-certificates.crt', join(ctx, 'ca-certificates.crt')]);
  if (!existsSync(join(ctx, 'npm'))) {
    step('npm pack npm@10: npm for the base image');
    const tgz = run('npm', ['pack', 'npm@10', '--pack-destination', ctx, '--silent'])
      .trim()
      .split('\n')
      .at(-1)!;
    execFileSync('mkdir', ['-p', join(ctx, 'npm')]);
    execFileSync('tar', ['-xzf', join(ctx, tgz), '-C', join(ctx, 'npm'), '--strip-components=1']);
  }
  writeFileSync(
    join(ctx, 'Containerfile'),
    [
      'FROM localhost/warden-debian:bookworm',
      'COPY node /usr/local/bin/node',
      'COPY include /usr/local/include',
      'ENV npm_config_nodedir=/usr/local',
      'COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
      'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      'COPY npm /usr/local/lib/node_modules/npm',
      'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
      ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
      '',
    ].join('\n'),
  );
  step('podman build: the Node 24 base');
  run('podman', ['build', ...ISOLATION, '-q', '-t', NODE_BASE, ctx]);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

let port = 0;
let url = '';
let container = '';
let gateway: ChildProcess | undefined;
let logs = '';

interface ImageConfig {
  Entrypoint: string[];
  Healthcheck?: { Test: string[] };
  User: string;
}
const imageConfig = (): ImageConfig => {
  const field = (f: string) =>
    JSON.parse(run('podman', ['image', 'inspect', IMAGE, '--format', `{{json .Config.${f}}}`]));
  return {
    Entrypoint: field('Entrypoint'),
    Healthcheck: field('Healthcheck'),
    User: field('User'),
  };
};

/** Runs a command in the image's root, as a chroot sharing this host's network (buildah's
 *  chroot isolation): this machine's OCI runtimes cannot start containers (the sandbox lacks
 *  CAP_SYS_RESOURCE for their rlimits, and crun refuses hybrid cgroups), so there is no PID
 *  namespace and no read-only root here; the rest is the image as it would run. */
const inImage = (args: string[], env: Record<string, string> = {}, user?: string): string[] => [
  'run',
  '--isolation',
  'chroot',
  '--network',
  'host',
  ...(user ? ['--user', user] : []),
  ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
  container,
  '--',
  ...args,
];

describe.skipIf(!ENABLED)('the container image (podman build, run from its root)', () => {
  beforeAll(async () => {
    buildNodeBase();
    step('podman build -f deploy/Dockerfile (re2, the Rego runtime and dist/ are built inside)');
    run('podman', [
      'build',
      ...ISOLATION,
      '--format',
      'docker', // HEALTHCHECK is a Docker image format field (OCI has none)
      '--network=host',
      '--build-arg',
      `NODE_IMAGE=${NODE_BASE}`,
      '-f',
      'deploy/Dockerfile',
      '-t',
      IMAGE,
      '.',
    ]);
    container = run('buildah', ['from', '--name', NAME, IMAGE]).trim().split('\n').at(-1)!;
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const cfg = imageConfig();
    // ENTRYPOINT as the image declares it (tini first), as the user it declares, with the
    // embedded demo as the command; TINI_SUBREAPER because here tini is not PID 1.
    step(`starting ${cfg.Entrypoint.join(' ')} serve on ${url}`);
    gateway = spawn(
      'buildah',
      inImage(
        [...cfg.Entrypoint, 'serve', '--host', '127.0.0.1'],
        { WARDEN_PORT: String(port), TINI_SUBREAPER: '1' },
        cfg.User,
      ),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    gateway.stdout!.on('data', (c: Buffer) => void (logs += c.toString()));
    gateway.stderr!.on('data', (c: Buffer) => void (logs += c.toString()));
    for (let i = 0; i < 240; i++) {
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (gateway.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the image's gateway did not become ready:\n${logs}`);
  }, 2_400_000);

  afterAll(async () => {
    if (!ENABLED) return;
    gateway?.kill('SIGTERM');
    if (gateway && gateway.exitCode === null) await new Promise((r) => gateway!.once('exit', r));
    spawnSync('buildah', ['rm', NAME]);
  });

  it('passes its own HEALTHCHECK, which follows WARDEN_PORT', () => {
    const test = imageConfig().Healthcheck?.Test ?? [];
    expect(test[0]).toBe('CMD');
    const r = spawnSync('buildah', inImage(test.slice(1), { WARDEN_PORT: String(port) }));
    expect(r.status, r.stderr?.toString()).toBe(0);
    const wrong = spawnSync('buildah', inImage(test.slice(1), { WARDEN_PORT: '1' }));
    expect(wrong.status).not.toBe(0);
  });

  it('serves a real client a tool call through the demo', async () => {
    const tok = await fetch(`${url}/demo/token`, {
      method: 'POST',
      body: new URLSearchParams({ resource: `${url}/mcp`, scope: 'postgres:query:readonly' }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const client = new Client({ name: 'image-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${tok.access_token}` } },
      }),
    );
    const r = await client.callTool({
      name: 'db.query',
      arguments: { sql: "SELECT * FROM customers WHERE plan = 'pro'" },
    });
    expect(r.isError).toBeFalsy();
    await client.close();
  });

  it('starts under tini, as the unprivileged user it declares', () => {
    const cfg = imageConfig();
    expect(cfg.Entrypoint[0]).toBe('/usr/bin/tini');
    expect(cfg.User).toBe('10001:10001');
    // The process that listens on the port (ss names its pid): node, running as uid 10001,
    // whose parent is tini.
    const listener = run('ss', ['-ltnpH', `sport = :${port}`]);
    const pid = /pid=(\d+)/.exec(listener)?.[1];
    expect(pid, listener).toBeDefined();
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('node');
    expect(/^Uid:\s+10001\b/m.test(status)).toBe(true);
    const ppid = /^PPid:\s+(\d+)/m.exec(status)![1];
    expect(readFileSync(`/proc/${ppid}/comm`, 'utf8').trim()).toBe('tini');
  });

  it('carries compiled JavaScript and production dependencies only', () => {
    const ls = (p: string) =>
      run('buildah', inImage(['sh', '-c', `ls -A ${p} || true`]))
        .split('\n')
        .filter(Boolean);
    const app = ls('/app');
    expect(app).toContain('dist');
    expect(app).not.toContain('src');
    const modules = ls('/app/node_modules');
    for (const dev of ['typescript', 'tsx', 'assemblyscript', 'binaryen', 'vitest', 'esbuild'])
      expect(modules, dev).not.toContain(dev);
    expect(ls('/app/node_modules/re2/build/Release')).not.toContain('obj.target');
    const size = run('podman', ['image', 'inspect', IMAGE, '--format', '{{.Size}}']).trim();
    step(`image size ${(Number(size) / 1e6).toFixed(0)} MB`);
  });
});
