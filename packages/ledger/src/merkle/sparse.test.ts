import { bytesToHex } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appendLeaf, EMPTY_FRONTIER, type Frontier } from "./frontier.js";
import { consistencyProof, type Hash, hashLeaf, inclusionProof, treeRoot } from "./rfc9162.js";
import { consistencyChunks, inclusionChunks, nodeKey, SparseTree } from "./sparse.js";

/** The log as a store keeps it: every leaf, and the complete subtrees of level ≥ chunkLevel. */
function build(count: number, chunkLevel: number) {
  const leaves = Array.from({ length: count }, (_, i) => hashLeaf(Uint8Array.of(i & 255, i >> 8)));
  const nodes = new Map<string, Hash>();
  let frontier: Frontier = EMPTY_FRONTIER;
  for (const leaf of leaves) {
    frontier = appendLeaf(frontier, leaf, (level, index, root) => {
      if (level >= chunkLevel) nodes.set(nodeKey(level, index), root);
    });
  }
  return { leaves, nodes };
}

function sparse(leaves: Hash[], nodes: Map<string, Hash>, size: number, ranges: [number, number][]) {
  const loaded = new Map<number, Hash>();
  for (const [start, end] of ranges) for (let i = start; i < end; i++) loaded.set(i, leaves[i] as Hash);
  const sizedNodes = new Map(
    [...nodes].filter(([key]) => {
      const [level, index] = key.split(":").map(Number) as [number, number];
      return (index + 1) * 2 ** level <= size;
    }),
  );
  return new SparseTree(size, loaded, sizedNodes);
}

const hex = (hashes: Hash[]) => hashes.map(bytesToHex);

describe("proofs from stored complete subtrees and a few chunks of leaves", () => {
  it("records every complete subtree the appends close, with the right root", () => {
    const { leaves, nodes } = build(37, 1);
    expect(nodes.size).toBe(18 + 9 + 4 + 2 + 1);
    expect(bytesToHex(nodes.get(nodeKey(5, 0)) as Hash)).toBe(bytesToHex(treeRoot(leaves.slice(0, 32))));
    expect(bytesToHex(nodes.get(nodeKey(2, 8)) as Hash)).toBe(bytesToHex(treeRoot(leaves.slice(32, 36))));
  });

  it("gives the same roots and proofs as the full tree while reading only the announced chunks", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (count, chunkLevel, a, b, c) => {
          const { leaves, nodes } = build(count, chunkLevel);
          const size = 1 + (a % count);
          const index = b % size;
          const inclusion = sparse(leaves, nodes, size, inclusionChunks(index, size, chunkLevel));
          expect(hex(inclusionProof(inclusion, index))).toEqual(hex(inclusionProof(leaves, index, size)));
          expect(bytesToHex(treeRoot(inclusion))).toBe(bytesToHex(treeRoot(leaves.slice(0, size))));
          const from = c % (size + 1);
          const consistency = sparse(leaves, nodes, size, consistencyChunks(from, size, chunkLevel));
          expect(hex(consistencyProof(consistency, from))).toEqual(hex(consistencyProof(leaves, from, size)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("fails loudly when a needed leaf was not loaded", () => {
    const { leaves, nodes } = build(20, 2);
    expect(() => inclusionProof(sparse(leaves, nodes, 20, []), 3)).toThrow(/Leaf \d+ was not loaded/);
  });
});
