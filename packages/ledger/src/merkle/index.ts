export { appendLeaf, EMPTY_FRONTIER, type Frontier, frontierRoot } from "./frontier.js";
export {
  consistencyProof,
  EMPTY_ROOT,
  equalHashes,
  type Hash,
  hashChildren,
  hashLeaf,
  inclusionProof,
  isPowerOfTwo,
  type TreeSource,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from "./rfc9162.js";
export { chunkRange, consistencyChunks, inclusionChunks, nodeKey, SparseTree } from "./sparse.js";
