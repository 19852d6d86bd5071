import { EMPTY_ROOT, type Hash, hashChildren } from "./rfc9162.js";

/**
 * The right edge of an append-only RFC 9162 tree: the roots of its perfect subtrees, left to right (one per set
 * bit of `size`). Enough to append a leaf and compute the root in O(log n) without reading earlier leaves.
 */
export interface Frontier {
  readonly size: number;
  readonly nodes: readonly Hash[];
}

export const EMPTY_FRONTIER: Frontier = { size: 0, nodes: [] };

/**
 * Appends one leaf. `onComplete` receives each complete subtree the append closes (level ≥ 1, its index among
 * subtrees of that level, its root): the nodes a store keeps to answer proofs without reading every leaf.
 */
export function appendLeaf(
  frontier: Frontier,
  leafHash: Hash,
  onComplete?: (level: number, index: number, root: Hash) => void,
): Frontier {
  const nodes = [...frontier.nodes, leafHash];
  const size = frontier.size + 1;
  // Each trailing 1 bit of the old size is a perfect subtree of the same height as the new one: merge it.
  let level = 0;
  for (let bits = frontier.size; bits % 2 === 1; bits = Math.floor(bits / 2)) {
    const right = nodes.pop() as Hash;
    const left = nodes.pop() as Hash;
    const merged = hashChildren(left, right);
    nodes.push(merged);
    level++;
    onComplete?.(level, size / 2 ** level - 1, merged);
  }
  return { size, nodes };
}

export function frontierRoot(frontier: Frontier): Hash {
  const { nodes } = frontier;
  if (nodes.length === 0) return EMPTY_ROOT;
  let root = nodes[nodes.length - 1] as Hash;
  for (let i = nodes.length - 2; i >= 0; i--) root = hashChildren(nodes[i] as Hash, root);
  return root;
}
