import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { openDatabase } from "@ccam/db";
import { afterAll, describe, expect, it } from "vitest";

// Runs the built binary as a user would (`npm test` builds first).
const BIN = resolve("packages/cli/bin/ccam.js");
const SHARED = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const V81 = join(SHARED, "ccam/ameli/CCAM_V81_2026-01-01.csv");
const V78 = join(SHARED, "ccam/ameli/CCAM_V78_2025-02-01.csv");

const dataDir = mkdtempSync(join(tmpdir(), "ccam-cli-"));
const schema = process.env.DATABASE_URL ? `t_${randomBytes(6).toString("hex")}` : undefined;
const env = {
  ...process.env,
  CCAM_DATA_DIR: dataDir,
  CCAM_SHARED_DIR: SHARED,
  ...(schema ? { CCAM_DATABASE_SCHEMA: schema } : {}),
};

async function ccam(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env,
      maxBuffer: 64e6,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  if (process.env.DATABASE_URL && schema) {
    const admin = await openDatabase({ url: process.env.DATABASE_URL, poolSize: 1 });
    await admin.db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  }
});

describe("ccam CLI", () => {
  it("imports V81 and prints the summary; the same file again is a no-op", async () => {
    const first = await ccam("import", V81, "--json");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      version: "V81",
      effectiveDate: "2026-01-01",
      acts: 8257,
      lines: 13_439,
      chapters: 1722,
      notes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      skipped: 1,
      status: "imported",
    });
    const again = await ccam("import", V81, "--json");
    expect(JSON.parse(again.stdout).status).toBe("already_imported");
    const text = await ccam("import", V81);
    expect(text.stdout).toMatch(/^Already imported \(same sha256\)/);
  });

  it("imports V78, lists versions and diffs them", async () => {
    expect((await ccam("import", V78)).stdout).toMatch(/Imported CCAM V78 effective 2025-02-01: 8242 acts/);
    const versions = JSON.parse((await ccam("versions", "--json")).stdout);
    expect(versions.map((v: { version: string }) => v.version)).toEqual(["V78", "V81"]);
    expect((await ccam("versions")).stdout).toMatch(/V81\s+2026-01-01\s+8257\s+13439/);
    const diff = JSON.parse((await ccam("diff", "V78", "V81", "--json")).stdout);
    expect([diff.added.length, diff.removed.length]).toEqual([19, 4]);
    expect((await ccam("diff", "V78", "V81")).stdout).toMatch(/^V78 → V81: 19 added, 4 removed, \d+ changed/);
  });

  it("shows stats, search results and one act", async () => {
    const stats = JSON.parse((await ccam("stats", "--version", "V81", "--json")).stdout);
    expect(stats).toMatchObject({ version: "V81", acts: 8257, modifiers: 30, priorApproval: 90 });
    expect(stats.linesByActivity).toEqual({ "1": 8278, "2": 42, "3": 5, "4": 4937, "5": 177 });
    const search = JSON.parse(
      (await ccam("search", "appendicectomie coelioscopie", "--limit", "2", "--json")).stdout,
    );
    expect(search.hits[0].code).toBe("HHFA016");
    expect(search.hits).toHaveLength(2);
    const show = JSON.parse((await ccam("show", "neka020", "--json")).stdout);
    expect(show.lines[1]).toMatchObject({ activity: 4, tariffSecteur1: 229.9 });
    expect((await ccam("show", "NEKA020")).stdout).toMatch(/activity 4 phase 0: 229\.90 €/);
  });

  it.each([
    [["import", "/no/such/file.csv"], 2, /No such file/],
    [["show", "NEKA20"], 2, /"NEKA20" is not a CCAM code/],
    [["show", "ZZZZ999"], 1, /ZZZZ999 does not exist in CCAM V81/],
    [["search", "hanche", "--limit", "0"], 2, /--limit must be an integer from 1 to 100/],
    [["diff", "V78", "V99"], 2, /CCAM version V99 is not imported \(known: V81, V78\)/],
    [["stats", "--version", "81"], 2, /"81" is not a version id/],
    [["frobnicate"], 2, /unknown command 'frobnicate'/],
  ])("ccam %j exits %i with a message on stderr", async (args, code, message) => {
    const result = await ccam(...args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("rejects a malformed export naming the line, and imports nothing", async () => {
    const bad = join(dataDir, "bad.csv");
    writeFileSync(
      bad,
      "CNAM - CCAM version 82 applicable 01/07/2026,,,,,,,,,,\nCode,,Texte,Activité,Phase,T1,T2,RC,AP,Exo,Reg\n01,,CHAP,,,,,,,,\nAHQB027,,EMG,1,0,cinquante,51.84,,,2,ATM\n",
    );
    const result = await ccam("import", bad);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /bad\.csv: line 4: tariff "cinquante" of AHQB027 is not an amount in euros; nothing was imported/,
    );
    const versions = JSON.parse((await ccam("versions", "--json")).stdout);
    expect(versions.map((v: { version: string }) => v.version)).toEqual(["V78", "V81"]);
  });

  it.skipIf(Boolean(process.env.DATABASE_URL))(
    "says clearly when the embedded database is held by another process",
    async () => {
      // The test runner is alive and is not the CLI process: its pid in the lock file means "in use".
      writeFileSync(join(dataDir, "pglite.lock"), String(process.pid));
      try {
        const result = await ccam("versions");
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`in use by process ${process.pid}.*DATABASE_URL`));
      } finally {
        rmSync(join(dataDir, "pglite.lock"));
      }
    },
  );
});
