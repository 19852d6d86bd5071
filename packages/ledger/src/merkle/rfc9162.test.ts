import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appendLeaf, EMPTY_FRONTIER, frontierRoot } from "./frontier.js";
import {
  consistencyProof,
  EMPTY_ROOT,
  type Hash,
  hashLeaf,
  inclusionProof,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from "./rfc9162.js";

// Naive transcription of the RFC 9162 §2.1.1-2.1.4 definitions on raw leaf inputs D[n], with array slices.
const naive = {
  k: (n: number) => 2 ** Math.ceil(Math.log2(n) - 1),
  mth(d: Uint8Array[]): Uint8Array {
    if (d.length === 0) return sha256(new Uint8Array());
    if (d.length === 1) return sha256(concatBytes(Uint8Array.of(0), d[0] as Uint8Array));
    const k = naive.k(d.length);
    return sha256(concatBytes(Uint8Array.of(1), naive.mth(d.slice(0, k)), naive.mth(d.slice(k))));
  },
  path(m: number, d: Uint8Array[]): Uint8Array[] {
    if (d.length === 1) return [];
    const k = naive.k(d.length);
    return m < k
      ? [...naive.path(m, d.slice(0, k)), naive.mth(d.slice(k))]
      : [...naive.path(m - k, d.slice(k)), naive.mth(d.slice(0, k))];
  },
  subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
    const n = d.length;
    if (m === n) return b ? [] : [naive.mth(d)];
    const k = naive.k(n);
    return m <= k
      ? [...naive.subproof(m, d.slice(0, k), b), naive.mth(d.slice(k))]
      : [...naive.subproof(m - k, d.slice(k), false), naive.mth(d.slice(0, k))];
  },
};

const hex = (hashes: readonly Hash[]) => hashes.map(bytesToHex);
const flip = (hash: Hash, bit = 0) => {
  const copy = Uint8Array.from(hash);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
};

// Test vectors of the Certificate Transparency reference implementations (transparency-dev/merkle testdata).
const VECTOR_LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
];
const VECTOR_ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const vectorLeaves = VECTOR_LEAVES.map((l) => hashLeaf(hexToBytes(l)));

describe("RFC 9162 Merkle tree: known vectors", () => {
  it("empty tree root is SHA-256 of the empty string", () => {
    expect(bytesToHex(EMPTY_ROOT)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(treeRoot([])).toEqual(EMPTY_ROOT);
  });

  it("roots of the reference trees of 1..8 leaves", () => {
    for (let n = 1; n <= 8; n++)
      expect(bytesToHex(treeRoot(vectorLeaves.slice(0, n)))).toBe(VECTOR_ROOTS[n - 1]);
  });

  it("reference inclusion and consistency proofs", () => {
    expect(hex(inclusionProof(vectorLeaves, 0, 8))).toEqual([
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
    expect(hex(consistencyProof(vectorLeaves, 1, 8))).toEqual(hex(inclusionProof(vectorLeaves, 0, 8)));
    expect(hex(consistencyProof(vectorLeaves, 6, 8))).toEqual([
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]);
    expect(hex(consistencyProof(vectorLeaves, 2, 5))).toEqual([
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]);
  });

  it("rejects out-of-range sizes", () => {
    expect(() => inclusionProof(vectorLeaves, 8, 8)).toThrow(RangeError);
    expect(() => inclusionProof(vectorLeaves, 0, 9)).toThrow(RangeError);
    expect(() => consistencyProof(vectorLeaves, 5, 4)).toThrow(RangeError);
    expect(verifyInclusion(8, 8, vectorLeaves[0] as Hash, [], EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(5, 4, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(false);
  });
});

const treeArb = fc.array(fc.uint8Array({ minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 80 });

describe("RFC 9162 Merkle tree: properties against the naive definitions", () => {
  it("root, PATH and PROOF equal the RFC recursions; the frontier gives every prefix root", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), (data, a, b) => {
        const leaves = data.map(hashLeaf);
        const n = data.length;
        expect(bytesToHex(treeRoot(leaves))).toBe(bytesToHex(naive.mth(data)));
        const m = a % n;
        expect(hex(inclusionProof(leaves, m))).toEqual(hex(naive.path(m, data)));
        const first = 1 + (b % n);
        const expected = first === n ? [] : naive.subproof(first, data, true);
        expect(hex(consistencyProof(leaves, first))).toEqual(hex(expected));
        let frontier = EMPTY_FRONTIER;
        for (let i = 0; i < n; i++) {
          frontier = appendLeaf(frontier, leaves[i] as Hash);
          expect(bytesToHex(frontierRoot(frontier))).toBe(bytesToHex(naive.mth(data.slice(0, i + 1))));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("every inclusion proof verifies and any single-bit tampering is detected", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(255), (data, a, bit) => {
        const leaves = data.map(hashLeaf);
        const n = leaves.length;
        const m = a % n;
        const leaf = leaves[m] as Hash;
        const root = treeRoot(leaves);
        const proof = inclusionProof(leaves, m);
        expect(verifyInclusion(m, n, leaf, proof, root)).toBe(true);
        expect(verifyInclusion(m, n, flip(leaf, bit), proof, root)).toBe(false);
        expect(verifyInclusion(m, n, leaf, proof, flip(root, bit))).toBe(false);
        if (proof.length > 0) {
          const i = bit % proof.length;
          const tampered = proof.map((p, j) => (j === i ? flip(p, bit) : p));
          expect(verifyInclusion(m, n, leaf, tampered, root)).toBe(false);
          expect(verifyInclusion(m, n, leaf, proof.slice(1), root)).toBe(false);
        }
        expect(verifyInclusion(m, n, leaf, [...proof, leaf], root)).toBe(false);
        if (n > 1 && !leaves.some((l, j) => j !== m && bytesToHex(l) === bytesToHex(leaf))) {
          expect(verifyInclusion((m + 1) % n, n, leaf, proof, root)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("every consistency proof verifies and tampering with a root or the proof is detected", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(255), (data, b, bit) => {
        const leaves = data.map(hashLeaf);
        const n = leaves.length;
        const first = 1 + (b % n);
        const firstRoot = treeRoot(leaves.slice(0, first));
        const secondRoot = treeRoot(leaves);
        const proof = consistencyProof(leaves, first);
        expect(verifyConsistency(first, n, firstRoot, secondRoot, proof)).toBe(true);
        expect(verifyConsistency(0, n, EMPTY_ROOT, secondRoot, [])).toBe(true);
        expect(verifyConsistency(first, n, flip(firstRoot, bit), secondRoot, proof)).toBe(false);
        expect(verifyConsistency(first, n, firstRoot, flip(secondRoot, bit), proof)).toBe(false);
        if (proof.length > 0) {
          const i = bit % proof.length;
          const tampered = proof.map((p, j) => (j === i ? flip(p, bit) : p));
          expect(verifyConsistency(first, n, firstRoot, secondRoot, tampered)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a rewritten earlier leaf breaks consistency with the old head", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), (data, a, b) => {
        fc.pre(data.length >= 2);
        const leaves = data.map(hashLeaf);
        const n = leaves.length;
        const first = 1 + (b % (n - 1));
        const oldRoot = treeRoot(leaves.slice(0, first));
        const rewritten = [...leaves];
        rewritten[a % first] = flip(leaves[a % first] as Hash);
        expect(
          verifyConsistency(first, n, oldRoot, treeRoot(rewritten), consistencyProof(rewritten, first)),
        ).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});
