import { randomUUID } from "node:crypto";
import type { Database } from "@ccam/db";
import { eq, ne } from "drizzle-orm";
import { type Hash, type Hex, type TransactionReceipt, WaitForTransactionReceiptTimeoutError } from "viem";
import type { ChainAccess } from "../chain/deployment.js";
import type { Registry } from "../chain/registry.js";
import { registryAbi } from "../chain/registry-artifact.js";
import { LogStore, type TreeHeadRow } from "../store/log.js";
import { referentialRegistrations } from "../store/schema.js";

export interface WorkerOptions {
  batchSize: number;
  batchMaxDelayMs: number;
  confirmations: number;
  receiptTimeoutMs: number;
  maxInFlight: number;
  pollIntervalMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export type WorkerState = "ok" | "degraded" | "disabled";

export interface WorkerHealth {
  state: WorkerState;
  lastError: string | null;
  /** Consecutive failed rounds; the retry delay doubles with each. */
  failures: number;
  lastSuccessAt: Date | null;
}

/** The chain disagrees with the log in a way the worker must not repair alone (needs an operator). */
export class LedgerDivergenceError extends Error {
  override name = "LedgerDivergenceError";
}

const IDLE_AUDIT_INTERVAL_MS = 10_000;
const hex = (value: string): Hex => `0x${value}`;
const bare = (value: Hex): string => value.slice(2).toLowerCase();

/**
 * Moves leaves from the outbox into the Merkle log in batches and anchors each new tree head on chain.
 *
 * Crash safety: a head is first stored as `pending`; its transaction is signed and stored (`sent`, with hash and
 * nonce) before it is broadcast; it becomes `anchored` only once the chain holds that root at that size. Every
 * round starts from the chain's state, so a crash at any point is resolved by re-broadcasting the same signed
 * transaction or re-signing from the chain's nonce, and the contract rejects any head that does not extend its
 * latest one: a batch is never lost and never anchored twice.
 */
export class AnchoringWorker {
  readonly store: LogStore;
  private readonly owner = `worker-${randomUUID()}`;
  private registry: Registry | undefined;
  private connecting: Promise<Registry> | undefined;
  private round: Promise<void> | undefined;
  private lastAuditAt = 0;
  private stateReady = false;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private health: WorkerHealth;

  constructor(
    db: Database,
    private readonly chain: ChainAccess | null,
    private readonly options: WorkerOptions,
  ) {
    this.store = new LogStore(db);
    this.health = {
      state: chain ? "degraded" : "disabled",
      lastError: chain ? "not checked against the chain yet" : null,
      failures: 0,
      lastSuccessAt: null,
    };
  }

  get status(): WorkerHealth {
    return { ...this.health };
  }

  /** The registry of the last successful connection, if any. */
  get currentRegistry(): Registry | undefined {
    return this.registry;
  }

  /** The worker's connection to the registry, connecting (and in embedded mode deploying) once if needed. */
  async connectRegistry(): Promise<Registry> {
    if (!this.chain) throw new Error("The ledger runs without a chain (mode off)");
    if (this.registry) return this.registry;
    const chain = this.chain;
    this.connecting ??= chain.connect().finally(() => {
      this.connecting = undefined;
    });
    this.registry = await this.connecting;
    return this.registry;
  }

  /** Starts the background rounds; the first one audits the chain (it may have lost state meanwhile). */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.lastAuditAt = 0;
    this.running = this.loop();
  }

  /** Finishes the current round, then stops and hands the lease over. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
    await this.store.releaseLease(this.owner).catch(() => {});
  }

  /** Runs the next round now (e.g. right after a decision was committed). */
  notify(): void {
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let delay = this.options.pollIntervalMs;
      try {
        await this.runOnce();
      } catch {
        delay = Math.min(
          this.options.backoffMaxMs,
          this.options.backoffMinMs * 2 ** (this.health.failures - 1),
        );
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * One round: append due batches, then (lease holder only) register referentials and anchor heads. A call
   * while a round runs joins that round: a worker never runs two rounds at once.
   */
  runOnce(): Promise<void> {
    this.round ??= this.runRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async runRound(): Promise<void> {
    try {
      if (!this.stateReady) {
        await this.store.ensureState();
        this.stateReady = true;
      }
      while (await this.store.appendBatch(this.options.batchSize, this.options.batchMaxDelayMs)) {
        // drain every due batch; each becomes its own tree head
      }
      if (this.chain && (await this.store.acquireLease(this.owner, this.leaseMs))) {
        const fresh = !this.registry;
        const registry = await this.connectRegistry();
        const heads = await this.store.unanchoredHeads(this.options.maxInFlight);
        // Idle rounds only re-audit now and then: enough to notice a chain that lost state, without polling it.
        if (fresh || heads.length > 0 || Date.now() - this.lastAuditAt >= IDLE_AUDIT_INTERVAL_MS) {
          const chainLatest = await this.audit(registry);
          this.lastAuditAt = Date.now();
          await this.anchorHeads(registry, chainLatest);
        }
        await this.registerReferentials(registry);
      }
      this.health = {
        state: this.chain ? "ok" : "disabled",
        lastError: null,
        failures: 0,
        lastSuccessAt: new Date(),
      };
    } catch (error) {
      if (!(error instanceof LedgerDivergenceError)) this.registry = undefined;
      this.health = {
        ...this.health,
        state: this.chain ? "degraded" : "disabled",
        lastError: error instanceof Error ? error.message.split("\n")[0] || error.name : String(error),
        failures: this.health.failures + 1,
      };
      throw error;
    }
  }

  private get leaseMs(): number {
    return Math.max(30_000, this.options.receiptTimeoutMs * 2);
  }

  /**
   * Checks the heads the database believes anchored against the chain. Those the chain lost (anvil killed before
   * its state dump, contract redeployed) go back to `pending` and are re-anchored in order.
   */
  private async audit(registry: Registry): Promise<{ size: number; root: string }> {
    const latest = await registry.latestHead();
    const chainLatest = { size: latest.size, root: bare(latest.root) };
    const ours = await this.store.latestHead("anchored");
    if (ours?.treeSize === chainLatest.size && ours.root === chainLatest.root) return chainLatest;
    if (chainLatest.size > 0) {
      const known = await this.store.head(chainLatest.size);
      if (known?.root !== chainLatest.root) {
        throw new LedgerDivergenceError(
          `The chain's latest tree head (size ${chainLatest.size}) is not in the log: wrong contract or database restored from an older backup`,
        );
      }
    }
    const lost: number[] = [];
    let below: number | undefined;
    for (;;) {
      const heads = await this.store.anchoredHeadsDescending(100, below);
      const verified = await this.firstOnChain(registry, heads, chainLatest.size, lost);
      if (verified || heads.length < 100) break;
      below = heads[heads.length - 1]?.treeSize;
    }
    if (lost.length > 0) {
      await this.store.resetHeads(lost, "missing on chain (chain state lost); re-anchoring");
      await this.store.db
        .update(referentialRegistrations)
        .set({ status: "pending" })
        .where(ne(referentialRegistrations.status, "conflict"));
    }
    return chainLatest;
  }

  /** Collects into `lost` the heads above the chain's size; true once a head is found on chain. */
  private async firstOnChain(
    registry: Registry,
    heads: TreeHeadRow[],
    chainSize: number,
    lost: number[],
  ): Promise<boolean> {
    for (const head of heads) {
      if (head.treeSize > chainSize) {
        lost.push(head.treeSize);
        continue;
      }
      const onChain = await registry.treeHead(head.treeSize);
      if (onChain && bare(onChain.root) === head.root) return true;
      throw new LedgerDivergenceError(`Tree head ${head.treeSize} differs between the log and the chain`);
    }
    return false;
  }

  private async registerReferentials(registry: Registry): Promise<void> {
    const pending = await this.store.db
      .select()
      .from(referentialRegistrations)
      .where(eq(referentialRegistrations.status, "pending"));
    for (const row of pending) {
      const onChain = await registry.referential(row.versionId);
      let changes: Partial<typeof referentialRegistrations.$inferInsert>;
      if (onChain && bare(onChain.sourceSha256) !== row.sourceSha256) {
        changes = {
          status: "conflict",
          lastError: `registered on chain with sha256 ${bare(onChain.sourceSha256)}`,
        };
      } else if (onChain) {
        changes = { status: "anchored", anchoredAt: new Date(), lastError: null };
      } else {
        const receipt = await registry.registerReferential(
          row.versionId,
          hex(row.sourceSha256),
          this.options.confirmations,
        );
        changes = {
          status: "anchored",
          txHash: bare(receipt.transactionHash),
          blockNumber: Number(receipt.blockNumber),
          anchoredAt: new Date(),
          lastError: null,
        };
      }
      await this.store.db
        .update(referentialRegistrations)
        .set(changes)
        .where(eq(referentialRegistrations.versionId, row.versionId));
    }
  }

  private async anchorHeads(registry: Registry, chainLatest: { size: number; root: string }): Promise<void> {
    const heads = await this.store.unanchoredHeads(this.options.maxInFlight);
    const toSend: TreeHeadRow[] = [];
    for (const head of heads) {
      if (head.treeSize > chainLatest.size) toSend.push(head);
      else await this.recordFromChain(registry, head);
    }
    if (toSend.length === 0) return;
    if (toSend[0]?.previousSize !== chainLatest.size) {
      throw new Error(
        `Tree head ${toSend[0]?.treeSize} extends size ${toSend[0]?.previousSize} but the chain is at ${chainLatest.size}`,
      );
    }

    // Keep the signed transactions that are next in nonce order (re-broadcast them); re-sign from the first gap.
    let nonce = await registry.client.getTransactionCount({
      address: registry.account.address,
      blockTag: "latest",
    });
    let resign = false;
    const sent: { head: TreeHeadRow; txHash: Hash }[] = [];
    for (const head of toSend) {
      resign ||= head.status !== "sent" || head.txNonce !== nonce || !head.rawTx || !head.txHash;
      let rawTx = head.rawTx as Hex;
      let txHash = head.txHash as string;
      if (resign) {
        const signed = await registry.signAnchor(
          {
            root: hex(head.root),
            previousRoot: hex(head.previousRoot),
            firstSeq: head.firstSeq,
            lastSeq: head.lastSeq,
          },
          nonce,
          head.attempts,
        );
        rawTx = signed.rawTransaction;
        txHash = bare(signed.txHash);
        await this.store.updateHead(head.treeSize, {
          status: "sent",
          rawTx,
          txHash,
          txNonce: nonce,
          chainId: registry.chainId,
          contract: registry.address.toLowerCase(),
          sentAt: new Date(),
          attempts: head.attempts + 1,
        });
      }
      await registry.broadcast(rawTx);
      sent.push({ head, txHash: hex(txHash) });
      nonce++;
    }

    for (const { head, txHash } of sent) {
      const later = sent.filter((s) => s.head.treeSize >= head.treeSize).map((s) => s.head.treeSize);
      let receipt: TransactionReceipt;
      try {
        receipt = await registry.waitForReceipt(
          txHash,
          this.options.confirmations,
          this.options.receiptTimeoutMs,
        );
      } catch (error) {
        if (!(error instanceof WaitForTransactionReceiptTimeoutError)) throw error;
        // Not mined in time (fees too low, congestion): re-sign with the same nonces and higher fees, replacing
        // the stuck transactions. If an old one is mined after all, the next round records it from the chain.
        const reason = `${txHash} not mined within ${this.options.receiptTimeoutMs} ms; re-signing with higher fees`;
        await this.store.resetHeads(later, reason);
        throw new Error(reason);
      }
      if (receipt.status === "success") {
        await this.markAnchored(registry, head, txHash, receipt.blockNumber);
        continue;
      }
      if (await this.recordFromChain(registry, head, false)) continue;
      await this.store.resetHeads(later, `anchorBatch reverted in ${txHash}`);
      throw new Error(`anchorBatch for tree size ${head.treeSize} reverted (${txHash}); will re-sign`);
    }
  }

  /**
   * A head the chain already holds (mined, but the worker stopped before recording it): take the transaction
   * and block from the BatchAnchored event. Returns false if the chain does not hold it.
   */
  private async recordFromChain(registry: Registry, head: TreeHeadRow, mustExist = true): Promise<boolean> {
    const onChain = await registry.treeHead(head.treeSize);
    if (!onChain || bare(onChain.root) !== head.root) {
      if (!mustExist) return false;
      throw new LedgerDivergenceError(`Tree head ${head.treeSize} differs between the log and the chain`);
    }
    const [event] = await registry.client.getContractEvents({
      address: registry.address,
      abi: registryAbi,
      eventName: "BatchAnchored",
      args: { treeSize: BigInt(head.treeSize) },
      fromBlock: onChain.blockNumber,
      toBlock: onChain.blockNumber,
    });
    await this.markAnchored(registry, head, event?.transactionHash ?? null, onChain.blockNumber);
    return true;
  }

  private async markAnchored(
    registry: Registry,
    head: TreeHeadRow,
    txHash: Hash | null,
    blockNumber: bigint,
  ): Promise<void> {
    await this.store.updateHead(head.treeSize, {
      status: "anchored",
      txHash: txHash ? bare(txHash) : null,
      blockNumber: Number(blockNumber),
      chainId: registry.chainId,
      contract: registry.address.toLowerCase(),
      anchoredAt: new Date(),
      rawTx: null,
      lastError: null,
    });
  }
}
