import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDatabase } from "@ccam/db";
import { enqueueLeaf, type Ledger } from "@ccam/ledger";
import { type Config, loadConfig, openRuntime, type Runtime } from "@ccam/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "../cli-error.js";
import { readBackup, runBackup, runRestore } from "./backup.js";

/**
 * A runtime with a real ledger on its embedded chain fills the Merkle log and anchors it; it is backed up, the
 * originals are destroyed, the backup is restored into a fresh data folder (and, on PostgreSQL, a fresh
 * schema), and every leaf is verified against the restored chain. Runs on PGlite, and on PostgreSQL when
 * DATABASE_URL is set.
 */
const SHARED = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const url = process.env.DATABASE_URL;
const LEAVES = 20;
/** The act created through the workflow adds its audit entries: created, suggested, validated. */
const ACT_LEAVES = 3;
const auditor = {
  actor: { id: "backup-test", roles: ["auditeur"] },
  requestId: null,
  seesAllActs: true,
  readsClinicalText: false,
};
const payload = (i: number) => ({
  actId: `act-${i}`,
  code: "YYYY010",
  decision: "validated",
  version: "V81",
});

const temp: string[] = [];
const schemas: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temp.push(dir);
  return dir;
};

function configFor(dataDir: string): Config {
  const schema = url ? `t_${randomBytes(6).toString("hex")}` : undefined;
  if (schema) schemas.push(schema);
  return loadConfig({
    CCAM_DATA_DIR: dataDir,
    CCAM_SHARED_DIR: SHARED,
    CCAM_LOG_LEVEL: "silent",
    CCAM_IMPORT_ON_START: "false",
    CCAM_LEDGER_BATCH_SIZE: "8",
    CCAM_LEDGER_BATCH_MAX_DELAY_MS: "100",
    ...(url ? { DATABASE_URL: url, CCAM_DATABASE_SCHEMA: schema } : {}),
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const fullyAnchored = (ledger: Ledger) => async () => {
  const status = await ledger.status();
  return status.state === "ok" && status.anchoredSize === LEAVES + ACT_LEAVES && status.queueDepth === 0;
};

afterAll(async () => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
  if (url && schemas.length > 0) {
    const admin = await openDatabase({ url, poolSize: 1 });
    for (const schema of schemas) await admin.db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  }
});

describe(`ccam backup / restore (${url ? "PostgreSQL" : "PGlite"}, embedded chain)`, () => {
  let original: Config;
  let restoredConfig: Config;
  let backupDir: string;
  let anchoredBefore: { size: number; root: string; blockNumber: number | undefined; address: string };
  let actId: string;

  beforeAll(async () => {
    original = configFor(tempDir("ccam-backup-src-"));
    const runtime = await openRuntime(original, { ledger: true });
    try {
      const ledger = runtime.ledger as Ledger;
      for (const from of [0, 12]) {
        await runtime.database.db.transaction(async (tx) => {
          for (let i = from; i < Math.min(from + 12, LEAVES); i++)
            await enqueueLeaf(tx, { kind: "decision", payload: payload(i) });
        });
      }
      // And one real act, validated through the workflow, whose whole audit trail must verify after restore.
      await runtime.referentials.importFile(join(SHARED, "ccam/ameli/CCAM_V81_2026-01-01.csv"));
      const acts = runtime.workflow?.acts;
      if (!acts) throw new Error("the workflow is assembled with the ledger");
      const ctx = { ...auditor, actor: { id: "coder-1", roles: ["codeur"] }, readsClinicalText: true };
      const created = await acts.create(
        {
          patientId: "IPP-BACKUP-1",
          performedAt: "2026-03-02T08:00:00.000Z",
          text: "PTH droite",
          consent: true,
        },
        ctx,
      );
      actId = created.act.id;
      await acts.validate(actId, [{ code: "NEKA020", activity: 1, phase: 0 }], ctx);
      ledger.worker.notify();
      await until(fullyAnchored(ledger));
      const registry = await ledger.registry();
      const head = await registry.latestHead();
      const onChain = await registry.treeHead(head.size);
      anchoredBefore = {
        size: head.size,
        root: head.root,
        blockNumber: onChain ? Number(onChain.blockNumber) : undefined,
        address: registry.address,
      };
    } finally {
      await runtime.close();
    }
    backupDir = join(tempDir("ccam-backup-"), "backup");
  });

  let manifest: Awaited<ReturnType<typeof runBackup>>;

  it("backs up the database, the chain state and the data folder's files with a manifest", async () => {
    manifest = await runBackup(original, backupDir);
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        url ? "database.pgdump" : "database.pglite.tar.gz",
        "data/chain/anvil-state.json",
        "data/chain/registry.json",
      ]),
    );
    expect(paths.some((p) => p.startsWith("data/pglite") || p.endsWith(".lock") || p.endsWith(".pid"))).toBe(
      false,
    );
    expect(manifest.database.tables.merkle_leaves ?? manifest.database.tables["public.merkle_leaves"]).toBe(
      LEAVES + ACT_LEAVES,
    );
    expect(statSync(backupDir).mode & 0o777).toBe(0o700);
    expect(readBackup(backupDir)).toEqual(manifest);
  });

  it("refuses a non-empty backup folder", async () => {
    await expect(runBackup(original, backupDir)).rejects.toThrow(/is not empty/);
  });

  it("refuses a damaged backup, naming the file", () => {
    const damaged = join(tempDir("ccam-backup-damaged-"), "b");
    cpSync(backupDir, damaged, { recursive: true });
    const file = join(damaged, "data/chain/registry.json");
    writeFileSync(file, readFileSync(file, "utf8").replace(/"chainId":\s*\d+/, '"chainId": 1'));
    expect(() => readBackup(damaged)).toThrow(
      new CliError("Backup damaged: data/chain/registry.json does not match its sha256 in manifest.json"),
    );
    rmSync(join(damaged, "manifest.json"));
    expect(() => readBackup(damaged)).toThrow(/is not a ccam backup \(no manifest.json\)/);
  });

  it("restores into a fresh data folder after the originals are lost", async () => {
    // The disaster: the data folder (embedded database, keys, chain state) and the PostgreSQL schema are gone.
    rmSync(original.dataDir, { recursive: true, force: true });
    if (url && original.databaseSchema) {
      const admin = await openDatabase({ url, poolSize: 1 });
      await admin.db.execute(`DROP SCHEMA ${original.databaseSchema} CASCADE`);
      await admin.close();
    }
    restoredConfig = configFor(join(tempDir("ccam-backup-dst-"), "data"));
    const summary = await runRestore(restoredConfig, backupDir);
    expect(summary.files).toEqual(
      manifest.files.filter((f) => f.path.startsWith("data/")).map((f) => f.path.slice(5)),
    );
    for (const entry of manifest.files.filter((f) => f.path.startsWith("data/"))) {
      const restored = join(restoredConfig.dataDir, entry.path.slice(5));
      expect(statSync(restored).mode & 0o777).toBe(entry.mode);
    }
    if (!url) expect(existsSync(join(restoredConfig.dataDir, "pglite"))).toBe(true);
  });

  it("refuses to restore over a non-empty target without --force", async () => {
    await expect(runRestore(restoredConfig, backupDir)).rejects.toThrow(/is not empty/);
  });

  it("verifies every leaf of the restored log against the restored chain", async () => {
    let runtime: Runtime | undefined;
    try {
      runtime = await openRuntime(restoredConfig, { ledger: true });
      const ledger = runtime.ledger as Ledger;
      const registry = await ledger.registry();
      // The chain itself came back (same contract, same head, same block): nothing was re-anchored.
      expect(registry.address).toBe(anchoredBefore.address);
      const head = await registry.latestHead();
      expect(head).toEqual({ size: anchoredBefore.size, root: anchoredBefore.root });
      const onChain = await registry.treeHead(head.size);
      expect(onChain ? Number(onChain.blockNumber) : undefined).toBe(anchoredBefore.blockNumber);
      await until(fullyAnchored(ledger));
      for (let seq = 1; seq <= LEAVES; seq++) {
        const report = await ledger.verify(seq, payload(seq - 1));
        expect(report.valid, JSON.stringify(report.checks)).toBe(true);
      }
      // A payload that was not committed does not verify: the check can fail.
      expect((await ledger.verify(1, payload(99))).valid).toBe(false);
      // The act's whole trail (hash chain, each leaf, each proof, each root on chain) verifies as before.
      const verification = await runtime.workflow?.acts.verify(actId, auditor);
      expect(verification?.differences).toEqual([]);
      expect(verification).toMatchObject({ verified: true, chain: { ok: true, length: ACT_LEAVES } });
      expect(verification?.entries.every((e) => e.anchor.anchored && e.anchor.ok)).toBe(true);
    } finally {
      await runtime?.close();
    }
  });

  it("restores over the target with --force", async () => {
    const summary = await runRestore(restoredConfig, backupDir, { force: true });
    expect(summary.database.rows).toBe(Object.values(manifest.database.tables).reduce((a, b) => a + b, 0));
  });
});
