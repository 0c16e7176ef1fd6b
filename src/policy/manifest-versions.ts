// The Rego version of each source of a policy, from a bundle's (or policy directory's)
// `.manifest`: `rego_version` and `file_rego_versions`, as OPA's bundle loader reads them.
import type { Module, RegoVersion } from '../rego/ast.ts';
import type { SourceFile } from '../rego/compile.ts';
import { PolicyErrorCode as Code, policyUserError } from './errors.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseManifest(text: string, where: string): Record<string, unknown> {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw policyUserError(Code.BUNDLE_INVALID, `invalid .manifest: ${(e as Error).message}`, {
      where,
    });
  }
  if (!isObject(m))
    throw policyUserError(Code.BUNDLE_INVALID, 'invalid .manifest: not an object', { where });
  return m;
}

/** The Rego version of each file, from a bundle manifest's `rego_version` (0 or 1) and
 *  `file_rego_versions` (path or glob, from the bundle root → 0 or 1), as OPA's bundle loader
 *  reads them (https://www.openpolicyagent.org/docs/management-bundles#bundle-file-format);
 *  files it does not version get `fallback`. Returns 'v0' | 'v1' | undefined (= v1). */
export function regoVersions(
  manifest: Record<string, unknown>,
  fallback: RegoVersion | undefined,
  where: string,
): (file: string) => RegoVersion | undefined {
  const bad = (msg: string) =>
    policyUserError(Code.BUNDLE_INVALID, `invalid .manifest: ${msg}`, { where });
  const version = (v: unknown, key: string): RegoVersion => {
    if (v === 0) return 'v0';
    if (v === 1) return 'v1';
    throw bad(`${key} must be 0 or 1`);
  };
  const base =
    manifest.rego_version === undefined ? fallback : version(manifest.rego_version, 'rego_version');
  const perFile: [RegExp, RegoVersion][] = [];
  const fv = manifest.file_rego_versions;
  if (fv !== undefined) {
    if (!isObject(fv)) throw bad('file_rego_versions must be an object');
    for (const [glob, v] of Object.entries(fv)) {
      perFile.push([globRegExp(glob), version(v, `file_rego_versions[${JSON.stringify(glob)}]`)]);
    }
  }
  return (file) => {
    const rel = file.replace(/^\/+/, '');
    return perFile.find(([re]) => re.test(rel))?.[1] ?? base;
  };
}

/** A manifest path glob (`*` within a segment, `**` across) → RegExp on root-relative paths. */
function globRegExp(glob: string): RegExp {
  const g = glob.replace(/^\/+/, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** `rego_version: 0` in the manifest of a build whose sources are all Rego v0 (what OPA
 *  records); nothing otherwise (the module is compiled, the versions only tell readers). */
export function manifestVersions(files: SourceFile[] | Module[]): Record<string, unknown> {
  const allV0 = files.length > 0 && files.every((f) => f.regoVersion === 'v0');
  return allV0 ? { rego_version: 0 } : {};
}
