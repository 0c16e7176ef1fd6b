// graph.reachable / graph.reachable_paths (OPA topdown/reachable.go) and array.flatten
// (topdown/array.go). A graph is an object from node to an array or set of neighbours; nodes
// missing from it (or with a non-collection value) have no outgoing edges.
import { isArr, isObj, isSetArray, keyOf, regoSet, type Json } from './values.ts';

type Fn = (...args: any[]) => unknown;
type Graph = { [k: string]: Json };

/** The graph's entry for a node: undefined when absent (JSON object keys are strings). */
const edgesOf = (g: Graph, node: Json): Json | undefined =>
  typeof node === 'string' && Object.hasOwn(g, node) ? g[node] : undefined;

/** Neighbours of an edge collection; anything but an array or set has none. */
const vertices = (edges: Json | undefined): Json[] => (isArr(edges) ? edges : []);

/** Breadth-first closure from the initial nodes; a node counts once it appears in the graph. */
function reachable(g: unknown, initial: unknown) {
  if (!isObj(g) || !isArr(initial)) return undefined;
  const queue: Json[] = [...initial];
  const reached = new Map<string, Json>();
  while (queue.length > 0) {
    const node = queue.shift() as Json;
    const edges = edgesOf(g, node);
    if (edges === undefined) continue;
    for (const n of vertices(edges)) if (!reached.has(keyOf(n))) queue.push(n);
    reached.set(keyOf(node), node);
  }
  return regoSet([...reached.values()]);
}

/**
 * Paths from each initial node, as reachable.go's pathBuilder builds them: a path ends at a node
 * without edges, before a node outside the graph, or at an already reached node. The reached set
 * is shared by the whole walk below each first edge (so a node explored in an earlier sibling
 * branch ends later paths there), which is what OPA's compliance cases expect.
 */
function reachablePaths(g: unknown, initial: unknown) {
  if (!isObj(g) || !isArr(initial)) return undefined;
  const out: Json[][] = [];
  const walk = (root: Json, path: Json[], reached: Set<string>): void => {
    const edges = edgesOf(g, root);
    if (edges === undefined) {
      out.push(path);
      return;
    }
    const here = [...path, root];
    const next = vertices(edges);
    if (next.length === 0) {
      out.push(here);
      return;
    }
    reached.add(keyOf(root));
    for (const n of next) {
      if (reached.has(keyOf(n))) out.push(here);
      else walk(n, here, reached);
    }
  };
  for (const node of initial) {
    const edges = edgesOf(g, node);
    if (edges === undefined) continue;
    const next = vertices(edges);
    if (next.length === 0) out.push([node]);
    for (const n of next) walk(n, [node], new Set([keyOf(node)]));
  }
  return regoSet(out);
}

export const graphBuiltins: Record<string, Fn> = {
  'graph.reachable': reachable,
  'graph.reachable_paths': reachablePaths,
  /** One level: nested arrays are spliced in, sets and deeper arrays stay as they are. */
  'array.flatten': (a: unknown) =>
    isArr(a) && !isSetArray(a)
      ? a.flatMap((x) => (isArr(x) && !isSetArray(x) ? x : [x]))
      : undefined,
};
