import { enqueueLeaf, type Ledger, stagedLeavesSql, stageLeaves } from "@ccam/ledger";
import type { AnchorLog, AnchorProof } from "./ports.js";

/** The act workflow's anchoring port over the ledger package. */
export function ledgerAnchors(ledger: Ledger): AnchorLog {
  return {
    enqueue: (tx, leaf) => enqueueLeaf(tx, leaf),
    stage: (leaves) => stageLeaves(leaves),
    stagedSql: stagedLeavesSql,

    async proof(seq): Promise<AnchorProof> {
      const status = await ledger.leafStatus(seq);
      const pending = {
        seq,
        leafHash: status.leafHash,
        batchRoot: null,
        treeSize: null,
        txHash: null,
        blockNumber: null,
        proof: [],
      };
      if (status.status !== "anchored") return { ...pending, anchored: false };
      const document = await ledger.inclusionProof(seq);
      return {
        seq,
        leafHash: status.leafHash,
        anchored: true,
        batchRoot: document.treeHead.root,
        treeSize: document.treeHead.size,
        txHash: document.treeHead.txHash,
        blockNumber: document.treeHead.blockNumber,
        proof: document.inclusionProof,
      };
    },

    async verify(seq, expected) {
      const report = await ledger.verify(seq, expected.payload);
      const failed = report.checks.filter((check) => !check.ok);
      const shown = failed.length > 0 ? failed : report.checks;
      return { ok: report.valid, detail: shown.map((check) => `${check.name}: ${check.detail}`).join("; ") };
    },

    async proofDocument(seq, leaf) {
      if ((await ledger.leafStatus(seq)).status !== "anchored") return undefined;
      return ledger.inclusionProof(seq, { preimage: leaf.payload });
    },

    async status() {
      const status = await ledger.status();
      return {
        state: status.mode === "off" ? "disabled" : status.state === "degraded" ? "degraded" : "ok",
        queueDepth: status.queueDepth,
        lagMs: status.lagMs,
        lastError: status.lastError,
      };
    },
  };
}
