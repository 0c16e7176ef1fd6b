// One loader for every policy source the gateway and the CLI accept:
//   - a directory of .rego files (recursively; *_test.rego left out of builds) with optional
//     data.json / data.yaml files merged at their directory's path, as OPA's loader does;
//   - a .tar.gz bundle written here, or by `opa build -t wasm` (/.manifest, /policy.wasm,
//     /data.json, possibly nested data.json files and the .rego sources).
// Bundle layout: https://www.openpolicyagent.org/docs/management-bundles#bundle-file-format
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { Module, RegoVersion } from '../rego/ast.ts';
import { compileModules, compileParsed, type SourceFile } from '../rego/compile.ts';
import { PolicyErrorCode as Code, policyUserError } from './errors.ts';
import { normalizeEntryPath, packTarball, unpackTarball } from './tarball.ts';
import { wasmMemoryLimits } from './wasm-memory.ts';
import { manifestVersions, parseManifest, regoVersions } from './manifest-versions.ts';

export { normalizeEntryPath, unpackTarball } from './tarball.ts';
export { wasmDataPages, wasmMemoryLimits } from './wasm-memory.ts';

export const DEFAULT_ENTRYPOINT = 'mcp/authz/decision';

export { BUNDLE_LIMITS } from './tarball.ts';

export interface BundleManifest {
  revision: string;
  roots: string[];
  wasm: { entrypoint: string; module: string }[];
  [key: string]: unknown;
}

export interface PolicyArtifact {
  wasm: Uint8Array;
  data: Record<string, unknown>;
  manifest: BundleManifest;
  revision: string;
  entrypoints: string[];
  /** Builtins the module calls through the host, when known (compiled here). */
  hostBuiltins?: string[];
  /** Those an entrypoint reaches, when known: a missing one of the others fails only a call. */
  reachableBuiltins?: string[];
  /** Declared minimum memory of the module, when the compiler reported it. */
  minPages?: number;
  /** Coverage builds: file → the lines that carry a coverage mark. */
  coverable?: Map<string, Set<number>>;
}

export interface LoadOptions {
  /** Entrypoints to compile when the source is Rego; ignored for prebuilt WASM. */
  entrypoints?: string[];
  /** Rego version of sources a manifest does not version (`--v0-compatible`,
   *  `policy.rego_version`); v1 by default. */
  regoVersion?: RegoVersion;
}

/** sha256 over the module and the data, hex: identifies exactly what decides requests. */
export function contentRevision(wasm: Uint8Array, data: unknown): string {
  return createHash('sha256').update(wasm).update(JSON.stringify(data)).digest('hex').slice(0, 20);
}

/** Loads a directory or a bundle file into a ready-to-load WASM module plus data. */
export async function loadPolicySource(
  source: string,
  opts: LoadOptions = {},
): Promise<PolicyArtifact> {
  const st = await stat(source).catch((e: NodeJS.ErrnoException) => {
    throw policyUserError(Code.SOURCE_UNREADABLE, `cannot read policy source: ${e.code ?? e}`, {
      where: source,
    });
  });
  if (st.isDirectory()) return compileDir(source, opts);
  const buf = await readFile(source).catch((e: NodeJS.ErrnoException) => {
    throw policyUserError(Code.SOURCE_UNREADABLE, `cannot read: ${e.code ?? e}`, { where: source });
  });
  return readBundle(buf, source, opts);
}

/** Compiles the Rego in `dir` (tests excluded) with its data files. */
export async function compileDir(dir: string, opts: LoadOptions = {}): Promise<PolicyArtifact> {
  const { files, data } = await readPolicyDir(dir, {
    includeTests: false,
    regoVersion: opts.regoVersion,
  });
  return compileArtifact(files, data, opts.entrypoints ?? [DEFAULT_ENTRYPOINT]);
}

/** Rego sources → a loadable artifact (content revision, one-module manifest). */
export function compileArtifact(
  files: SourceFile[] | Module[],
  data: Record<string, unknown>,
  entrypoints: string[],
  opts: { coverage?: boolean } = {},
): PolicyArtifact {
  const copts = { entrypoints, coverage: opts.coverage };
  const compiled = isModules(files) ? compileParsed(files, copts) : compileModules(files, copts);
  const revision = contentRevision(compiled.wasm, data);
  const manifest: BundleManifest = {
    revision,
    roots: [''],
    wasm: compiled.entrypoints.map((entrypoint) => ({ entrypoint, module: '/policy.wasm' })),
    ...manifestVersions(files),
  };
  const minPages = compiled.minPages ?? wasmMemoryLimits(compiled.wasm)?.min;
  return {
    wasm: compiled.wasm,
    data,
    manifest,
    revision,
    entrypoints: compiled.entrypoints,
    hostBuiltins: compiled.hostBuiltins,
    reachableBuiltins: compiled.reachableHostBuiltins,
    minPages,
    ...(compiled.coverable ? { coverable: compiled.coverable } : {}),
  };
}

/** Parsed modules (a caller that adjusted them: the tester's renamed test rules) or sources. */
const isModules = (xs: SourceFile[] | Module[]): xs is Module[] =>
  xs.length > 0 && 'rules' in xs[0];

/** Reads every .rego file under `dir` (sorted, so builds are reproducible) and merges the
 *  data.json / data.yaml files at their directory path. */
export async function readPolicyDir(
  dir: string,
  opts: { includeTests: boolean; regoVersion?: RegoVersion },
): Promise<{ files: SourceFile[]; data: Record<string, unknown> }> {
  const files: SourceFile[] = [];
  const data: Record<string, unknown> = {};
  const manifestPath = path.join(dir, '.manifest');
  const manifestText = await readFile(manifestPath, 'utf8').catch(() => undefined);
  const versionOf = regoVersions(
    manifestText === undefined ? {} : parseManifest(manifestText, manifestPath),
    opts.regoVersion,
    manifestPath,
  );
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(dir, rel);
    const entries = await readdir(abs, { withFileTypes: true }).catch(
      (e: NodeJS.ErrnoException) => {
        throw policyUserError(Code.SOURCE_UNREADABLE, `cannot read directory: ${e.code ?? e}`, {
          where: abs,
        });
      },
    );
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const childRel = rel ? `${rel}/${ent.name}` : ent.name;
      const where = path.join(dir, childRel);
      if (ent.isDirectory()) {
        if (ent.name.startsWith('.') || ent.name === 'node_modules') continue;
        await walk(childRel);
      } else if (ent.name.endsWith('.rego')) {
        if (!opts.includeTests && ent.name.endsWith('_test.rego')) continue;
        const regoVersion = versionOf(childRel);
        files.push({
          path: where,
          text: await readText(where),
          ...(regoVersion && { regoVersion }),
        });
      } else if (ent.name === 'data.json' || ent.name === 'data.yaml' || ent.name === 'data.yml') {
        const value = parseDataFile(ent.name, await readText(where), where);
        mergeData(data, rel ? rel.split('/') : [], value, where);
      }
    }
  };
  await walk('');
  return { files, data };
}

async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw policyUserError(Code.SOURCE_UNREADABLE, `cannot read: ${e.code ?? e}`, { where: file });
  });
}

export function parseDataFile(name: string, text: string, where: string): unknown {
  if (name.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw policyUserError(Code.BUNDLE_INVALID, `invalid JSON: ${(e as Error).message}`, {
        where,
      });
    }
  }
  try {
    return YAML.parse(text);
  } catch (e) {
    const err = e as { linePos?: { line: number; col: number }[]; message: string };
    const pos = err.linePos?.[0];
    const msg = err.message.split('\n')[0];
    throw policyUserError(Code.BUNDLE_INVALID, `invalid YAML: ${msg}`, {
      where: pos ? `${where}:${pos.line}:${pos.col}` : where,
    });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Merges `value` into `root` at `at` (OPA: a data file's directory is its path in `data`).
 *  Objects merge key by key; any other overlap is a conflict. */
export function mergeData(
  root: Record<string, unknown>,
  at: string[],
  value: unknown,
  where: string,
): void {
  if (at.length === 0) {
    if (!isObject(value)) {
      throw policyUserError(Code.BUNDLE_INVALID, 'top-level data must be an object', { where });
    }
    mergeInto(root, value, [], where);
    return;
  }
  let node = root;
  for (const [i, seg] of at.slice(0, -1).entries()) {
    node[seg] ??= {};
    if (!isObject(node[seg])) throw conflict(at.slice(0, i + 1), where);
    node = node[seg] as Record<string, unknown>;
  }
  const key = at[at.length - 1];
  if (node[key] === undefined) node[key] = value;
  else if (isObject(node[key]) && isObject(value)) {
    mergeInto(node[key] as Record<string, unknown>, value, at, where);
  } else throw conflict(at, where);
}

function mergeInto(
  target: Record<string, unknown>,
  src: Record<string, unknown>,
  at: string[],
  where: string,
): void {
  for (const [k, v] of Object.entries(src)) {
    if (target[k] === undefined) target[k] = v;
    else if (isObject(target[k]) && isObject(v)) {
      mergeInto(target[k] as Record<string, unknown>, v, [...at, k], where);
    } else throw conflict([...at, k], where);
  }
}

const conflict = (at: string[], where: string) =>
  policyUserError(Code.DATA_CONFLICT, `data.${at.join('.')} is defined by more than one file`, {
    where,
  });

/** Reads a bundle written by `writeBundle` or by `opa build -t wasm`. A bundle holding Rego
 *  but no policy.wasm is compiled here. */
export async function readBundle(
  buf: Uint8Array,
  where: string,
  opts: LoadOptions = {},
): Promise<PolicyArtifact> {
  const bad = (msg: string) => policyUserError(Code.BUNDLE_INVALID, msg, { where });
  const files = await unpackTarball(buf, where);
  let manifest: Partial<BundleManifest> = {};
  const manifestBytes = files.get('.manifest');
  if (manifestBytes) {
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as Partial<BundleManifest>;
    } catch (e) {
      throw bad(`invalid .manifest: ${(e as Error).message}`);
    }
    if (!isObject(manifest)) throw bad('invalid .manifest: not an object');
  }
  const versionOf = regoVersions(manifest, opts.regoVersion, `${where}:.manifest`);
  const data: Record<string, unknown> = {};
  const sources: SourceFile[] = [];
  for (const name of [...files.keys()].sort()) {
    const base = name.split('/').pop() as string;
    const dir = name.split('/').slice(0, -1);
    if (base === 'data.json' || base === 'data.yaml' || base === 'data.yml') {
      const value = parseDataFile(base, (files.get(name) as Buffer).toString('utf8'), name);
      mergeData(data, dir, value, `${where}:${name}`);
    } else if (base.endsWith('.rego') && !base.endsWith('_test.rego')) {
      const regoVersion = versionOf(name);
      sources.push({
        path: name,
        text: (files.get(name) as Buffer).toString('utf8'),
        ...(regoVersion && { regoVersion }),
      });
    }
  }
  const wasmEntries = manifest.wasm ?? [];
  const wellFormed = (w: unknown): w is { entrypoint: string; module: string } =>
    isObject(w) && typeof w.entrypoint === 'string' && typeof w.module === 'string';
  if (!Array.isArray(wasmEntries) || !wasmEntries.every(wellFormed)) {
    throw bad('invalid .manifest: "wasm" must list {entrypoint, module} objects');
  }
  const modules = [...new Set(wasmEntries.map((w) => normalizeEntryPath(w.module)))];
  if (modules.includes(null)) throw bad('invalid .manifest: unsafe module path');
  if (modules.length > 1) throw bad(`bundles with several WASM modules are not supported`);
  const wasmName = modules[0] ?? 'policy.wasm';
  const wasm = files.get(wasmName as string);
  if (!wasm) {
    if (sources.length === 0) throw bad(`bundle has neither ${wasmName} nor Rego sources`);
    return compileArtifact(sources, data, opts.entrypoints ?? [DEFAULT_ENTRYPOINT]);
  }
  const bytes = new Uint8Array(wasm);
  const revision =
    typeof manifest.revision === 'string' && manifest.revision !== ''
      ? manifest.revision
      : contentRevision(bytes, data);
  return {
    wasm: bytes,
    data,
    manifest: {
      ...manifest,
      revision,
      roots: Array.isArray(manifest.roots) ? manifest.roots : [''],
      wasm: wasmEntries,
    },
    revision,
    entrypoints: wasmEntries.map((w) => w.entrypoint),
    minPages: wasmMemoryLimits(bytes)?.min,
  };
}

/** Serialises an artifact as an OPA bundle: /.manifest, /data.json, /policy.wasm, gzipped.
 *  Headers carry a fixed mtime and owner so the same policy always yields the same bytes. */
export function writeBundle(artifact: PolicyArtifact): Buffer {
  const enc = new TextEncoder();
  return packTarball([
    ['/.manifest', enc.encode(JSON.stringify(artifact.manifest))],
    ['/data.json', enc.encode(JSON.stringify(artifact.data))],
    ['/policy.wasm', artifact.wasm],
  ]);
}
