// walk(x, [path, value]): every node of x, x itself first, with the path that reaches it
// (https://www.openpolicyagent.org/docs/policy-reference/#graph). OPA evaluates walk as a
// relation, one binding per node. The planner (plan/planner.ts planWalk) gets the same
// solutions by scanning the array this host builtin returns: pre-order, object keys in Rego's
// sort order, array elements by index, set members (already sorted on the wire) as their own key.
import { compareStrings, isObj, isSetArray } from './values.ts';

/** All [path, value] pairs of `root`, in the order OPA's walk yields them. */
export function walkPairs(root: unknown): unknown[] {
  const out: unknown[] = [];
  // An explicit stack: the output order is pre-order without a JS frame per level.
  const stack: [unknown[], unknown][] = [[[], root]];
  while (stack.length > 0) {
    const [path, v] = stack.pop()!;
    out.push([path, v]);
    const children: [unknown[], unknown][] = [];
    if (isSetArray(v)) for (const e of v as unknown[]) children.push([[...path, e], e]);
    else if (Array.isArray(v)) v.forEach((e, i) => children.push([[...path, i], e]));
    else if (isObj(v))
      for (const k of Object.keys(v).sort(compareStrings)) children.push([[...path, k], v[k]]);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}
