// json.patch: RFC 6902 JSON Patch over plain JSON values. Any failing operation (missing path,
// bad index, failed "test") makes the whole call undefined, as in OPA.
import { equal, isArr, isInt, isObj, isStr } from './values.ts';

/** A path as a list of segments (OPA's parsePath). */
export function parsePath(p: unknown): unknown[] | undefined {
  if (isStr(p)) {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return isArr(p) ? p : undefined;
}

class PatchError extends Error {}

const fail = (msg: string): never => {
  throw new PatchError(msg);
};

/** An array index segment: a non-negative integer, as a number or as canonical digits
 *  (RFC 6901 §4: no leading zeros). */
function index(seg: unknown, len: number, allowEnd: boolean): number {
  if (seg === '-' && allowEnd) return len;
  let i: number | undefined;
  if (isInt(seg)) i = seg;
  else if (isStr(seg) && /^(0|[1-9]\d*)$/.test(seg)) i = Number(seg);
  if (i === undefined || i < 0 || i > (allowEnd ? len : len - 1)) fail('bad index');
  return i!;
}

function objectKey(seg: unknown): string {
  return isStr(seg) ? seg : fail('object keys are strings');
}

function get(doc: unknown, path: unknown[]): unknown {
  let cur = doc;
  for (const seg of path) {
    if (isObj(cur)) {
      const k = objectKey(seg);
      if (!Object.prototype.hasOwnProperty.call(cur, k)) fail('missing key');
      cur = cur[k];
    } else if (isArr(cur)) cur = cur[index(seg, cur.length, false)];
    else fail('path through a scalar');
  }
  return cur;
}

/** Returns the new document (the root may be replaced). */
function add(doc: unknown, path: unknown[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isObj(parent)) parent[objectKey(last)] = value as never;
  else if (isArr(parent)) parent.splice(index(last, parent.length, true), 0, value as never);
  else fail('parent is a scalar');
  return doc;
}

function remove(doc: unknown, path: unknown[]): unknown {
  if (path.length === 0) fail('cannot remove the root');
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isObj(parent)) {
    const k = objectKey(last);
    if (!Object.prototype.hasOwnProperty.call(parent, k)) fail('missing key');
    delete parent[k];
  } else if (isArr(parent)) parent.splice(index(last, parent.length, false), 1);
  else fail('parent is a scalar');
  return doc;
}

function pathOf(op: Record<string, unknown>, attr: string): unknown[] {
  if (!(attr in op)) fail(`missing '${attr}'`);
  return parsePath(op[attr]) ?? fail(`bad '${attr}'`);
}

function valueOf(op: Record<string, unknown>): unknown {
  return 'value' in op ? structuredClone(op.value) : fail("missing 'value'");
}

export function jsonPatch(target: unknown, ops: unknown[]): unknown {
  let doc = structuredClone(target);
  try {
    for (const op of ops) {
      if (!isObj(op) || !isStr(op.op)) return undefined;
      const path = pathOf(op, 'path');
      switch (op.op) {
        case 'add':
          doc = add(doc, path, valueOf(op));
          break;
        case 'remove':
          doc = remove(doc, path);
          break;
        case 'replace': {
          const value = valueOf(op);
          doc = path.length === 0 ? value : add(remove(doc, path), path, value);
          break;
        }
        case 'move': {
          const from = pathOf(op, 'from');
          const chunk = get(doc, from);
          doc = add(remove(doc, from), path, chunk);
          break;
        }
        case 'copy': {
          const from = pathOf(op, 'from');
          doc = add(doc, path, structuredClone(get(doc, from)));
          break;
        }
        case 'test':
          if (!equal(get(doc, path), valueOf(op))) return undefined;
          break;
        default:
          return undefined;
      }
    }
  } catch (e) {
    if (e instanceof PatchError) return undefined;
    throw e;
  }
  return doc;
}
