// deploy/ can't be built or run here (no Docker engine, no cluster, no helm): this parses every
// file, renders the Helm chart with a small Go-template renderer (helm-render.ts), and checks the
// references between the pieces and against the gateway (ports, probe paths, ConfigMap/Secret
// names and keys, image names, nginx upstreams vs compose services, warden.yaml validity).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { resolveAuthConfig, type AuthConfig } from '../../src/auth/config.ts';
import { parseConfig } from '../../src/config/index.ts';
import { renderChart } from './helm-render.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy');
const CHART = path.join(DEPLOY, 'helm/mcp-warden');
const read = (p: string) => readFileSync(path.join(DEPLOY, p), 'utf8');
const KEY = 'k'.repeat(44);
type Obj = Record<string, any>;

const chartMeta = YAML.parse(read('helm/mcp-warden/Chart.yaml')) as Obj;
const defaults = YAML.parse(read('helm/mcp-warden/values.yaml')) as Obj;
const templates = Object.fromEntries(
  readdirSync(path.join(CHART, 'templates')).map((f) => [
    f,
    read(`helm/mcp-warden/templates/${f}`),
  ]),
);

/** `helm template` with `overrides` merged over values.yaml: kind → the one rendered object. */
function render(overrides: Obj = {}, apiVersions: string[] = []): Record<string, Obj> {
  const merge = (a: Obj, b: Obj): Obj => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b))
      out[k] = v && typeof v === 'object' && !Array.isArray(v) ? merge(a[k] ?? {}, v) : v;
    return out;
  };
  const values = merge(merge(defaults, { sessionKeys: { current: KEY } }), overrides);
  const out = renderChart(templates, values, chartMeta, undefined, apiVersions);
  const byKind: Record<string, Obj> = {};
  for (const [file, text] of Object.entries(out)) {
    if (!file.endsWith('.yaml')) continue;
    for (const doc of YAML.parseAllDocuments(text)) {
      expect(doc.errors, file).toEqual([]);
      const obj = doc.toJS() as Obj | null;
      if (!obj) continue;
      expect(obj.kind, file).toBeTruthy();
      expect(byKind[obj.kind], `one ${obj.kind}`).toBeUndefined();
      byKind[obj.kind] = obj;
    }
  }
  return byKind;
}

/** The Dockerfile as instructions (continuation lines joined). */
const dockerfile = read('Dockerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), arg: rest.join(' ') };
  });
const lastFrom = dockerfile.map((i) => i.op).lastIndexOf('FROM');
const runtimeStage = dockerfile.slice(lastFrom);
const jsonArgs = (op: string) =>
  JSON.parse(runtimeStage.find((i) => i.op === op)?.arg ?? 'null') as string[];

const routesSource = readFileSync(path.join(ROOT, 'src/gateway/routes.ts'), 'utf8');
const env = {
  WARDEN_SESSION_KEY: KEY,
  POD_IP: '10.1.2.3',
  HOSTNAME: 'gateway-2',
  AUTH_ISSUER: 'https://login.example.com',
  AUTH_JWKS_URI: 'https://login.example.com/jwks',
};

/** warden.yaml as the gateway would load it, auth section resolved too. */
function checkWardenYaml(text: string, where: string) {
  const config = parseConfig(text, where, env);
  resolveAuthConfig(config.auth as unknown as AuthConfig);
  expect(config.sessions.keys).toEqual([KEY]);
  return config;
}

/** The port the image serves: its WARDEN_PORT, which `warden serve` takes without --port. */
function imagePort(): number {
  const env = runtimeStage.find((i) => i.op === 'ENV' && i.arg.startsWith('WARDEN_PORT='));
  return Number(env?.arg.split('=')[1]);
}

describe('Dockerfile', () => {
  it('is multi-stage: a build stage with the native toolchain, a slim non-root runtime', () => {
    const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.arg);
    expect(froms).toHaveLength(2);
    // A supported Node LTS (20 reached its end of life in April 2026).
    expect(read('Dockerfile')).toMatch(/ARG NODE_IMAGE=node:(22|24)-bookworm-slim/);
    expect(froms[0]).toBe('${NODE_IMAGE} AS build');
    const build = dockerfile.slice(0, lastFrom);
    const runs = build
      .filter((i) => i.op === 'RUN')
      .map((i) => i.arg)
      .join('\n');
    for (const pkg of ['g++', 'make', 'python3']) expect(runs).toContain(pkg);
    expect(runs).toMatch(/npm ci/);
    expect(runs).toMatch(/npm rebuild re2/);
    expect(runs).toMatch(/npm prune --omit=dev/);
    // build/rego-runtime.wasm and dist/ (tsc) made at build time; the image runs no compiler.
    expect(runs).toMatch(/npm run build/);
    expect(JSON.parse(read('../package.json')).scripts.build).toMatch(/build-runtime\.mjs.*tsc/);
    // re2's intermediate build output is not shipped.
    expect(runs).toMatch(/rm -rf node_modules\/re2\/build\/Release\/obj\.target/);
    const user = runtimeStage.find((i) => i.op === 'USER')?.arg;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/); // numeric, not root: runAsNonRoot can check it
  });

  it('copies what the gateway needs at run time into /app', () => {
    const copies = runtimeStage
      .filter((i) => i.op === 'COPY')
      .map((i) => i.arg.split(/\s+/).at(-1));
    for (const dir of [
      './node_modules',
      './bin',
      './dist',
      './build',
      './policies',
      './schema', // warden.yaml's JSON Schema, read at start
      './package.json',
    ])
      expect(copies).toContain(dir);
    expect(runtimeStage.find((i) => i.op === 'WORKDIR')?.arg).toBe('/app');
    const bin = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin.warden;
    // tini as PID 1: reaps the stdio upstreams' orphaned grandchildren, forwards signals.
    expect(jsonArgs('ENTRYPOINT')).toEqual(['/usr/bin/tini', '--', 'node', `/app/${bin}`]);
    expect(copies).not.toContain('./src'); // compiled JavaScript only
  });

  it('health-checks /healthz on the port it serves (WARDEN_PORT), and exposes it', () => {
    // The port is WARDEN_PORT, which `warden serve` takes when no --port is given, so the
    // HEALTHCHECK follows an operator's change of it.
    expect(jsonArgs('CMD')).not.toContain('--port');
    const port = String(imagePort());
    expect(port).toMatch(/^[1-9]\d*$/);
    expect(runtimeStage.find((i) => i.op === 'EXPOSE')?.arg).toBe(port);
    const hc = runtimeStage.find((i) => i.op === 'HEALTHCHECK')?.arg ?? '';
    expect(hc).toContain('127.0.0.1:${process.env.WARDEN_PORT}/healthz');
    expect(read('../src/cli/commands/serve.ts')).toContain('process.env.WARDEN_PORT');
    expect(routesSource).toContain("path === '/healthz'");
  });
});

describe('Helm chart', () => {
  const k = render();

  it('renders every object the chart promises, all in valid YAML', () => {
    expect(chartMeta).toMatchObject({ apiVersion: 'v2', name: 'mcp-warden' });
    expect(Object.keys(k).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'Secret',
        'Service',
      ].sort(),
    );
  });

  it('runs the image non-root on a read-only root filesystem with writable /tmp', () => {
    const pod = k.Deployment.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe(`${defaults.image.repository}:${chartMeta.appVersion}`);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
    });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const uid = runtimeStage.find((i) => i.op === 'USER')?.arg.split(':')[0];
    expect(String(c.securityContext.runAsUser)).toBe(uid);
    const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m.name]));
    expect(Object.keys(mounts)).toEqual(
      expect.arrayContaining(['/tmp', '/var/lib/warden', '/etc/warden']),
    );
    for (const name of Object.values(mounts))
      expect(pod.volumes.map((v: Obj) => v.name)).toContain(name);
  });

  it('mounts the ConfigMap warden.yaml where --config points, and it is valid for the gateway', () => {
    const c = k.Deployment.spec.template.spec.containers[0];
    const configPath = c.args[c.args.indexOf('--config') + 1];
    const mount = c.volumeMounts.find((m: Obj) => configPath.startsWith(`${m.mountPath}/`));
    const vol = k.Deployment.spec.template.spec.volumes.find((v: Obj) => v.name === mount.name);
    expect(vol.configMap.name).toBe(k.ConfigMap.metadata.name);
    const item = vol.configMap.items.find(
      (i: Obj) => `${mount.mountPath}/${i.path}` === configPath,
    );
    expect(Object.keys(k.ConfigMap.data)).toContain(item.key);
    const config = checkWardenYaml(k.ConfigMap.data[item.key], 'configmap:warden.yaml');
    // The image serves the port the pod declares; the config agrees.
    expect(Number(c.args[c.args.indexOf('--port') + 1])).toBe(c.ports[0].containerPort);
    expect(config.listen.port).toBe(c.ports[0].containerPort);
    // policy.path is a bundle URL or a directory the Dockerfile put in the image.
    const p = config.policy.path;
    if (!/^https?:/.test(p)) {
      expect(p.startsWith('/app/')).toBe(true);
      expect(existsSync(path.join(ROOT, p.slice('/app/'.length)))).toBe(true);
    }
  });

  it('advertises each pod at its own IP and port (relayed MRTR retries)', () => {
    const c = k.Deployment.spec.template.spec.containers[0];
    expect(c.env.find((e: Obj) => e.name === 'POD_IP').valueFrom.fieldRef.fieldPath).toBe(
      'status.podIP',
    );
    const config = checkWardenYaml(k.ConfigMap.data['warden.yaml'], 'ConfigMap warden.yaml');
    const port = c.ports.find((p: Obj) => p.name === 'http').containerPort;
    expect(config.sessions.advertise_url).toBe(`http://10.1.2.3:${port}`);
  });

  it('feeds the session keys from the Secret the chart creates', () => {
    const c = k.Deployment.spec.template.spec.containers[0];
    const refs = c.env
      .filter((e: Obj) => e.valueFrom?.secretKeyRef)
      .map((e: Obj) => ({ env: e.name, ...e.valueFrom.secretKeyRef }));
    expect(refs.map((r: Obj) => r.env)).toEqual([
      'WARDEN_SESSION_KEY',
      'WARDEN_SESSION_KEY_PREVIOUS',
    ]);
    for (const r of refs) {
      expect(r.name).toBe(k.Secret.metadata.name);
      // Every key the pod reads exists in the Secret, unless the reference is optional.
      expect(r.key in k.Secret.stringData || r.optional === true).toBe(true);
    }
    expect(k.Secret.stringData['session-key']).toBe(KEY);
    expect(k.ConfigMap.data['warden.yaml']).toContain('${WARDEN_SESSION_KEY}');
    // A rotation: the previous key lands in the Secret; an existing Secret replaces the chart's.
    expect(
      render({ sessionKeys: { previous: 'p'.repeat(44) } }).Secret.stringData[
        'session-key-previous'
      ],
    ).toBe('p'.repeat(44));
    const ext = render({ sessionKeys: { existingSecret: 'my-keys', current: '' } });
    expect(ext.Secret).toBeUndefined();
    const keyRef = ext.Deployment.spec.template.spec.containers[0].env.find(
      (e: Obj) => e.name === 'WARDEN_SESSION_KEY',
    );
    expect(keyRef.valueFrom.secretKeyRef.name).toBe('my-keys');
    expect(() => render({ sessionKeys: { current: '' } })).toThrow(/sessionKeys.current/);
  });

  it('probes /healthz and /readyz on the named container port, paths the gateway serves', () => {
    const c = k.Deployment.spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      expect(c.ports.map((p: Obj) => p.name)).toContain(probe.httpGet.port);
      expect(routesSource).toContain(`path === '${probe.httpGet.path}'`);
    }
  });

  it('renders a ServiceMonitor only when enabled and the CRD is present', () => {
    const crd = ['monitoring.coreos.com/v1/ServiceMonitor'];
    expect(defaults.serviceMonitor.enabled).toBe(false);
    expect(k.ServiceMonitor).toBeUndefined();
    expect(render({ serviceMonitor: { enabled: true } }).ServiceMonitor).toBeUndefined();
    expect(render({}, crd).ServiceMonitor).toBeUndefined();
    expect(render({ serviceMonitor: { enabled: true } }, crd).ServiceMonitor).toBeDefined();
  });

  it('wires Service, ServiceMonitor, HPA and PDB to the Deployment by name, port and labels', () => {
    const k = render({ serviceMonitor: { enabled: true } }, [
      'monitoring.coreos.com/v1/ServiceMonitor',
    ]);
    const podLabels = k.Deployment.spec.template.metadata.labels;
    const sel = k.Deployment.spec.selector.matchLabels;
    expect(podLabels).toMatchObject(sel);
    expect(podLabels).toMatchObject(k.Service.spec.selector);
    expect(podLabels).toMatchObject(k.PodDisruptionBudget.spec.selector.matchLabels);
    expect(k.Service.spec.sessionAffinity).toBe('None'); // sealed sessions: no stickiness needed
    const svcPort = k.Service.spec.ports[0];
    expect(k.Deployment.spec.template.spec.containers[0].ports.map((p: Obj) => p.name)).toContain(
      svcPort.targetPort,
    );
    expect(k.Service.metadata.labels).toMatchObject(k.ServiceMonitor.spec.selector.matchLabels);
    expect(k.ServiceMonitor.spec.endpoints[0]).toMatchObject({
      port: svcPort.name,
      path: '/metrics',
    });
    expect(routesSource).toContain("path === '/metrics'");
    expect(k.HorizontalPodAutoscaler.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: k.Deployment.metadata.name,
    });
    expect(k.PodDisruptionBudget.spec.minAvailable).toBeLessThan(
      k.HorizontalPodAutoscaler.spec.minReplicas,
    );
    // Without the HPA the Deployment carries the replica count itself.
    const fixed = render({
      autoscaling: { enabled: false },
      serviceMonitor: { enabled: false },
      podDisruptionBudget: { enabled: false },
    });
    expect(fixed.Deployment.spec.replicas).toBe(defaults.replicaCount);
    expect(
      fixed.HorizontalPodAutoscaler ?? fixed.ServiceMonitor ?? fixed.PodDisruptionBudget,
    ).toBeUndefined();
    expect(k.Deployment.spec.replicas).toBeUndefined();
  });
});

describe('docker-compose', () => {
  const compose = YAML.parse(read('compose/docker-compose.yml'), { merge: true }) as Obj;
  const services = compose.services as Record<string, Obj>;
  const gateways = Object.keys(services).filter((s) => /^gateway-\d+$/.test(s));
  const nginxConf = read('compose/nginx.conf');

  it('runs three identical gateways from the Dockerfile, sharing one session key', () => {
    expect(gateways).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
    for (const g of gateways) {
      const s = services[g];
      expect(s.image).toBe(services['gateway-1'].image);
      expect(s.build).toEqual({ context: '../..', dockerfile: 'deploy/Dockerfile' });
      expect(existsSync(path.resolve(DEPLOY, 'compose', s.build.context, s.build.dockerfile))).toBe(
        true,
      );
      expect(s.read_only).toBe(true);
      expect(s.environment.WARDEN_SESSION_KEY).toMatch(/^\$\{WARDEN_SESSION_KEY:\?/);
      expect(s.command).toEqual(jsonArgs('CMD'));
      const [src, dst] = s.volumes[0].split(':');
      expect(existsSync(path.join(DEPLOY, 'compose', src))).toBe(true);
      expect(dst).toBe(s.command[s.command.indexOf('--config') + 1]);
    }
  });

  it('puts nginx in front with a round-robin upstream of exactly those gateways', () => {
    const nginx = services.nginx;
    expect(nginx.volumes).toContain('./nginx.conf:/etc/nginx/nginx.conf:ro');
    const upstream = /upstream\s+warden\s*\{([^}]*)\}/.exec(nginxConf)?.[1] ?? '';
    const servers = [...upstream.matchAll(/server\s+([\w.-]+):(\d+)/g)].map((m) => ({
      host: m[1],
      port: Number(m[2]),
    }));
    expect(servers.map((s) => s.host)).toEqual(gateways);
    for (const s of servers) expect(s.port).toBe(imagePort());
    expect(upstream).not.toMatch(/ip_hash|hash |sticky|least_conn/);
    expect(nginxConf).toMatch(/proxy_pass\s+http:\/\/warden;/);
    expect(nginxConf).toMatch(/proxy_buffering\s+off;/); // SSE passes through unbuffered
    expect(nginxConf).toMatch(/proxy_http_version\s+1\.1;/);
    expect(Object.keys(nginx.depends_on).sort()).toEqual(gateways);
    const listen = Number(/listen\s+(\d+);/.exec(nginxConf)?.[1]);
    expect(nginx.ports[0]).toMatch(new RegExp(`:${listen}$`));
  });

  it('mounts a warden.yaml valid for the gateway whose upstream is the demo service', () => {
    const config = checkWardenYaml(read('compose/warden.yaml'), 'compose/warden.yaml');
    const up = new URL(config.upstreams[0].url as string);
    expect(services[up.hostname]).toBeDefined();
    expect(services[up.hostname].command.join(' ')).toContain(`port: ${up.port}`);
    expect(services[up.hostname].expose).toContain(up.port);
    expect(existsSync(path.join(ROOT, 'demo/tickets-server.js'))).toBe(true);
    for (const v of ['AUTH_ISSUER', 'AUTH_JWKS_URI', 'WARDEN_SESSION_KEY'])
      expect(services['gateway-1'].environment[v]).toBeDefined();
    // Each gateway advertises itself by its service name (its hostname), on the gateway port.
    expect(config.sessions.advertise_url).toBe(`http://gateway-2:${imagePort()}`);
    for (const g of gateways) expect(services[g].hostname).toBe(g);
  });
});
