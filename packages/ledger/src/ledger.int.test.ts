import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseHandle } from "@ccam/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryReader } from "./chain/registry.js";
import { createLedger, type Ledger } from "./ledger.js";
import {
  anchoredEvents,
  decision,
  enqueueDecisions,
  eventually,
  openLedgerDatabase,
} from "./test-support/ledger.js";
import { verifyProofDocument } from "./verify/proof.js";

let dataDir: string;
let handle: DatabaseHandle;
let ledger: Ledger | undefined;

const open = () =>
  createLedger(
    {
      mode: "embedded",
      dataDir,
      blockTimeSeconds: 1,
      confirmations: 2,
      batchSize: 8,
      batchMaxDelayMs: 200,
      pollIntervalMs: 50,
      backoffMinMs: 100,
      backoffMaxMs: 500,
    },
    handle.db,
  );

/** The database and the chain both hold `size` anchored leaves (the chain may be restarting meanwhile). */
const anchoredUpTo = (size: number) => async () => {
  const app = ledger as Ledger;
  const status = await app.status();
  if (status.anchoredSize !== size || status.queueDepth !== 0 || status.state !== "ok") return false;
  const onChain = await app
    .registry()
    .then((r) => r.latestHead())
    .catch(() => undefined);
  return onChain?.size === size;
};

const deployment = () => JSON.parse(readFileSync(join(dataDir, "chain", "registry.json"), "utf8"));

async function allVerify(count: number) {
  for (let seq = 1; seq <= count; seq++) {
    const result = await (ledger as Ledger).verify(seq, decision(seq - 1));
    expect(result.valid, JSON.stringify(result.checks)).toBe(true);
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ccam-ledger-embedded-"));
  handle = await openLedgerDatabase();
});

afterAll(async () => {
  await ledger?.close();
  await handle?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("embedded chain (anvil started by the app, state in CCAM_DATA_DIR)", () => {
  let proofBeforeRestart: Awaited<ReturnType<Ledger["inclusionProof"]>>;

  it("deploys on first start and anchors in the background with ~1 s blocks", async () => {
    ledger = await open();
    await enqueueDecisions(handle, 20);
    ledger.worker.notify();
    await eventually(anchoredUpTo(20));
    const registry = await ledger.registry();
    expect(deployment()).toEqual({ chainId: registry.chainId, address: registry.address });
    expect(await anchoredEvents(registry)).toEqual([8, 16, 20]);
    proofBeforeRestart = await ledger.inclusionProof(3);
    expect(await verifyProofDocument(proofBeforeRestart, ledger.node?.rpcUrl ?? "")).toMatchObject({
      valid: true,
    });
  });

  it("keeps contract and proofs across an app restart", async () => {
    const before = deployment();
    await ledger?.close();
    ledger = await open();
    await eventually(anchoredUpTo(20));
    expect(deployment()).toEqual(before);
    expect(await verifyProofDocument(proofBeforeRestart, ledger.node?.rpcUrl ?? "")).toMatchObject({
      valid: true,
    });
    await allVerify(20);
  });

  it("restarts its node when it stopped, and drains what was accepted meanwhile", async () => {
    const app = ledger as Ledger;
    await app.node?.stop();
    await enqueueDecisions(handle, 5, 20);
    expect((await app.leafStatus(25)).status).toBe("pending_anchor");
    await eventually(anchoredUpTo(25));
    expect(app.node?.alive).toBe(true);
    expect(await anchoredEvents(await app.registry())).toEqual([8, 16, 20, 25]);
  });

  it("re-anchors the tree heads a kill -9 wiped from the chain", async () => {
    const app = ledger as Ledger;
    const stateFile = app.node?.stateFile as string;
    // Wait for anvil's periodic dump to hold everything so far, and keep that file: it has no trace of the
    // heads anchored next, so finding them on chain after the restore proves they were re-anchored.
    const anchoredAt = Date.now();
    await eventually(async () => statSync(stateFile).mtimeMs > anchoredAt + 100, 10_000);
    copyFileSync(stateFile, `${stateFile}.saved`);

    await enqueueDecisions(handle, 11, 25);
    app.worker.notify();
    await eventually(anchoredUpTo(36));
    await app.worker.stop();
    await app.node?.kill();
    // kill -9 before the next dump: the chain restarts from the older state and lost the last heads.
    copyFileSync(`${stateFile}.saved`, stateFile);
    app.worker.start();
    await eventually(anchoredUpTo(36));
    const registry = await app.registry();
    expect(await registry.latestHead()).toMatchObject({ size: 36 });
    expect(await anchoredEvents(registry)).toEqual([8, 16, 20, 25, 33, 36]);
    await allVerify(36);
  });

  it("redeploys and re-anchors everything when the chain state file is lost", async () => {
    await ledger?.close();
    rmSync(join(dataDir, "chain", "anvil-state.json"));
    ledger = await open();
    await eventually(anchoredUpTo(36));
    const registry = await ledger.registry();
    expect(await anchoredEvents(registry)).toEqual([8, 16, 20, 25, 33, 36]);
    await allVerify(36);
    // Same deployer, nonce 0 again: the contract lands at the same address and old proofs stay valid.
    const reader = await RegistryReader.connect({
      rpcUrl: ledger.node?.rpcUrl ?? "",
      address: registry.address,
    });
    expect((await reader.treeHead(proofBeforeRestart.treeHead.size))?.root).toBe(
      proofBeforeRestart.treeHead.root,
    );
  });
});

describe("embedded chain that cannot start", () => {
  it("leaves the app up and degraded, accepts decisions, and anchors them once the node can start", async () => {
    const brokenDir = mkdtempSync(join(tmpdir(), "ccam-ledger-broken-"));
    const db = await openLedgerDatabase();
    // A file where the chain folder should be: anvil cannot get its state directory.
    writeFileSync(join(brokenDir, "chain"), "not a folder");
    const app = await createLedger(
      { mode: "embedded", dataDir: brokenDir, blockTimeSeconds: 0, batchMaxDelayMs: 0, backoffMaxMs: 300 },
      db.db,
    );
    try {
      expect(app.node).toBeUndefined();
      await enqueueDecisions(db, 3);
      // The round reports why the node cannot start (here: its state folder is a file).
      await eventually(async () => /EEXIST|ENOTDIR|mkdir/.test((await app.status()).lastError ?? ""));
      expect(await app.status()).toMatchObject({ state: "degraded", queueDepth: 3, anchoredSize: 0 });
      rmSync(join(brokenDir, "chain"));
      await eventually(async () => (await app.status()).anchoredSize === 3);
      expect(app.node?.alive).toBe(true);
      expect((await app.verify(2, decision(1))).valid).toBe(true);
    } finally {
      await app.close();
      await db.close();
      rmSync(brokenDir, { recursive: true, force: true });
    }
  });
});
