import { join } from "node:path";
import type { Database } from "@ccam/db";
import type { Address, Hex } from "viem";
import { ANVIL_DEV_PRIVATE_KEY, EmbeddedNode } from "./chain/anvil.js";
import {
  type ChainAccess,
  deploymentRecordFile,
  embeddedChainAccess,
  rpcChainAccess,
} from "./chain/deployment.js";
import type { Registry } from "./chain/registry.js";
import { type LedgerConfig, type LedgerConfigInput, LedgerConfigSchema } from "./config.js";
import { type CanonicalValue, computeLeafHash, fromHash } from "./leaf.js";
import { consistencyProof, EMPTY_ROOT, inclusionProof } from "./merkle/rfc9162.js";
import { consistencyChunks, inclusionChunks } from "./merkle/sparse.js";
import { NODE_LEVEL, type TreeHeadRow } from "./store/log.js";
import { queueReferential, type ReferentialRegistration } from "./store/referentials.js";
import {
  type Check,
  type ConsistencyDocument,
  checkProofLocally,
  checkRootOnChain,
  type ProofDocument,
  report,
  type VerificationReport,
} from "./verify/proof.js";
import { AnchoringWorker, type WorkerState } from "./worker/worker.js";

export interface LedgerStatus {
  mode: LedgerConfig["mode"];
  state: WorkerState;
  lastError: string | null;
  /** Leaves accepted but not yet anchored (pending_anchor). */
  queueDepth: number;
  /** Age of the oldest leaf not yet anchored, 0 when none. */
  lagMs: number;
  treeSize: number;
  anchoredSize: number;
  chain: { chainId: number; contract: Address; rpcUrl: string } | null;
}

export interface LeafStatus {
  seq: number;
  status: "pending_anchor" | "anchored";
  leafIndex: number | null;
  leafHash: string;
  /** The head whose batch first included the leaf. */
  treeHead: {
    size: number;
    status: TreeHeadRow["status"];
    txHash: string | null;
    blockNumber: number | null;
  } | null;
}

export class LeafNotFoundError extends Error {
  constructor(readonly seq: number) {
    super(`No ledger leaf with outbox sequence ${seq}`);
    this.name = "LeafNotFoundError";
  }
}

export class NotAnchoredError extends Error {
  constructor(readonly seq: number) {
    super(`Leaf ${seq} is not anchored yet (pending_anchor)`);
    this.name = "NotAnchoredError";
  }
}

export interface Ledger {
  readonly config: LedgerConfig;
  readonly worker: AnchoringWorker;
  /** The embedded anvil node (embedded mode only). */
  readonly node: EmbeddedNode | undefined;
  status(): Promise<LedgerStatus>;
  leafStatus(seq: number): Promise<LeafStatus>;
  /** Queues a CCAM referential version (id → sha256 of the source file) for on-chain registration. */
  registerReferentialVersion(versionId: string, sha256Hex: string): Promise<ReferentialRegistration>;
  /** Self-contained proof of leaf `seq` against the latest anchored tree head (for `ccam verify --proof`). */
  inclusionProof(seq: number, options?: { preimage?: CanonicalValue }): Promise<ProofDocument>;
  /** Proof that the log of `from` leaves is a prefix of the log of `to` leaves; both must be anchored sizes. */
  consistencyProof(from: number, to: number): Promise<ConsistencyDocument>;
  /**
   * Recomputes the leaf from the caller's `payload` and the stored salt, checks it against the log, the proof
   * against the root, and the root against the chain.
   */
  verify(seq: number, payload?: CanonicalValue): Promise<VerificationReport>;
  /** The connected registry (connects, and in embedded mode deploys, if needed). */
  registry(): Promise<Registry>;
  close(): Promise<void>;
}

const hex = (value: string): Hex => `0x${value}`;

export interface CreateLedgerOptions {
  /** Start the worker's background rounds (default true); false leaves them to the caller (`worker.runOnce()`). */
  start?: boolean;
  /**
   * `inprocess` (default): this process anchors. `external`: another process (`worker.js`) anchors from the same
   * database; this one only enqueues, proves and verifies. Its worker never runs, and `status()` reports the
   * chain as this process reaches it (a cheap read of the registry, at most once per second) instead of the
   * state of a worker that does not run here.
   */
  anchoring?: "inprocess" | "external";
}

/** How long `status()` reuses a chain probe in `external` anchoring (readiness and scrapes call it often). */
const PROBE_TTL_MS = 1000;
const PROBE_TIMEOUT_MS = 1500;

/** Opens the ledger on `db` (migrated with `ledgerMigrations`) and starts its worker unless `start: false`. */
export async function createLedger(
  input: LedgerConfigInput,
  db: Database,
  options: CreateLedgerOptions = {},
): Promise<Ledger> {
  const config = LedgerConfigSchema.parse(input);
  const external = options.anchoring === "external";
  let node: EmbeddedNode | undefined;
  let chain: ChainAccess | null = null;
  if (config.mode === "embedded") {
    const stateDir = config.dataDir ? join(config.dataDir, "chain") : undefined;
    const startNode = async () => {
      node = await EmbeddedNode.start({ stateDir, blockTime: config.blockTimeSeconds });
      return node;
    };
    const access = embeddedChainAccess({
      rpcUrl: () => node?.rpcUrl ?? "",
      privateKey: (config.privateKey ?? ANVIL_DEV_PRIVATE_KEY) as Hex,
      recordFile: config.dataDir ? deploymentRecordFile(config.dataDir) : undefined,
    });
    // The app owns the embedded node: started now if possible, else (or if it died) before the next connection,
    // so a node that cannot start leaves the ledger degraded, not the app down.
    await startNode().catch(() => undefined);
    chain = {
      async connect() {
        const current = node ?? (await startNode());
        if (!current.alive) await current.restart();
        return access.connect();
      },
    };
  } else if (config.mode === "rpc") {
    chain = rpcChainAccess({
      rpcUrl: config.rpcUrl as string,
      address: config.contractAddress as Address,
      privateKey: config.privateKey as Hex,
    });
  }
  const worker = new AnchoringWorker(db, chain, config);
  const store = worker.store;
  await store.ensureState();
  if (!external && (options.start ?? true)) worker.start();

  const registry = (): Promise<Registry> => worker.connectRegistry();

  // External anchoring: the chain as this process sees it (it still needs it to verify and to sign overrides).
  let probe: { at: number; health: Promise<{ state: WorkerState; lastError: string | null }> } | undefined;
  const probeChain = (): Promise<{ state: WorkerState; lastError: string | null }> => {
    if (!chain) return Promise.resolve({ state: "disabled", lastError: null });
    if (probe && Date.now() - probe.at < PROBE_TTL_MS) return probe.health;
    let timer: NodeJS.Timeout | undefined;
    const health = Promise.race([
      registry().then((r) => r.latestHead()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]).then(
      () => ({ state: "ok" as const, lastError: null }),
      (error: unknown) => ({
        state: "degraded" as const,
        lastError: `chain unreachable from this instance (anchoring runs in another process): ${
          error instanceof Error ? error.message.split("\n")[0] : String(error)
        }`,
      }),
    );
    void health.finally(() => clearTimeout(timer));
    probe = { at: Date.now(), health };
    return health;
  };

  const anchoredHead = async (seq: number) => {
    const entry = await store.outboxEntry(seq);
    if (!entry) throw new LeafNotFoundError(seq);
    const latest = await store.latestHead("anchored");
    if (entry.leafIndex === null || !latest || latest.treeSize <= entry.leafIndex)
      throw new NotAnchoredError(seq);
    return { entry: { ...entry, leafIndex: entry.leafIndex }, latest };
  };

  const headRef = (head: TreeHeadRow) => ({
    size: head.treeSize,
    root: hex(head.root),
    txHash: head.txHash ? hex(head.txHash) : null,
    blockNumber: head.blockNumber,
  });

  const chainRef = (head: TreeHeadRow) => {
    if (head.chainId === null || head.contract === null)
      throw new Error(`Head ${head.treeSize} has no chain`);
    return { chainId: head.chainId, contract: head.contract };
  };

  const ledger: Ledger = {
    config,
    worker,
    get node() {
      return node;
    },

    async status() {
      const [backlog, latest, anchored, health] = await Promise.all([
        store.backlog(),
        store.latestHead(),
        store.latestHead("anchored"),
        external ? probeChain() : worker.status,
      ]);
      const connected = worker.currentRegistry;
      const lagMs = backlog.oldest ? Math.max(0, Date.now() - backlog.oldest.getTime()) : 0;
      // A node that hangs (no error, no answer) keeps a round waiting up to receiptTimeoutMs: a decision waiting
      // well past one batch delay and a few blocks means anchoring has stalled, whatever the last round said.
      const stallAfterMs =
        config.batchMaxDelayMs + (config.confirmations + 2) * config.blockTimeSeconds * 1000 + 10_000;
      const stalled = health.state === "ok" && lagMs > stallAfterMs;
      return {
        mode: config.mode,
        state: stalled ? "degraded" : health.state,
        lastError: stalled
          ? `anchoring stalled: the oldest decision has waited ${Math.round(lagMs / 1000)} s (chain not answering)`
          : health.lastError,
        queueDepth: backlog.queueDepth,
        lagMs,
        treeSize: latest?.treeSize ?? 0,
        anchoredSize: anchored?.treeSize ?? 0,
        chain: connected
          ? {
              chainId: connected.chainId,
              contract: connected.address,
              rpcUrl: node?.rpcUrl ?? config.rpcUrl ?? "",
            }
          : null,
      };
    },

    async leafStatus(seq) {
      const entry = await store.outboxEntry(seq);
      if (!entry) throw new LeafNotFoundError(seq);
      const leaf = entry.leafIndex === null ? undefined : await store.leafByIndex(entry.leafIndex);
      const head = leaf ? await store.head(leaf.treeSize) : undefined;
      const anchored = await store.latestHead("anchored");
      return {
        seq,
        status:
          entry.leafIndex !== null && anchored && anchored.treeSize > entry.leafIndex
            ? "anchored"
            : "pending_anchor",
        leafIndex: entry.leafIndex,
        leafHash: entry.leafHash,
        treeHead: head
          ? { size: head.treeSize, status: head.status, txHash: head.txHash, blockNumber: head.blockNumber }
          : null,
      };
    },

    async registerReferentialVersion(versionId, sha256Hex) {
      const row = await queueReferential(db, versionId, sha256Hex);
      worker.notify();
      return row;
    },

    async inclusionProof(seq, proofOptions = {}) {
      const { entry, latest } = await anchoredHead(seq);
      const size = latest.treeSize;
      const source = await store.proofSource(size, inclusionChunks(entry.leafIndex, size, NODE_LEVEL));
      return {
        format: "ccam-ledger-proof/1",
        chain: chainRef(latest),
        leaf: { index: entry.leafIndex, hash: hex(entry.leafHash), kind: entry.kind, outboxSeq: seq },
        ...(proofOptions.preimage === undefined
          ? {}
          : { preimage: { kind: entry.kind, salt: entry.salt, payload: proofOptions.preimage } }),
        treeHead: headRef(latest),
        inclusionProof: inclusionProof(source, entry.leafIndex).map((h) => hex(fromHash(h))),
        exportedAt: new Date().toISOString(),
      };
    },

    async consistencyProof(from, to) {
      const [first, second] = await Promise.all([store.head(from), store.head(to)]);
      const anchored = (head: TreeHeadRow | undefined, size: number) => {
        if (head?.status !== "anchored") throw new Error(`No anchored tree head of size ${size}`);
        return head;
      };
      const secondHead = anchored(second, to);
      const source = await store.proofSource(to, consistencyChunks(from, to, NODE_LEVEL));
      const firstRef =
        from === 0
          ? { size: 0, root: hex(fromHash(EMPTY_ROOT)), txHash: null, blockNumber: null }
          : headRef(anchored(first, from));
      return {
        format: "ccam-ledger-consistency/1",
        chain: chainRef(secondHead),
        first: firstRef,
        second: headRef(secondHead),
        consistencyProof: consistencyProof(source, from).map((h) => hex(fromHash(h))),
        exportedAt: new Date().toISOString(),
      };
    },

    async verify(seq, payload) {
      const entry = await store.outboxEntry(seq);
      if (!entry) throw new LeafNotFoundError(seq);
      const checks: Check[] = [];
      if (payload !== undefined) {
        const recomputed = computeLeafHash(entry.kind, payload, entry.salt);
        checks.push({
          name: "preimage",
          ok: recomputed === entry.leafHash,
          detail:
            recomputed === entry.leafHash
              ? "the decision recomputes to the committed leaf"
              : "the decision no longer matches the committed leaf (modified after commit)",
        });
      }
      const leaf = entry.leafIndex === null ? undefined : await store.leafByIndex(entry.leafIndex);
      checks.push({
        name: "database",
        ok: leaf?.leafHash === entry.leafHash && leaf.outboxSeq === seq,
        detail: leaf ? `leaf ${leaf.leafIndex} of the log` : "not yet in the log (pending_anchor)",
      });
      if (!leaf) return report(checks);
      let doc: ProofDocument;
      try {
        doc = await ledger.inclusionProof(seq);
      } catch (error) {
        if (!(error instanceof NotAnchoredError)) throw error;
        checks.push({ name: "chain", ok: false, detail: error.message });
        return report(checks);
      }
      checks.push(...checkProofLocally(doc));
      try {
        checks.push(await checkRootOnChain(await registry(), doc.chain, doc.treeHead));
      } catch (error) {
        checks.push({ name: "chain", ok: false, detail: `chain unreachable: ${(error as Error).message}` });
      }
      return report(checks);
    },

    registry,

    async close() {
      await worker.stop();
      await node?.stop();
    },
  };
  return ledger;
}
