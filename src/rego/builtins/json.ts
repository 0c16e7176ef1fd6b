// json.* builtins (OPA topdown/encoding.go, json.go). Paths for json.filter / json.remove /
// json.patch are "/a/b" strings (RFC 6901 escapes ~0 and ~1) or arrays of segments.
import { goMarshal } from './jsonenc.ts';
import { jsonPatch, parsePath } from './jsonpatch.ts';
import { isArr, isObj, isSetArray, isStr, keyOf, regoSet } from './values.ts';

export { parsePath };

type Fn = (...args: any[]) => unknown;

/** Paths merged into a tree: a leaf (null) means "this whole subtree" (OPA's pathsToObject). */
type PathTree = Map<string, PathTree | null>;

function pathTree(paths: unknown): PathTree | undefined {
  if (!isArr(paths)) return undefined;
  const root: PathTree = new Map();
  for (const raw of paths) {
    const path = parsePath(raw);
    if (!path) return undefined;
    if (path.length === 0) continue;
    let node: PathTree | null = root;
    for (let i = 0; i < path.length - 1 && node; i++) {
      const k = keyOf(path[i]);
      if (!node.has(k)) node.set(k, new Map());
      node = node.get(k)!;
    }
    if (node) node.set(keyOf(path[path.length - 1]), null);
  }
  return root;
}

/** The sub-tree for an array element: segments name indexes as strings ("0"); a set member is
 *  named by its value (an untagged set looks like an array, so the value is the fallback). */
function elementTree(
  tree: PathTree,
  i: number,
  v: unknown,
  inSet: boolean,
): PathTree | null | undefined {
  if (inSet) return tree.get(keyOf(v));
  const byIndex = keyOf(String(i));
  return tree.has(byIndex) ? tree.get(byIndex) : tree.get(keyOf(v));
}

function filter(v: unknown, tree: PathTree | null): unknown {
  if (tree === null) return v;
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const sub = tree.get(keyOf(k));
      if (sub !== undefined) out[k] = filter(x, sub);
    }
    return out;
  }
  if (isArr(v)) {
    const inSet = isSetArray(v);
    const out: unknown[] = [];
    v.forEach((x, i) => {
      const sub = elementTree(tree, i, x, inSet);
      if (sub !== undefined) out.push(filter(x, sub));
    });
    return inSet ? regoSet(out) : out;
  }
  return v;
}

/** Returns undefined where the whole value is removed. */
function remove(v: unknown, tree: PathTree | null | undefined): unknown {
  if (tree === undefined) return v;
  if (tree === null) return undefined;
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = remove(x, tree.get(keyOf(k)));
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  if (isArr(v)) {
    // Removed elements close up, as JSON Patch removal does.
    const inSet = isSetArray(v);
    const out = v
      .map((x, i) => remove(x, elementTree(tree, i, x, inSet)))
      .filter((x) => x !== undefined);
    return inSet ? regoSet(out) : out;
  }
  return v;
}

function marshalWithOptions(v: unknown, opts: unknown): string | undefined {
  if (!isObj(opts)) return undefined;
  let indent = '\t';
  let prefix = '';
  let implicit = false;
  let explicit: boolean | undefined;
  for (const [k, x] of Object.entries(opts)) {
    if (k === 'prefix' || k === 'indent') {
      if (!isStr(x)) return undefined;
      if (k === 'prefix') prefix = x;
      else indent = x;
      implicit = true;
    } else if (k === 'pretty') {
      if (typeof x !== 'boolean') return undefined;
      explicit = x;
    } else return undefined;
  }
  // MarshalIndent does not prefix the first line; OPA adds it.
  return (explicit ?? implicit) ? prefix + goMarshal(v, { prefix, indent }) : goMarshal(v);
}

export const jsonBuiltins: Record<string, Fn> = {
  'json.marshal': (v: unknown) => goMarshal(v),
  'json.marshal_with_options': marshalWithOptions,
  'json.unmarshal': (s: unknown) => {
    if (!isStr(s)) return undefined;
    try {
      return JSON.parse(s);
    } catch {
      return undefined;
    }
  },
  'json.is_valid': (s: unknown) => {
    if (!isStr(s)) return false;
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  },
  'json.filter': (obj: unknown, paths: unknown) => {
    const tree = pathTree(paths);
    return isObj(obj) && tree ? filter(obj, tree) : undefined;
  },
  'json.remove': (obj: unknown, paths: unknown) => {
    const tree = pathTree(paths);
    if (!isObj(obj) || !tree) return undefined;
    return remove(obj, tree.size === 0 ? undefined : tree);
  },
  'json.patch': (doc: unknown, ops: unknown) => (isArr(ops) ? jsonPatch(doc, ops) : undefined),
};
