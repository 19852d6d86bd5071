import type { Hash, TreeSource } from "./rfc9162.js";

/** Leaves [start, end) of the chunk of 2^chunkLevel leaves holding leaf `index`, cut at `size`. */
export function chunkRange(index: number, size: number, chunkLevel: number): [number, number] {
  const chunk = 2 ** chunkLevel;
  const start = Math.floor(index / chunk) * chunk;
  return [start, Math.min(start + chunk, size)];
}

/**
 * With every complete subtree of at least 2^chunkLevel leaves stored, PATH(index, D[size]) reads only the
 * leaves of the chunk holding the leaf and of the last (partial) chunk.
 */
export function inclusionChunks(index: number, size: number, chunkLevel: number): [number, number][] {
  return [chunkRange(index, size, chunkLevel), chunkRange(size - 1, size, chunkLevel)];
}

/** Same for PROOF(from, D[to]): the chunks on both sides of the boundary `from`, and the last chunk. */
export function consistencyChunks(from: number, to: number, chunkLevel: number): [number, number][] {
  return [from - 1, from, to - 1]
    .filter((index) => index >= 0 && index < to)
    .map((index) => chunkRange(index, to, chunkLevel));
}

export const nodeKey = (level: number, index: number) => `${level}:${index}`;

/** A tree of which only some leaves and stored nodes are loaded; asking for anything else is a bug. */
export class SparseTree implements TreeSource {
  constructor(
    readonly size: number,
    private readonly leaves: ReadonlyMap<number, Hash>,
    private readonly nodes: ReadonlyMap<string, Hash>,
  ) {}

  leaf(index: number): Hash {
    const hash = this.leaves.get(index);
    if (!hash) throw new Error(`Leaf ${index} was not loaded for this proof`);
    return hash;
  }

  node(level: number, index: number): Hash | undefined {
    return this.nodes.get(nodeKey(level, index));
  }
}
