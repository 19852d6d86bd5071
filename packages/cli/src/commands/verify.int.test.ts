import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { openDatabase } from "@ccam/db";
import { type Config, loadConfig, openRuntime } from "@ccam/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `ccam verify ACT_ID` from the database and the embedded chain, `--export` of the act's proofs, and the outside
 * auditor's `ccam verify --proof FILE --rpc URL` with nothing but that file and the chain. Runs the built binary.
 */
const BIN = resolve("packages/cli/bin/ccam.js");
const SHARED = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const url = process.env.DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), "ccam-verify-"));
const schema = url ? `t_${randomBytes(6).toString("hex")}` : undefined;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  CCAM_DATA_DIR: join(dir, "data"),
  CCAM_SHARED_DIR: SHARED,
  CCAM_LOG_LEVEL: "silent",
  CCAM_IMPORT_ON_START: "false",
  CCAM_LEDGER_BATCH_MAX_DELAY_MS: "100",
  ...(schema ? { CCAM_DATABASE_SCHEMA: schema } : {}),
};
const config: Config = loadConfig(env);
const auditor = {
  actor: { id: "t", roles: ["codeur"] },
  requestId: null,
  seesAllActs: true,
  readsClinicalText: true,
};

async function ccam(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let actId: string;

beforeAll(async () => {
  const runtime = await openRuntime(config, { ledger: true });
  try {
    await runtime.referentials.importFile(join(SHARED, "ccam/ameli/CCAM_V81_2026-01-01.csv"));
    const acts = runtime.workflow?.acts;
    if (!acts) throw new Error("no workflow");
    const { act } = await acts.create(
      {
        patientId: "IPP-VERIFY-1",
        performedAt: "2026-03-02T08:00:00.000Z",
        text: "PTH droite",
        consent: true,
      },
      auditor,
    );
    actId = act.id;
    await acts.validate(actId, [{ code: "NEKA020", activity: 1, phase: 0 }], auditor);
    for (let i = 0; i < 120; i++) {
      const verification = await acts.verify(actId, auditor);
      if (verification.entries.every((e) => e.anchor.anchored)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await runtime.close();
  }
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (url && schema) {
    const admin = await openDatabase({ url, poolSize: 1 });
    await admin.db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  }
});

describe("ccam verify", () => {
  const exported = join(dir, "proofs.json");

  it("verifies an act from the database and the chain, and exports its proofs", async () => {
    const result = await ccam("verify", actId, "--export", exported, "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const verification = JSON.parse(result.stdout);
    expect(verification).toMatchObject({ verified: true, chain: { ok: true, length: 3 } });
    const bundle = JSON.parse(readFileSync(exported, "utf8"));
    expect(bundle).toMatchObject({ format: "ccam-ledger-proofs/1", subject: `act:${actId}` });
    expect(bundle.proofs).toHaveLength(3);
    // Only identifiers and hashes leave: no patient identifier, no clinical text.
    expect(JSON.stringify(bundle)).not.toMatch(/IPP-VERIFY-1|PTH droite/);
  });

  it("lets an outside auditor check the exported proofs with only the chain; a tampered file fails", async () => {
    const runtime = await openRuntime(config, { ledger: true });
    try {
      await runtime.ledger?.registry(); // connected: the status now names the node's endpoint
      const rpc = (await runtime.ledger?.status())?.chain?.rpcUrl as string;
      expect(rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
      const good = await ccam("verify", "--proof", exported, "--rpc", rpc);
      expect(good.stderr).toBe("");
      expect(good.code).toBe(0);
      expect(good.stdout).toMatch(/VALID\n$/);
      const bundle = JSON.parse(readFileSync(exported, "utf8"));
      bundle.proofs[1].preimage.payload.entryHash = "0".repeat(64);
      const tampered = join(dir, "tampered.json");
      writeFileSync(tampered, JSON.stringify(bundle));
      const bad = await ccam("verify", "--proof", tampered, "--rpc", rpc);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/INVALID\n$/);
    } finally {
      await runtime.close();
    }
  });

  it("refuses bad input with exit 2", async () => {
    expect((await ccam("verify", "not-an-id")).code).toBe(2);
    expect((await ccam("verify", "00000000-0000-4000-8000-000000000000")).code).toBe(2);
    expect((await ccam("verify")).code).toBe(2);
  });
});
