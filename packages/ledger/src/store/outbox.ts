import { bindRecord, type Database, placeholdersOf } from "@ccam/db";
import { type SQL, sql } from "drizzle-orm";
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
  const [leaf] = await enqueueLeaves(tx, [input]);
  if (!leaf) throw new Error("anchor_outbox insert returned no row");
  return leaf;
}

/** Queues several leaves in one statement (one round trip), in the caller's transaction; results in input order. */
export async function enqueueLeaves(tx: Database, inputs: LeafInput[]): Promise<EnqueuedLeaf[]> {
  if (inputs.length === 0) return [];
  const staged = stageLeaves(inputs);
  const rows = await tx
    .insert(anchorOutbox)
    .values(staged.rows)
    .returning({ seq: anchorOutbox.seq, leafHash: anchorOutbox.leafHash });
  // Matched by hash (salted, so unique), not by the order of RETURNING, which SQL does not promise.
  const seqs = new Map(rows.map((row) => [row.leafHash, row.seq]));
  return staged.rows.map(({ leafHash, salt }) => {
    const seq = seqs.get(leafHash);
    if (seq === undefined) throw new Error("anchor_outbox insert returned no row");
    return { seq, leafHash, salt };
  });
}

/**
 * Leaves prepared for a caller that writes them within its own statement (a data-modifying `WITH`), so that a
 * decision, its audit rows and their outbox rows cost one round trip and commit together. The statement is
 * composed once per number of leaves (`stagedLeavesSql`, values as placeholders) and run with `bind`'s values.
 */
export interface StagedLeaves {
  rows: { kind: string; leafHash: string; salt: string }[];
  /** Adds the leaves' values to a statement's placeholder values. */
  bind(values: Record<string, unknown>): void;
}

const leafPrefix = (index: number) => `leaf${index}_`;

export function stageLeaves(inputs: LeafInput[]): StagedLeaves {
  const rows = inputs.map((input) => {
    const salt = newSalt();
    return { kind: input.kind, leafHash: computeLeafHash(input.kind, input.payload, salt), salt };
  });
  return {
    rows,
    bind: (values) => {
      rows.forEach((row, i) => {
        bindRecord(values, leafPrefix(i), row);
      });
    },
  };
}

/**
 * The SQL of `count` staged leaves, placeholders for their values: `insert`, the outbox INSERT returning `seq` and
 * `leaf_hash`, to use as the CTE named `cte`; `seqOf(i)`, the SQL reading leaf i's sequence number from it.
 */
export function stagedLeavesSql(
  db: Database,
  count: number,
  cte: string,
): { insert: SQL; seqOf(index: number): SQL } {
  const sample = { kind: "", leafHash: "", salt: "" };
  return {
    insert: db
      .insert(anchorOutbox)
      .values(Array.from({ length: count }, (_, i) => placeholdersOf(leafPrefix(i), sample)))
      .returning({ seq: anchorOutbox.seq, leafHash: anchorOutbox.leafHash })
      .getSQL(),
    seqOf: (index) =>
      sql`(select ${sql.identifier("seq")} from ${sql.identifier(cte)} where ${sql.identifier("leaf_hash")} = ${sql.placeholder(`${leafPrefix(index)}leafHash`)})`,
  };
}
