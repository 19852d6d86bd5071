import { sha256 } from "@noble/hashes/sha2.js";

/**
 * The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1: leaves are kept in insertion order,
 * so the log can prove both inclusion of a leaf and consistency (append-only growth) between two sizes.
 * Every function works on leaf hashes (already `hashLeaf`ed) and has no I/O.
 */
export type Hash = Uint8Array;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

export function hashLeaf(data: Uint8Array): Hash {
  return sha256.create().update(LEAF_PREFIX).update(data).digest();
}

export function hashChildren(left: Hash, right: Hash): Hash {
  return sha256.create().update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * Where a computation reads the tree: leaf hashes and, optionally, stored roots of complete subtrees, so a proof
 * needs only O(log n) stored nodes plus the leaves of the chunks around it instead of every leaf.
 */
export interface TreeSource {
  /** Number of leaves in the log. */
  readonly size: number;
  leaf(index: number): Hash;
  /** Root of the complete subtree of 2^level leaves that starts at leaf index × 2^level, if known. */
  node?(level: number, index: number): Hash | undefined;
}

function asSource(leaves: readonly Hash[] | TreeSource): TreeSource {
  if ("leaf" in leaves) return leaves;
  const array = leaves as readonly Hash[];
  return { size: array.length, leaf: (index) => array[index] as Hash };
}

/** Exact for the integers used here (< 2^53): Math.log2 of a power of two is an integer. */
export const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));

/** Largest power of two strictly smaller than n (n ≥ 2): the RFC's split point k. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaves [lo, hi), using a stored node when the range is a complete aligned subtree. */
function subtreeRoot(source: TreeSource, lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return source.leaf(lo);
  if (source.node && isPowerOfTwo(n) && lo % n === 0) {
    const stored = source.node(Math.log2(n), lo / n);
    if (stored) return stored;
  }
  const k = split(n);
  return hashChildren(subtreeRoot(source, lo, lo + k), subtreeRoot(source, lo + k, hi));
}

/** MTH(D[n]): the root of the tree of the first `size` leaves (all of them by default). */
export function treeRoot(leaves: readonly Hash[] | TreeSource, size?: number): Hash {
  const source = asSource(leaves);
  const n = size ?? source.size;
  checkSize("tree size", n, source.size);
  return subtreeRoot(source, 0, n);
}

function checkSize(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} ${value} is outside [0, ${max}]`);
  }
}

/** PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(leaves: readonly Hash[] | TreeSource, index: number, size?: number): Hash[] {
  const source = asSource(leaves);
  const n = size ?? source.size;
  checkSize("tree size", n, source.size);
  checkSize("leaf index", index, n - 1);
  const path: Hash[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    if (hi - lo === 1) return;
    const k = split(hi - lo);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(subtreeRoot(source, lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      path.push(subtreeRoot(source, lo, lo + k));
    }
  };
  walk(index, 0, n);
  return path;
}

/** PROOF(m, D[n]): the consistency proof between the trees of the first `from` and `to` leaves. */
export function consistencyProof(leaves: readonly Hash[] | TreeSource, from: number, to?: number): Hash[] {
  const source = asSource(leaves);
  const n = to ?? source.size;
  checkSize("second tree size", n, source.size);
  checkSize("first tree size", from, n);
  const proof: Hash[] = [];
  if (from === 0 || from === n) return proof;
  const subproof = (m: number, lo: number, hi: number, complete: boolean): void => {
    if (m === hi - lo) {
      if (!complete) proof.push(subtreeRoot(source, lo, hi));
      return;
    }
    const k = split(hi - lo);
    if (m <= k) {
      subproof(m, lo, lo + k, complete);
      proof.push(subtreeRoot(source, lo + k, hi));
    } else {
      subproof(m - k, lo + k, hi, false);
      proof.push(subtreeRoot(source, lo, lo + k));
    }
  };
  subproof(from, 0, n, true);
  return proof;
}

export function equalHashes(a: Hash, b: Hash): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const isOdd = (value: bigint) => (value & 1n) === 1n;

/** RFC 9162 §2.1.3.2: checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return false;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!isOdd(fn) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equalHashes(r, root);
}

/**
 * RFC 9162 §2.1.4.2: checks that the tree of `first` leaves with root `firstRoot` is a prefix of the tree of
 * `second` leaves with root `secondRoot`. Equal sizes need an empty proof and equal roots; the empty tree is a
 * prefix of every tree.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second)
    return false;
  if (first === 0) return proof.length === 0 && equalHashes(firstRoot, EMPTY_ROOT);
  if (first === second) return proof.length === 0 && equalHashes(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  while (isOdd(fn)) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as Hash;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!isOdd(fn) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return equalHashes(fr, firstRoot) && equalHashes(sr, secondRoot) && sn === 0n;
}
