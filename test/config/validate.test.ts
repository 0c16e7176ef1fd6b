// warden.yaml against schema/warden.schema.json: every problem with its key path, the line and
// column of the key, and "did you mean" for a misspelt key.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ConfigInvalidError, didYouMean } from '../../src/config/validate.ts';
import { isWardenError } from '../../src/errors/index.ts';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, 'w.yaml', env);
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e.details!.problems as string[];
    if (isWardenError(e)) return [e.toLine()];
    throw e;
  }
  return [];
}

describe('config schema', () => {
  it('names the line and column of the key, and suggests the known key', () => {
    const yaml = ['listen:', '  host: 127.0.0.1', '  prot: 8080', 'upstreams: []', ''].join('\n');
    expect(problems(yaml)).toEqual(['w.yaml:3:3: listen.prot: unknown key (did you mean port?)']);
  });

  it('reports every problem, in document order', () => {
    const yaml = [
      'upstreams:',
      '  - name: a',
      '    url: ftp://x',
      '    timeout_ms: -1',
      '  - name: b',
      '    command: node',
      '    tools: { t: { destructiv: true } }',
      'polcy: { path: x }',
      '',
    ].join('\n');
    expect(problems(yaml)).toEqual([
      'w.yaml:3:5: upstreams[0].url: invalid value "ftp://x" (an http:// or https:// URL)',
      'w.yaml:4:5: upstreams[0].timeout_ms: must be ≥ 1',
      'w.yaml:7:19: upstreams[1].tools.t.destructiv: unknown key (did you mean destructive?)',
      'w.yaml:8:1: polcy: unknown key (did you mean policy?)',
    ]);
  });

  it('lists the known keys when nothing is close', () => {
    const [p] = problems('limits: { zzz: 1 }\n');
    expect(p).toMatch(
      /^w\.yaml:1:11: limits\.zzz: unknown key \(expected one of: max_payload_bytes, /,
    );
  });

  it('names an audit sink of an unknown type, and a missing required key', () => {
    expect(problems('audit: { sinks: [ { type: kafka } ] }\n')).toEqual([
      'w.yaml:1:21: audit.sinks[0].type: expected one of file, stdout, syslog, http, got "kafka"',
    ]);
    expect(problems('audit:\n  sinks:\n    - type: file\n')).toEqual([
      'w.yaml:3:7: audit.sinks[0].path: required key is missing',
    ]);
    expect(problems('audit: { sinks: [ { type: http, url: "http://x", batch: 1 } ] }\n')).toEqual([
      'w.yaml:1:50: audit.sinks[0].batch: unknown key (did you mean batch_size?)',
    ]);
  });

  it('points cross-field errors past the schema at their line', () => {
    const yaml = 'upstreams:\n  - name: a\n    url: http://x\n    command: node\n';
    expect(problems(yaml)).toEqual([
      'w.yaml:2:5: upstreams[0]: exactly one of url (HTTP) or command (stdio) is required',
    ]);
  });

  it('accepts the keys the other parts of the gateway read', () => {
    const yaml = `
auth:
  demo: true
  approval: { time_claims: [auth_time] }
  policy_claims: [groups]
policy: { path: p/, shadow: q/, rego_version: v1, input_headers: [x-tenant] }
limits: { max_sessions_per_subject: 10, body_timeout_ms: 5000 }
log: { level: debug, format: pretty }
upstreams:
  - name: s
    command: node
    isolation: per_subject
    max_children: 4
    required: true
  - name: h
    url: http://x/mcp
    forward_headers: [x-request-id]
`;
    expect(problems(yaml)).toEqual([]);
    const cfg = parseConfig(yaml, 'w.yaml', {});
    expect(cfg.upstreams.map((u) => u.required)).toEqual([true, false]);
    expect(cfg.log).toEqual({ level: 'debug', format: 'pretty' });
  });

  it('takes an empty key as its default', () => {
    expect(parseConfig('listen:\n  port:\n', 'w.yaml', {}).listen.port).toBe(8080);
  });

  it('suggests within a couple of edits only', () => {
    expect(didYouMean('upstream', ['upstreams', 'policy'])).toBe('upstreams');
    expect(didYouMean('colour', ['name', 'url'])).toBeUndefined();
  });
});

describe('the README example', () => {
  it('names the published schema in its modeline and is accepted by it', async () => {
    const { readFileSync, existsSync } = await import('node:fs');
    const root = new URL('../../', import.meta.url);
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const start = readme.indexOf('```yaml\n# yaml-language-server:');
    expect(start).toBeGreaterThan(0);
    const yaml = readme.slice(start + 8, readme.indexOf('```', start + 8));
    const schema = /\$schema=(\S+)/.exec(yaml)![1];
    expect(existsSync(new URL(schema, root))).toBe(true);
    expect(problems(yaml, { TICKETS_SECRET: 's' })).toEqual([]);
  });
});
