// The one policy loader: Rego directories, bundles written here, and bundles in the layout
// `opa build -t wasm` writes (https://www.openpolicyagent.org/docs/management-bundles).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_LIMITS,
  compileDir,
  contentRevision,
  loadPolicySource,
  normalizeEntryPath,
  readBundle,
  wasmMemoryLimits,
  writeBundle,
} from '../../src/policy/bundle.ts';
import { compileModules } from '../../src/rego/compile.ts';

const POLICY = `package mcp.authz

decision := {"allow": allow, "reasons": []}

allow if data.config.open == true

default allow := false
`;

/** A tarball with exactly the given entries, headers written by hand (as other tools would). */
function tarball(entries: { name: string; body?: string | Uint8Array; type?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : Buffer.from(e.body ?? []);
    const h = new Header({
      path: e.name,
      mode: 0o644,
      size: e.type && e.type !== 'File' ? 0 : body.length,
      mtime: new Date(1_700_000_000_000),
      type: (e.type ?? 'File') as 'File',
      linkpath: e.type === 'SymbolicLink' ? '/etc/passwd' : undefined,
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (!e.type || e.type === 'File') {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'warden-bundle-'));
  const src = path.join(dir, 'src');
  await mkdir(path.join(src, 'mcp', 'nested'), { recursive: true });
  await mkdir(path.join(src, 'config'), { recursive: true });
  await writeFile(path.join(src, 'mcp', 'authz.rego'), POLICY);
  // A broken test file proves *_test.rego files are left out of builds.
  await writeFile(
    path.join(src, 'mcp', 'authz_test.rego'),
    'package mcp.authz_test\n\ntest_x if {',
  );
  await writeFile(path.join(src, 'config', 'data.json'), '{"open": true, "limit": 8192}');
  await writeFile(path.join(src, 'mcp', 'nested', 'data.yaml'), 'roles:\n  - admin\n');
  await writeFile(path.join(src, 'data.json'), '{"top": 1}');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('policy directories', () => {
  it('compiles .rego files and merges data files at their directory path', async () => {
    const a = await compileDir(path.join(dir, 'src'));
    expect(a.entrypoints).toEqual(['mcp/authz/decision']);
    expect(a.data).toEqual({
      top: 1,
      config: { open: true, limit: 8192 },
      mcp: { nested: { roles: ['admin'] } },
    });
    expect(a.revision).toBe(contentRevision(a.wasm, a.data));
    expect(a.revision).toMatch(/^[0-9a-f]{16,}$/);
    expect(a.manifest.wasm).toEqual([{ entrypoint: 'mcp/authz/decision', module: '/policy.wasm' }]);
  });

  it('names the directory when it cannot be read', async () => {
    await expect(loadPolicySource(path.join(dir, 'missing'))).rejects.toMatchObject({
      code: 'POLICY_SOURCE_UNREADABLE',
      where: path.join(dir, 'missing'),
    });
  });

  it('reports two data files writing the same key', async () => {
    const d = path.join(dir, 'conflict');
    await mkdir(path.join(d, 'a'), { recursive: true });
    await writeFile(path.join(d, 'p.rego'), 'package a\n\nx := 1\n');
    await writeFile(path.join(d, 'data.json'), '{"a": {"k": 1}}');
    await writeFile(path.join(d, 'a', 'data.json'), '{"k": 2}');
    await expect(compileDir(d, { entrypoints: ['a/x'] })).rejects.toMatchObject({
      code: 'POLICY_DATA_CONFLICT',
    });
  });
});

describe('bundles', () => {
  it('round-trips: directory → build → tar.gz → load gives the same policy', async () => {
    const built = await compileDir(path.join(dir, 'src'));
    const file = path.join(dir, 'bundle.tar.gz');
    await writeFile(file, writeBundle(built));
    const loaded = await loadPolicySource(file);
    expect(loaded.entrypoints).toEqual(built.entrypoints);
    expect(loaded.data).toEqual(built.data);
    expect(loaded.revision).toBe(built.revision);
    expect(loaded.manifest.revision).toBe(built.revision);
    expect(Buffer.from(loaded.wasm).equals(Buffer.from(built.wasm))).toBe(true);
    // Same input, same bytes: fixed mtimes and owners keep builds reproducible.
    expect(writeBundle(built).equals(writeBundle(loaded))).toBe(true);
  });

  it("reads OPA's layout: leading slashes, nested data.json, rego sources, empty revision", async () => {
    const compiled = compileModules([{ path: 'mcp/authz.rego', text: POLICY }], {
      entrypoints: ['mcp/authz/decision'],
    });
    const manifest = {
      revision: '',
      roots: [''],
      wasm: [{ entrypoint: 'mcp/authz/decision', module: '/policy.wasm' }],
      rego_version: 1,
    };
    const buf = tarball([
      { name: '/data.json', body: '{"top": {"x": 1}}' },
      { name: '/config/data.json', body: '{"open": true}' },
      { name: '/top/y/data.json', body: '[1, 2]' },
      { name: '/mcp/authz.rego', body: POLICY },
      { name: '/policy.wasm', body: compiled.wasm },
      { name: '/.manifest', body: JSON.stringify(manifest) },
    ]);
    const a = await readBundle(buf, 'opa-bundle.tar.gz');
    expect(a.entrypoints).toEqual(['mcp/authz/decision']);
    expect(a.data).toEqual({ top: { x: 1, y: [1, 2] }, config: { open: true } });
    expect(a.revision).toBe(contentRevision(a.wasm, a.data)); // empty revision → content hash
    expect(a.manifest.rego_version).toBe(1);
    expect(a.minPages).toBe(wasmMemoryLimits(compiled.wasm)?.min);
  });

  it('uses the manifest revision when one is set', async () => {
    const compiled = compileModules([{ path: 'p.rego', text: POLICY }], {
      entrypoints: ['mcp/authz/decision'],
    });
    const buf = tarball([
      { name: 'policy.wasm', body: compiled.wasm },
      {
        name: '.manifest',
        body: JSON.stringify({
          revision: 'v42',
          wasm: [{ entrypoint: 'mcp/authz/decision', module: '/policy.wasm' }],
        }),
      },
    ]);
    expect((await readBundle(buf, 'b')).revision).toBe('v42');
  });

  it('compiles a bundle that carries Rego but no WASM', async () => {
    const buf = tarball([{ name: '/mcp/authz.rego', body: POLICY }]);
    const a = await readBundle(buf, 'rego-only.tar.gz');
    expect(a.entrypoints).toEqual(['mcp/authz/decision']);
    expect(a.wasm.byteLength).toBeGreaterThan(0);
  });

  it.each([['../../etc/passwd'], ['/a/../../escape.json'], ['a\\..\\b'], ['C:/windows/x']])(
    'rejects the traversal path %s',
    async (name) => {
      await expect(
        readBundle(tarball([{ name, body: '{}' }]), 'evil.tar.gz'),
      ).rejects.toMatchObject({
        code: 'POLICY_BUNDLE_INVALID',
        where: 'evil.tar.gz',
        message: expect.stringMatching(/unsafe path/),
      });
    },
  );

  it('rejects links', async () => {
    const buf = tarball([{ name: 'data.json', type: 'SymbolicLink' }]);
    await expect(readBundle(buf, 'l.tar.gz')).rejects.toMatchObject({
      code: 'POLICY_BUNDLE_INVALID',
      message: expect.stringMatching(/SymbolicLink/),
    });
  });

  it('rejects entries over the size limit before reading them', async () => {
    const saved = BUNDLE_LIMITS.maxEntryBytes;
    BUNDLE_LIMITS.maxEntryBytes = 1000;
    try {
      const buf = tarball([{ name: 'data.json', body: `{"x": "${'a'.repeat(2000)}"}` }]);
      await expect(readBundle(buf, 'big.tar.gz')).rejects.toMatchObject({
        code: 'POLICY_BUNDLE_INVALID',
        message: expect.stringMatching(/exceeds 1000 bytes/),
      });
    } finally {
      BUNDLE_LIMITS.maxEntryBytes = saved;
    }
  });

  it('rejects a gzip bomb by its decompressed size', async () => {
    const saved = BUNDLE_LIMITS.maxTotalBytes;
    BUNDLE_LIMITS.maxTotalBytes = 10_000;
    try {
      const buf = tarball([{ name: 'data.json', body: `"${'a'.repeat(50_000)}"` }]);
      await expect(readBundle(buf, 'bomb.tar.gz')).rejects.toMatchObject({
        code: 'POLICY_BUNDLE_INVALID',
        message: 'bundle expands beyond 10000 bytes',
      });
    } finally {
      BUNDLE_LIMITS.maxTotalBytes = saved;
    }
  });

  it('rejects files that are not gzip, and corrupt manifests', async () => {
    await expect(readBundle(Buffer.from('hello'), 'x.tar.gz')).rejects.toMatchObject({
      code: 'POLICY_BUNDLE_INVALID',
      message: expect.stringMatching(/gzip/),
    });
    for (const wasm of ['[null]', '[{"entrypoint": "a", "module": "../x.wasm"}]']) {
      const m = tarball([{ name: '.manifest', body: `{"wasm": ${wasm}}` }]);
      await expect(readBundle(m, 'm.tar.gz')).rejects.toMatchObject({
        code: 'POLICY_BUNDLE_INVALID',
        message: expect.stringMatching(/^invalid \.manifest/),
      });
    }
    const buf = tarball([{ name: '.manifest', body: '{nope' }]);
    await expect(readBundle(buf, 'm.tar.gz')).rejects.toMatchObject({
      code: 'POLICY_BUNDLE_INVALID',
      message: expect.stringMatching(/\.manifest/),
    });
  });
});

describe('helpers', () => {
  it('normalizes entry paths', () => {
    expect(normalizeEntryPath('/a/./b/data.json')).toBe('a/b/data.json');
    expect(normalizeEntryPath('./policy.wasm')).toBe('policy.wasm');
    expect(normalizeEntryPath('a/../b')).toBeNull();
  });

  it("reads the module's declared memory from its import section", () => {
    const compiled = compileModules([{ path: 'p.rego', text: POLICY }], {
      entrypoints: ['mcp/authz/decision'],
    });
    const mem = wasmMemoryLimits(compiled.wasm);
    expect(mem?.min).toBeGreaterThan(0);
    expect(mem?.min).toBe(compiled.minPages);
    expect(wasmMemoryLimits(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))).toBeUndefined();
  });
});
