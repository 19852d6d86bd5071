import type { Database } from "@ccam/db";
import { type CanonicalValue, computeLeafHash, newSalt } from "../leaf.js";
import { anchorOutbox } from "./schema.js";

export interface LeafInput {
  /** What the leaf commits to, e.g. "decision", "override", "audit". */
  kind: string;
  /**
   * Pseudonymous facts to commit to (ids, codes, hashes), canonicalised with sorted keys. Never clear personal
   * data or free text: hash those first. Only the salted hash leaves this function.
   */
  payload: CanonicalValue;
}

export interface EnqueuedLeaf {
  /** Outbox sequence number: the id to keep next to the decision, for proofs and verification. */
  seq: number;
  leafHash: string;
  salt: string;
}

/**
 * Queues a leaf for anchoring. Call it with the caller's transaction so the decision and its commitment are
 * written together or not at all; the anchoring worker picks it up after commit.
 */
export async function enqueueLeaf(tx: Database, input: LeafInput): Promise<EnqueuedLeaf> {
  const salt = newSalt();
  const leafHash = computeLeafHash(input.kind, input.payload, salt);
  const [row] = await tx
    .insert(anchorOutbox)
    .values({ kind: input.kind, leafHash, salt })
    .returning({ seq: anchorOutbox.seq });
  if (!row) throw new Error("anchor_outbox insert returned no row");
  return { seq: row.seq, leafHash, salt };
}
