import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Runs the built binary (`npm test` builds first) on an embedded database holding V81.
const BIN = resolve("packages/cli/bin/ccam.js");
const SHARED = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const dataDir = mkdtempSync(join(tmpdir(), "ccam-cli-coder-"));
const { DATABASE_URL: _url, ...inherited } = process.env;
const env = { ...inherited, CCAM_DATA_DIR: dataDir, CCAM_SHARED_DIR: SHARED };

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

beforeAll(async () => {
  const imported = await ccam("import", join(SHARED, "ccam/ameli/CCAM_V81_2026-01-01.csv"), "--json");
  expect(imported.code).toBe(0);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("ccam suggest / eval", () => {
  it("suggests codes as JSON and as a table", async () => {
    const json = await ccam("suggest", "Cholécystectomie sous cœlioscopie", "--date", "2026-03-01", "--json");
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ engine: "offline", referentialVersion: "V81" });
    expect(result.suggestions[0]).toMatchObject({ code: "HMFC004", activity: 1, phase: 0 });
    const table = await ccam("suggest", "Cholécystectomie sous cœlioscopie", "--limit", "3");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("HMFC004");
  });

  it("evaluates a JSONL file", async () => {
    const cases = join(dataDir, "cases.jsonl");
    writeFileSync(
      cases,
      [
        {
          id: "a",
          text: "cholécystectomie par coelioscopie",
          expected: ["HMFC004"],
          acceptable: [],
          specialty: "x",
        },
        { id: "b", text: "radiographie du thorax", expected: ["ZBQK002"], acceptable: [], specialty: "y" },
      ]
        .map((c) => JSON.stringify(c))
        .join("\n"),
    );
    const json = await ccam("eval", "--cases", cases, "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ n: 2, top5: 1 });
    const table = await ccam("eval", "--cases", cases);
    expect(table.stdout).toContain("top-1");
  });

  it("refuses bad input with exit code 2", async () => {
    expect((await ccam("suggest", "x", "--date", "01/03/2026")).code).toBe(2);
    expect((await ccam("suggest", "   ")).code).toBe(2);
    expect((await ccam("eval", "--cases", join(dataDir, "missing.jsonl"))).code).toBe(2);
    const bad = join(dataDir, "bad.jsonl");
    writeFileSync(bad, '{"id": "a"}\n');
    const result = await ccam("eval", "--cases", bad);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("line 1");
  });
});
