import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseHandle } from "@ccam/db";
import { sql } from "drizzle-orm";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_DEV_PRIVATE_KEY, type EmbeddedNode } from "../chain/anvil.js";
import { rpcChainAccess } from "../chain/deployment.js";
import { Registry } from "../chain/registry.js";
import { createLedger, type Ledger } from "../ledger.js";
import { enqueueLeaf } from "../store/outbox.js";
import { ReferentialConflictError } from "../store/referentials.js";
import { startTestChain } from "../test-support/chain.js";
import {
  anchoredEvents,
  countRows,
  decision,
  enqueueDecisions,
  openLedgerDatabase,
  queryRows,
} from "../test-support/ledger.js";
import { verifyConsistencyDocument, verifyProofDocument } from "../verify/proof.js";
import { runVerify } from "../verify/run.js";
import { AnchoringWorker } from "./worker.js";

let node: EmbeddedNode;
let stateDir: string;

const settings = {
  batchSize: 4,
  batchMaxDelayMs: 0,
  confirmations: 1,
  receiptTimeoutMs: 10_000,
  maxInFlight: 16,
  pollIntervalMs: 50,
  backoffMinMs: 50,
  backoffMaxMs: 200,
};

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "ccam-ledger-worker-"));
  ({ node } = await startTestChain({ stateDir }));
});

afterAll(async () => {
  await node?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** A fresh database and a fresh contract on the shared node, driven round by round (no background loop). */
async function freshLedger(overrides: Partial<typeof settings> = {}) {
  const handle = await openLedgerDatabase();
  const contract = await Registry.deploy({ rpcUrl: node.rpcUrl, privateKey: ANVIL_DEV_PRIVATE_KEY });
  const ledger = await createLedger(
    {
      mode: "rpc",
      rpcUrl: node.rpcUrl,
      contractAddress: contract.address,
      privateKey: ANVIL_DEV_PRIVATE_KEY,
      ...settings,
      ...overrides,
    },
    handle.db,
    { start: false },
  );
  return { handle, ledger, contract };
}

async function closeAll(handle: DatabaseHandle, ledger: Ledger) {
  await ledger.close();
  await handle.close();
}

describe("anchoring worker on a real chain", () => {
  it("anchors committed decisions in batches, proves and verifies them, and detects tampering", async () => {
    const { handle, ledger, contract } = await freshLedger();
    try {
      // A rolled-back decision leaves no leaf behind.
      await expect(
        handle.db.transaction(async (tx) => {
          await enqueueLeaf(tx, { kind: "decision", payload: decision(-1) });
          throw new Error("rollback");
        }),
      ).rejects.toThrow("rollback");
      const leaves = await enqueueDecisions(handle, 10);
      expect(await countRows(handle, "anchor_outbox")).toBe(10);
      expect((await ledger.leafStatus(leaves[0]?.seq ?? 0)).status).toBe("pending_anchor");

      await ledger.worker.runOnce();
      expect(await contract.latestHead()).toMatchObject({ size: 10 });
      expect((await anchoredEvents(contract)).sort((a, b) => a - b)).toEqual([4, 8, 10]);
      const status = await ledger.status();
      expect(status).toMatchObject({ state: "ok", queueDepth: 0, lagMs: 0, treeSize: 10, anchoredSize: 10 });

      const seq = leaves[5]?.seq as number;
      expect(await ledger.leafStatus(seq)).toMatchObject({
        status: "anchored",
        leafIndex: 5,
        treeHead: { size: 8, status: "anchored" },
      });
      expect((await ledger.verify(seq, decision(5))).valid).toBe(true);
      const altered = await ledger.verify(seq, { ...decision(5), decision: "rejected" });
      expect(altered.valid).toBe(false);
      expect(altered.checks.find((c) => !c.ok)?.name).toBe("preimage");

      const doc = await ledger.inclusionProof(seq, { preimage: decision(5) });
      expect(doc.treeHead.size).toBe(10);
      expect(await verifyProofDocument(doc, node.rpcUrl)).toMatchObject({ valid: true });
      const flip = (h: string) => `${h.slice(0, -1)}${h.endsWith("0") ? "1" : "0"}`;
      const tampered = [
        { ...doc, leaf: { ...doc.leaf, hash: flip(doc.leaf.hash) } },
        { ...doc, treeHead: { ...doc.treeHead, root: flip(doc.treeHead.root) } },
        { ...doc, inclusionProof: doc.inclusionProof.map((h, i) => (i === 1 ? flip(h) : h)) },
        { ...doc, preimage: { ...doc.preimage, payload: decision(6) } },
        { ...doc, leaf: { ...doc.leaf, index: 4 } },
      ];
      for (const bad of tampered) expect((await verifyProofDocument(bad, node.rpcUrl)).valid).toBe(false);
      // A root not on chain fails the chain check even with a self-consistent proof.
      const forged = await verifyProofDocument(
        { ...doc, treeHead: { ...doc.treeHead, size: 11 } },
        node.rpcUrl,
      );
      expect(forged.valid).toBe(false);

      const file = join(stateDir, "proof.json");
      writeFileSync(file, JSON.stringify(doc));
      const cli = await runVerify({ proofFile: file, rpcUrl: node.rpcUrl });
      expect(cli.exitCode).toBe(0);
      expect(cli.text).toContain("VALID");

      const consistency = await ledger.consistencyProof(4, 10);
      expect(await verifyConsistencyDocument(consistency, node.rpcUrl)).toMatchObject({ valid: true });
      const rewritten = { ...consistency, consistencyProof: consistency.consistencyProof.map(flip) };
      expect((await verifyConsistencyDocument(rewritten, node.rpcUrl)).valid).toBe(false);

      // Rewriting another leaf in the database breaks every proof computed from it.
      await handle.db.execute(
        sql`update merkle_leaves set leaf_hash = ${"ab".repeat(32)} where leaf_index = 2`,
      );
      const report = await ledger.verify(seq, decision(5));
      expect(report.valid).toBe(false);
      expect(report.checks.find((c) => !c.ok)?.name).toBe("inclusion");
    } finally {
      await closeAll(handle, ledger);
    }
  });

  it("anchors 10,000 decisions with at most ceil(10000 / batch size) transactions", async () => {
    const batchSize = 256;
    const { handle, ledger, contract } = await freshLedger({ batchSize, maxInFlight: 64 });
    try {
      for (let i = 0; i < 10_000; i += 2_000) await enqueueDecisions(handle, 2_000, i);
      const nonceBefore = await contract.client.getTransactionCount({ address: contract.account.address });
      const started = Date.now();
      await ledger.worker.runOnce();
      const nonceAfter = await contract.client.getTransactionCount({ address: contract.account.address });
      const transactions = nonceAfter - nonceBefore;
      console.info(`10,000 leaves: ${transactions} transactions in ${Date.now() - started} ms`);
      expect(transactions).toBeLessThanOrEqual(Math.ceil(10_000 / batchSize));
      expect((await anchoredEvents(contract)).length).toBe(Math.ceil(10_000 / batchSize));
      expect(await contract.latestHead()).toMatchObject({ size: 10_000 });
      expect(await ledger.status()).toMatchObject({ queueDepth: 0, anchoredSize: 10_000 });
      const last = await ledger.inclusionProof(10_000);
      expect(await verifyProofDocument(last, node.rpcUrl)).toMatchObject({ valid: true });
      // Proofs read stored complete subtrees (2 per 256 leaves), not the 10,000 leaves.
      expect(await countRows(handle, "merkle_nodes")).toBe(39 + 19 + 9 + 4 + 2 + 1);
      const consistency = await ledger.consistencyProof(2_560, 10_000);
      expect(await verifyConsistencyDocument(consistency, node.rpcUrl)).toMatchObject({ valid: true });
      expect((await ledger.verify(1, decision(0))).valid).toBe(true);
      // A log written before merkle_nodes existed gets them back, identical, on start.
      const before = await queryRows(handle, sql`select * from merkle_nodes order by level, node_index`);
      await handle.db.execute(sql`delete from merkle_nodes`);
      await ledger.worker.store.ensureState();
      expect(await queryRows(handle, sql`select * from merkle_nodes order by level, node_index`)).toEqual(
        before,
      );
      // A rewritten stored subtree (leaves 256-511) breaks the proof of leaf 0, whose path goes through it.
      await handle.db.execute(
        sql`update merkle_nodes set hash = ${"cd".repeat(32)} where level = 8 and node_index = 1`,
      );
      const report = await ledger.verify(1, decision(0));
      expect(report.valid).toBe(false);
      expect(report.checks.find((c) => !c.ok)?.name).toBe("inclusion");
    } finally {
      await closeAll(handle, ledger);
    }
  });

  it("keeps accepting decisions while the chain is down and drains the backlog in order when it returns", async () => {
    const { handle, ledger, contract } = await freshLedger();
    try {
      await enqueueDecisions(handle, 6);
      await ledger.worker.runOnce();
      await node.stop();
      await enqueueDecisions(handle, 9, 6);
      await expect(ledger.worker.runOnce()).rejects.toThrow();
      const down = await ledger.status();
      expect(down).toMatchObject({ state: "degraded", anchoredSize: 6, treeSize: 15 });
      expect(down.queueDepth).toBe(9);
      expect(down.lastError).toBeTruthy();
      expect((await ledger.leafStatus(15)).status).toBe("pending_anchor");

      await node.restart();
      await ledger.worker.runOnce();
      expect(await ledger.status()).toMatchObject({ state: "ok", queueDepth: 0, anchoredSize: 15 });
      expect(await anchoredEvents(contract)).toEqual([4, 6, 10, 14, 15]);
      for (let seq = 1; seq <= 15; seq++)
        expect((await ledger.verify(seq, decision(seq - 1))).valid).toBe(true);
    } finally {
      await closeAll(handle, ledger);
    }
  });

  it("survives a crash between broadcast and recording, and between signing and broadcast", async () => {
    const { handle, ledger, contract } = await freshLedger();
    try {
      await enqueueDecisions(handle, 8);
      // Crash 1: the transaction is mined but the worker dies before recording the receipt.
      const crashing = (method: "waitForReceipt" | "broadcast") =>
        new AnchoringWorker(
          handle.db,
          {
            async connect() {
              const registry = await rpcChainAccess({
                rpcUrl: node.rpcUrl,
                address: contract.address,
                privateKey: ANVIL_DEV_PRIVATE_KEY,
              }).connect();
              registry[method] = async () => {
                throw new Error(`simulated crash in ${method}`);
              };
              return registry;
            },
          },
          { ...settings, batchSize: 4 },
        );
      await expect(crashing("waitForReceipt").runOnce()).rejects.toThrow("simulated crash");
      expect(await countRows(handle, "tree_heads", "status = 'sent'")).toBe(2);
      const recorded = await queryRows<{ tx_hash: string }>(
        handle,
        sql`select tx_hash from tree_heads order by tree_size`,
      );
      // The crashed worker's sending lease runs out before anyone else may send.
      const expireLease = () =>
        handle.db.execute(sql`update ledger_state set lease_until = now() - interval '1 second'`);
      await ledger.worker.runOnce();
      expect(await countRows(handle, "tree_heads", "status = 'sent'")).toBe(2);
      await expireLease();
      await ledger.worker.runOnce();
      expect(await anchoredEvents(contract)).toEqual([4, 8]);
      const after = await queryRows(handle, sql`select tx_hash, status from tree_heads order by tree_size`);
      expect(after).toEqual(recorded.map((r) => ({ ...r, status: "anchored" })));

      // Crash 2: signed and stored, never broadcast: the same signed transaction is sent on restart.
      await enqueueDecisions(handle, 4, 8);
      await ledger.worker.stop(); // hands the sending lease over
      await expect(crashing("broadcast").runOnce()).rejects.toThrow("simulated crash");
      const [sent] = await queryRows<{ tx_hash: string }>(
        handle,
        sql`select tx_hash from tree_heads where status = 'sent'`,
      );
      expect(sent?.tx_hash).toMatch(/^[0-9a-f]{64}$/);
      await expireLease();
      await ledger.worker.runOnce();
      expect(await anchoredEvents(contract)).toEqual([4, 8, 12]);
      expect((await ledger.leafStatus(12)).treeHead).toMatchObject({
        txHash: sent?.tx_hash,
        status: "anchored",
      });
    } finally {
      await closeAll(handle, ledger);
    }
  });

  it("re-signs with higher fees a batch that is not mined in time, and anchors it once", async () => {
    const { handle, ledger, contract } = await freshLedger({ receiptTimeoutMs: 1000 });
    const automine = (on: boolean) =>
      contract.client.request({ method: "evm_setAutomine", params: [on] } as never);
    await automine(false);
    try {
      await enqueueDecisions(handle, 4);
      await expect(ledger.worker.runOnce()).rejects.toThrow(/not mined within 1000 ms/);
      await expect(ledger.worker.runOnce()).rejects.toThrow(/not mined within 1000 ms/);
      const pool = (await contract.client.request({ method: "txpool_content" } as never)) as {
        pending: Record<string, Record<string, { maxFeePerGas: string }>>;
      };
      // One transaction for the nonce: the re-signed one (20 % more) replaced the first.
      expect(Object.values(pool.pending).flatMap((byNonce) => Object.keys(byNonce))).toHaveLength(1);
      await contract.client.request({ method: "evm_mine" } as never);
      await ledger.worker.runOnce();
      expect(await anchoredEvents(contract)).toEqual([4]);
      expect(await queryRows(handle, sql`select status, attempts from tree_heads`)).toEqual([
        { status: "anchored", attempts: 2 },
      ]);
    } finally {
      await automine(true);
      await closeAll(handle, ledger);
    }
  });

  it("lets two workers share the log without anchoring anything twice", async () => {
    const { handle, ledger, contract } = await freshLedger();
    const second = await createLedger(ledger.config, handle.db, { start: false });
    try {
      await enqueueDecisions(handle, 40);
      const rounds = await Promise.allSettled([
        ledger.worker.runOnce(),
        second.worker.runOnce(),
        ledger.worker.runOnce(),
        second.worker.runOnce(),
      ]);
      expect(rounds.filter((r) => r.status === "rejected")).toEqual([]);
      await ledger.worker.runOnce();
      await second.worker.runOnce();
      const events = await anchoredEvents(contract);
      expect(events).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40]);
      expect(await countRows(handle, "merkle_leaves")).toBe(40);
      expect(await countRows(handle, "anchor_outbox", "status = 'appended'")).toBe(40);
    } finally {
      await second.close();
      await closeAll(handle, ledger);
    }
  });

  it("registers CCAM referential versions through the worker, once", async () => {
    const { handle, ledger, contract } = await freshLedger();
    try {
      const sha = "a1".repeat(32);
      await ledger.registerReferentialVersion("V81.00", sha);
      await ledger.registerReferentialVersion("V81.00", `0x${sha.toUpperCase()}`);
      await expect(ledger.registerReferentialVersion("V81.00", "b2".repeat(32))).rejects.toThrow(
        ReferentialConflictError,
      );
      await ledger.worker.runOnce();
      expect(await contract.referential("V81.00")).toMatchObject({ sourceSha256: `0x${sha}` as Hex });
      expect(await countRows(handle, "referential_registrations", "status = 'anchored'")).toBe(1);
    } finally {
      await closeAll(handle, ledger);
    }
  });

  it("without a chain (mode off) keeps the Merkle log and reports 'disabled'", async () => {
    const handle = await openLedgerDatabase();
    const ledger = await createLedger({ mode: "off", batchMaxDelayMs: 0, batchSize: 3 }, handle.db, {
      start: false,
    });
    try {
      await enqueueDecisions(handle, 5);
      await ledger.worker.runOnce();
      expect(await ledger.status()).toMatchObject({
        state: "disabled",
        treeSize: 5,
        anchoredSize: 0,
        queueDepth: 5,
      });
    } finally {
      await closeAll(handle, ledger);
    }
  });
});
