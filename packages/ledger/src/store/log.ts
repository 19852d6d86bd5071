import type { Database } from "@ccam/db";
import { and, asc, count, desc, eq, gte, inArray, lt, min, ne, or, type SQL, sql } from "drizzle-orm";
import { fromHash, toHash } from "../leaf.js";
import { appendLeaf, EMPTY_FRONTIER, type Frontier, frontierRoot } from "../merkle/frontier.js";
import { EMPTY_ROOT, type Hash } from "../merkle/rfc9162.js";
import { nodeKey, SparseTree } from "../merkle/sparse.js";
import {
  anchorOutbox,
  ledgerState,
  merkleLeaves,
  merkleNodes,
  type TreeHeadStatus,
  treeHeads,
} from "./schema.js";

export type TreeHeadRow = typeof treeHeads.$inferSelect;

/** The contract's previous root before the first batch (the log starts empty, the contract from zero). */
export const ZERO_ROOT_HEX = "00".repeat(32);

/** Complete subtrees of 2^NODE_LEVEL = 256 leaves and more are stored in merkle_nodes. */
export const NODE_LEVEL = 8;

type NodeRow = typeof merkleNodes.$inferInsert;

/** Collects the complete subtrees an append closes that merkle_nodes keeps. */
const collect =
  (rows: NodeRow[]) =>
  (level: number, nodeIndex: number, root: Hash): void => {
    if (level >= NODE_LEVEL) rows.push({ level, nodeIndex, hash: fromHash(root) });
  };

/** Database side of the Merkle log: the state row, batches of leaves and tree heads. */
export class LogStore {
  constructor(readonly db: Database) {}

  async ensureState(): Promise<void> {
    await this.db
      .insert(ledgerState)
      .values({ id: 1, size: 0, root: fromHash(EMPTY_ROOT), frontier: [] })
      .onConflictDoNothing();
    await this.backfillNodes();
  }

  /** Logs written before merkle_nodes existed get their stored subtrees once, from the leaves. */
  private async backfillNodes(): Promise<void> {
    const [state] = await this.db
      .select({ size: ledgerState.size })
      .from(ledgerState)
      .where(eq(ledgerState.id, 1));
    let expected = 0;
    for (let level = NODE_LEVEL; 2 ** level <= (state?.size ?? 0); level++) {
      expected += Math.floor((state?.size ?? 0) / 2 ** level);
    }
    const [stored] = await this.db.select({ n: count() }).from(merkleNodes);
    if ((stored?.n ?? 0) >= expected) return;
    const rows: NodeRow[] = [];
    let frontier = EMPTY_FRONTIER;
    for (const leaf of await this.leafHashes(state?.size ?? 0))
      frontier = appendLeaf(frontier, leaf, collect(rows));
    for (let i = 0; i < rows.length; i += 1000) {
      await this.db
        .insert(merkleNodes)
        .values(rows.slice(i, i + 1000))
        .onConflictDoNothing();
    }
  }

  /**
   * Takes the oldest pending outbox rows (at most `batchSize`) into the log as one new tree head, if the batch is
   * full or its oldest leaf has waited `maxDelayMs`. Returns the new head, or null when there is nothing to do or
   * another worker holds the log row (FOR UPDATE SKIP LOCKED: never two appends at once).
   */
  async appendBatch(batchSize: number, maxDelayMs: number): Promise<TreeHeadRow | null> {
    return this.db.transaction(async (tx) => {
      const [state] = await tx.select().from(ledgerState).where(eq(ledgerState.id, 1)).for("update", {
        skipLocked: true,
      });
      if (!state) return null;
      const pending = await tx
        .select({ seq: anchorOutbox.seq, leafHash: anchorOutbox.leafHash, createdAt: anchorOutbox.createdAt })
        .from(anchorOutbox)
        .where(eq(anchorOutbox.status, "pending"))
        .orderBy(asc(anchorOutbox.seq))
        .limit(batchSize)
        .for("update", { skipLocked: true });
      if (pending.length === 0) return null;
      const oldest = Math.min(...pending.map((p) => p.createdAt.getTime()));
      if (pending.length < batchSize && Date.now() - oldest < maxDelayMs) return null;

      let frontier: Frontier = { size: state.size, nodes: state.frontier.map(toHash) };
      const nodes: NodeRow[] = [];
      for (const leaf of pending) frontier = appendLeaf(frontier, toHash(leaf.leafHash), collect(nodes));
      const root = fromHash(frontierRoot(frontier));
      const size = frontier.size;
      await tx.insert(merkleLeaves).values(
        pending.map((leaf, i) => ({
          leafIndex: state.size + i,
          outboxSeq: leaf.seq,
          leafHash: leaf.leafHash,
          treeSize: size,
        })),
      );
      if (nodes.length > 0) await tx.insert(merkleNodes).values(nodes);
      await tx
        .update(anchorOutbox)
        .set({ status: "appended", leafIndex: sql`${merkleLeaves.leafIndex}` })
        .from(merkleLeaves)
        .where(and(eq(merkleLeaves.outboxSeq, anchorOutbox.seq), eq(merkleLeaves.treeSize, size)));
      const [previous] = await tx
        .select({ root: treeHeads.root })
        .from(treeHeads)
        .where(eq(treeHeads.treeSize, state.size));
      const [head] = await tx
        .insert(treeHeads)
        .values({
          treeSize: size,
          root,
          previousSize: state.size,
          previousRoot: previous?.root ?? ZERO_ROOT_HEX,
          firstSeq: state.size,
          lastSeq: size - 1,
        })
        .returning();
      await tx
        .update(ledgerState)
        .set({ size, root, frontier: frontier.nodes.map(fromHash) })
        .where(eq(ledgerState.id, 1));
      return head ?? null;
    });
  }

  /** Tree heads not yet anchored, oldest first. */
  unanchoredHeads(limit: number): Promise<TreeHeadRow[]> {
    return this.db
      .select()
      .from(treeHeads)
      .where(ne(treeHeads.status, "anchored"))
      .orderBy(asc(treeHeads.treeSize))
      .limit(limit);
  }

  /** Anchored heads from the newest down, for the start-up audit against the chain. */
  anchoredHeadsDescending(limit: number, below?: number): Promise<TreeHeadRow[]> {
    return this.db
      .select()
      .from(treeHeads)
      .where(
        and(
          eq(treeHeads.status, "anchored"),
          below === undefined ? undefined : lt(treeHeads.treeSize, below),
        ),
      )
      .orderBy(desc(treeHeads.treeSize))
      .limit(limit);
  }

  async latestHead(status?: TreeHeadStatus): Promise<TreeHeadRow | undefined> {
    const [head] = await this.db
      .select()
      .from(treeHeads)
      .where(status ? eq(treeHeads.status, status) : undefined)
      .orderBy(desc(treeHeads.treeSize))
      .limit(1);
    return head;
  }

  async head(size: number): Promise<TreeHeadRow | undefined> {
    const [head] = await this.db.select().from(treeHeads).where(eq(treeHeads.treeSize, size));
    return head;
  }

  async updateHead(size: number, changes: Partial<TreeHeadRow>): Promise<void> {
    await this.db.update(treeHeads).set(changes).where(eq(treeHeads.treeSize, size));
  }

  /** Back to `pending`: the chain does not hold this head (lost state, dropped or reverted transaction). */
  async resetHeads(sizes: number[], reason: string): Promise<void> {
    if (sizes.length === 0) return;
    await this.db
      .update(treeHeads)
      .set({
        status: "pending",
        rawTx: null,
        txHash: null,
        txNonce: null,
        blockNumber: null,
        anchoredAt: null,
        lastError: reason,
      })
      .where(inArray(treeHeads.treeSize, sizes));
  }

  /** Leaf hashes of the first `size` leaves, in log order. */
  async leafHashes(size: number): Promise<Uint8Array[]> {
    const rows = await this.db
      .select({ leafHash: merkleLeaves.leafHash })
      .from(merkleLeaves)
      .where(lt(merkleLeaves.leafIndex, size))
      .orderBy(asc(merkleLeaves.leafIndex));
    if (rows.length !== size) throw new Error(`The log holds ${rows.length} of the ${size} leaves expected`);
    return rows.map((row) => toHash(row.leafHash));
  }

  /**
   * What a proof in the tree of `size` leaves needs: the stored complete subtrees within it and the leaves of
   * the given ranges (see merkle/sparse.ts for which ones).
   */
  async proofSource(size: number, ranges: [number, number][]): Promise<SparseTree> {
    const [leafRows, nodeRows] = await Promise.all([
      this.db
        .select({ leafIndex: merkleLeaves.leafIndex, leafHash: merkleLeaves.leafHash })
        .from(merkleLeaves)
        .where(
          or(
            ...ranges.map(([start, end]) =>
              and(gte(merkleLeaves.leafIndex, start), lt(merkleLeaves.leafIndex, end)),
            ),
          ),
        ),
      this.db
        .select()
        .from(merkleNodes)
        .where(sql`(${merkleNodes.nodeIndex} + 1) * (1::bigint << ${merkleNodes.level}) <= ${size}`),
    ]);
    return new SparseTree(
      size,
      new Map(leafRows.map((row) => [row.leafIndex, toHash(row.leafHash)])),
      new Map(nodeRows.map((row) => [nodeKey(row.level, row.nodeIndex), toHash(row.hash)])),
    );
  }

  async outboxEntry(seq: number) {
    const [row] = await this.db.select().from(anchorOutbox).where(eq(anchorOutbox.seq, seq));
    return row;
  }

  async leafByIndex(leafIndex: number) {
    const [row] = await this.db.select().from(merkleLeaves).where(eq(merkleLeaves.leafIndex, leafIndex));
    return row;
  }

  /**
   * Leaves not yet anchored (still in the outbox, or in the log above the latest anchored head) and the age of
   * the oldest, for the status and metrics. Both queries use an index (the pending partial index, leaf_index).
   */
  async backlog(): Promise<{ queueDepth: number; oldest: Date | null }> {
    const anchoredSize = (await this.latestHead("anchored"))?.treeSize ?? 0;
    const stats = (where: SQL) =>
      this.db
        .select({ n: count(), oldest: min(anchorOutbox.createdAt) })
        .from(anchorOutbox)
        .where(where)
        .then(([row]) => ({ n: row?.n ?? 0, oldest: row?.oldest ? new Date(row.oldest) : null }));
    const [pending, unanchored] = await Promise.all([
      stats(eq(anchorOutbox.status, "pending")),
      stats(gte(anchorOutbox.leafIndex, anchoredSize)),
    ]);
    const ages = [pending.oldest, unanchored.oldest].filter((d): d is Date => d !== null);
    return {
      queueDepth: pending.n + unanchored.n,
      oldest: ages.length > 0 ? new Date(Math.min(...ages.map((d) => d.getTime()))) : null,
    };
  }

  /**
   * Lease of the sending worker: several workers may append (serialised by the row lock) but only the lease
   * holder signs and sends, so two processes never race on the same nonce.
   */
  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    const rows = await this.db
      .update(ledgerState)
      .set({ leaseOwner: owner, leaseUntil: sql`now() + ${`${ttlMs} milliseconds`}::interval` })
      .where(
        and(
          eq(ledgerState.id, 1),
          or(
            sql`${ledgerState.leaseOwner} is null`,
            eq(ledgerState.leaseOwner, owner),
            sql`${ledgerState.leaseUntil} < now()`,
          ),
        ),
      )
      .returning({ id: ledgerState.id });
    return rows.length > 0;
  }

  async releaseLease(owner: string): Promise<void> {
    await this.db
      .update(ledgerState)
      .set({ leaseOwner: null, leaseUntil: null })
      .where(and(eq(ledgerState.id, 1), eq(ledgerState.leaseOwner, owner)));
  }
}
