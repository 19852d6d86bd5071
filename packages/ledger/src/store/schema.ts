import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * Leaves waiting to enter the Merkle log, written in the caller's transaction together with the decision it
 * commits to (transactional outbox). Holds a hash and its salt, never the decision itself.
 */
export const anchorOutbox = pgTable(
  "anchor_outbox",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(),
    leafHash: text("leaf_hash").notNull(),
    salt: text("salt").notNull(),
    status: text("status", { enum: ["pending", "appended"] })
      .notNull()
      .default("pending"),
    leafIndex: bigint("leaf_index", { mode: "number" }).unique("anchor_outbox_leaf_index_uq"),
    createdAt: createdAt(),
  },
  (t) => [index("anchor_outbox_pending_idx").on(t.seq).where(sql`${t.status} = 'pending'`)],
);

/**
 * Roots of the log's complete subtrees of at least 2^NODE_LEVEL leaves, written with the leaves that complete
 * them: a proof reads O(log n) of these plus two chunks of leaves instead of the whole log.
 */
export const merkleNodes = pgTable(
  "merkle_nodes",
  {
    level: smallint("level").notNull(),
    nodeIndex: bigint("node_index", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.nodeIndex] })],
);

/** The append-only RFC 9162 log: leaf i is the i-th leaf ever appended. */
export const merkleLeaves = pgTable("merkle_leaves", {
  leafIndex: bigint("leaf_index", { mode: "number" }).primaryKey(),
  outboxSeq: bigint("outbox_seq", { mode: "number" }).notNull().unique("merkle_leaves_outbox_seq_uq"),
  leafHash: text("leaf_hash").notNull(),
  /** Size of the tree head whose batch appended this leaf. */
  treeSize: bigint("tree_size", { mode: "number" }).notNull(),
});

export type TreeHeadStatus = "pending" | "sent" | "anchored";

/**
 * One row per batch: the signed tree head to anchor. `pending` = computed, not yet signed; `sent` = the signed
 * transaction (and so its hash) is stored, maybe broadcast; `anchored` = the chain holds this root at this size.
 */
export const treeHeads = pgTable(
  "tree_heads",
  {
    treeSize: bigint("tree_size", { mode: "number" }).primaryKey(),
    root: text("root").notNull(),
    previousSize: bigint("previous_size", { mode: "number" }).notNull(),
    previousRoot: text("previous_root").notNull(),
    firstSeq: bigint("first_seq", { mode: "number" }).notNull(),
    lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
    status: text("status", { enum: ["pending", "sent", "anchored"] })
      .$type<TreeHeadStatus>()
      .notNull()
      .default("pending"),
    rawTx: text("raw_tx"),
    txHash: text("tx_hash"),
    txNonce: integer("tx_nonce"),
    chainId: integer("chain_id"),
    contract: text("contract"),
    blockNumber: bigint("block_number", { mode: "number" }),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: createdAt(),
    sentAt: instant("sent_at"),
    anchoredAt: instant("anchored_at"),
  },
  (t) => [index("tree_heads_unanchored_idx").on(t.treeSize).where(sql`${t.status} <> 'anchored'`)],
);

/** Singleton: the log's current size, root and frontier, and the lease of the worker allowed to send. */
export const ledgerState = pgTable(
  "ledger_state",
  {
    id: smallint("id").primaryKey().default(1),
    size: bigint("size", { mode: "number" }).notNull().default(0),
    root: text("root").notNull(),
    frontier: jsonb("frontier").$type<string[]>().notNull().default([]),
    leaseOwner: text("lease_owner"),
    leaseUntil: instant("lease_until"),
  },
  (t) => [check("ledger_state_singleton", sql`${t.id} = 1`)],
);

/** CCAM referential versions to register on chain (version id → sha256 of the source file). */
export const referentialRegistrations = pgTable("referential_registrations", {
  versionId: text("version_id").primaryKey(),
  sourceSha256: text("source_sha256").notNull(),
  status: text("status", { enum: ["pending", "anchored", "conflict"] })
    .notNull()
    .default("pending"),
  txHash: text("tx_hash"),
  blockNumber: bigint("block_number", { mode: "number" }),
  lastError: text("last_error"),
  createdAt: createdAt(),
  anchoredAt: instant("anchored_at"),
});
