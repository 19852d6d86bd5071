import { resolve } from "node:path";
import { type DatabaseHandle, openTestDatabase } from "@ccam/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Referential } from "../domain/referential.js";
import { type LoadedSource, loadSource, sharedDir, versionRecord } from "../import/load.js";
import { EXCERPT_PATH } from "../test-support/excerpt.js";
import { importReferentialFile } from "./import.js";
import { ccamMigrations, ReferentialStore, VersionConflictError } from "./repository.js";

const TABLES = [
  "referential_versions",
  "ccam_chapters",
  "ccam_acts",
  "ccam_act_lines",
  "ccam_act_complements",
  "ccam_notes",
  "ccam_modifiers",
];

async function rowCounts(handle: DatabaseHandle): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const result = await handle.db.execute(sql.raw(`select count(*)::int as n from ${table}`));
    counts[table] = Number((result as unknown as { rows: { n: number }[] }).rows[0]?.n);
  }
  return counts;
}

describe("ReferentialStore", () => {
  let handle: DatabaseHandle;
  let store: ReferentialStore;

  beforeAll(async () => {
    handle = await openTestDatabase([ccamMigrations]);
    store = new ReferentialStore(handle.db);
  });
  afterAll(async () => handle?.close());

  it("saves a version and loads back exactly what was parsed", async () => {
    const loaded = await loadSource(EXCERPT_PATH);
    const outcome = await store.importSource(loaded);
    expect(outcome.status).toBe("imported");
    const back = await store.loadVersion("V99");
    const expected = new Referential(versionRecord(loaded), loaded.parsed);
    expect([...(back?.acts.values() ?? [])]).toEqual([...expected.acts.values()]);
    expect([...(back?.chapters.values() ?? [])]).toEqual([...expected.chapters.values()]);
    expect([...(back?.modifiers.values() ?? [])]).toEqual([...expected.modifiers.values()]);
    expect(back?.version).toMatchObject({
      version: "V99",
      effectiveDate: "2027-03-01",
      sourceSha256: loaded.source.sha256,
    });
  });

  it("treats the same file again as a no-op (sha256), without touching the tables", async () => {
    const before = await rowCounts(handle);
    const summary = await importReferentialFile(store, EXCERPT_PATH);
    expect(summary).toMatchObject({ status: "already_imported", version: "V99" });
    expect(await rowCounts(handle)).toEqual(before);
  });

  it("refuses a different file that claims an already imported version", async () => {
    const loaded = await loadSource(EXCERPT_PATH);
    const altered: LoadedSource = { ...loaded, source: { ...loaded.source, sha256: "f".repeat(64) } };
    await expect(store.importSource(altered)).rejects.toThrow(VersionConflictError);
  });

  it("leaves the database unchanged when an import fails half-way (one transaction)", async () => {
    const before = await rowCounts(handle);
    const loaded = await loadSource(EXCERPT_PATH);
    loaded.parsed.meta = { ...loaded.parsed.meta, version: "V100" };
    loaded.source = { ...loaded.source, sha256: "e".repeat(64) };
    // numeric(10,2) overflows on the last act's line: chapters and acts are already inserted by then.
    const last = loaded.parsed.acts.at(-1);
    if (!last?.lines[0]) throw new Error("fixture");
    last.lines[0].tariffSecteur1 = 1e12;
    await expect(store.importSource(loaded)).rejects.toThrow();
    expect(await rowCounts(handle)).toEqual(before);
    expect((await store.listVersions()).map((v) => v.version)).toEqual(["V99"]);
  });

  it("imports the full V81 with counts that match the sheet, and loads it back", async () => {
    const file = resolve(sharedDir(), "ccam/ameli/CCAM_V81_2026-01-01.csv");
    const progress: number[] = [];
    const summary = await importReferentialFile(store, file, {
      nomenslandDir: resolve(sharedDir(), "ccam/nomensland"),
      onProgress: (p) => progress.push(p.done / p.total),
    });
    expect(summary).toMatchObject({
      status: "imported",
      version: "V81",
      effectiveDate: "2026-01-01",
      acts: 8257,
      lines: 13_439,
      chapters: 1722,
      skipped: 1,
      notEnriched: 19,
    });
    expect(progress.at(-1)).toBe(1);
    const counts = await rowCounts(handle);
    expect(counts.ccam_act_lines).toBe(13_439 + 9); // V81 plus the excerpt
    const v81 = await store.loadVersion("V81");
    expect(v81?.acts.size).toBe(8257);
    expect(v81?.line("NEKA020", 4, 0)).toMatchObject({
      tariffSecteur1: 229.9,
      regroupement: "ADA",
      icr: 145,
    });
    expect(v81?.act("NEKA020")?.shortLabel).toBe("PTH");
    const catalog = await store.loadCatalog();
    expect(catalog.atDate("2026-06-01")?.version.version).toBe("V81");
    expect(catalog.atDate("2027-06-01")?.version.version).toBe("V99");
  });
});
