import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it } from "vitest";
import { diffReferentials } from "../domain/diff.js";
import { parseReferential } from "../domain/parse.js";
import { Referential } from "../domain/referential.js";
import { type LoadedSource, loadSource, sharedDir, versionRecord } from "./load.js";
import { readSourceFile } from "./read.js";

const ameli = (file: string) => resolve(sharedDir(), "ccam/ameli", file);
const V81 = ameli("CCAM_V81_2026-01-01.csv");
const V78 = ameli("CCAM_V78_2025-02-01.csv");
const NOMENSLAND = resolve(sharedDir(), "ccam/nomensland");

describe("the official V81 and V78 exports", () => {
  let v81: LoadedSource;
  let v78: LoadedSource;
  let r81: Referential;
  let r78: Referential;

  beforeAll(async () => {
    [v81, v78] = await Promise.all([loadSource(V81, NOMENSLAND), loadSource(V78, NOMENSLAND)]);
    r81 = new Referential(versionRecord(v81), v81.parsed);
    r78 = new Referential(versionRecord(v78), v78.parsed);
  });

  it("V81: 8,257 acts, 1,722 chapters, 13,440 act × activity × phase rows of which one is a duplicate", () => {
    const { parsed } = v81;
    expect(parsed.meta).toMatchObject({ version: "V81", effectiveDate: "2026-01-01" });
    expect(parsed.acts).toHaveLength(8257);
    expect(parsed.chapters).toHaveLength(1722);
    // Our reference reading counted 13,440 line rows. The sheet itself lists BELA129 activity 1 phase 0 twice:
    // its anaesthesia row (regroupement ADA) carries activity "1" instead of "4". We keep the first and report it.
    const lines = parsed.acts.reduce((n, a) => n + a.lines.length, 0);
    expect(lines).toBe(13_439);
    expect(parsed.skipped).toEqual([
      {
        line: 3028,
        reason: 'BELA129 activity 1 phase 0 appears twice (row "anesthésie"); the first is kept',
      },
    ]);
    expect(lines + parsed.skipped.length).toBe(13_440);
    // The 19.03 modifier table, in the sheet's order.
    expect(parsed.modifiers.map((m) => m.code).join(" ")).toBe(
      "O U P S F M A E G N 9 6 8 4 5 R L J K T 3 7 D Y Z B H Q V W",
    );
  });

  it("V81: NEKA020 has activity 1 and anaesthesia activity 4 at 229.90 €", () => {
    const act = r81.act("NEKA020");
    expect(act?.lines.map((l) => [l.activity, l.phase, l.tariffSecteur1])).toEqual([
      [1, 0, 459.8],
      [4, 0, 229.9],
    ]);
    expect(act).toMatchObject({ shortLabel: "PTH", type: "act", sex: "any", chapter: "14.03.02.06" });
    expect(act?.modifiers).toContain("J");
    expect(act?.complementary).toEqual(["GELE001"]);
  });

  it("V81: the modifier table gives U two rates and B +49 %", () => {
    expect(r81.modifiers.get("U")?.rates.map((r) => r.secteur1)).toEqual([25.15, 50]);
    expect(r81.modifiers.get("B")?.rates[0]).toMatchObject({
      kind: "percent",
      secteur1: 49,
      horsSecteur1: 49,
    });
    expect(r81.modifiers.get("K")?.rates.map((r) => [r.secteur1, r.horsSecteur1])).toEqual([
      [20, 20],
      [30, 25],
      [30, 30],
    ]);
  });

  it("V81: enrichment from the ATIH tables covers all but the 19 acts created after them", () => {
    expect(v81.enrichment?.missing).toHaveLength(19);
    expect(v81.enrichment?.matched).toBe(8238);
    expect(r81.act("EGFA010")?.sex).toBe("male");
  });

  it("V78: reads Excel float chapter numbers and reports its stray '*' cell", () => {
    expect(v78.parsed.meta).toMatchObject({ version: "V78", effectiveDate: "2025-02-01" });
    expect(v78.parsed.acts).toHaveLength(8242);
    expect(r78.chapters.get("01.06")?.title).toBe("ACTES THÉRAPEUTIQUES SUR LE SYSTÈME NERVEUX AUTONOME");
    expect(v78.parsed.chapters.every((c) => /^\d{2}(\.\d{2}){0,3}$/.test(c.path))).toBe(true);
    expect(v78.parsed.skipped.map((s) => s.reason)).toContain('unrecognised first cell "*" ignored');
    // The '*' row is DBPA005's anaesthesia line: it is still read.
    expect(r78.line("DBPA005", 4, 0)?.tariffSecteur1).toBe(529.68);
  });

  it("V78 → V81: 19 acts added and 4 removed", () => {
    const diff = diffReferentials(r78, r81);
    expect(diff.added.map((a) => a.code)).toEqual([
      "AANB256",
      "AJNF032",
      "AJNF129",
      "CDMP014",
      "DEGA210",
      "DELA169",
      "DENC001",
      "DENC002",
      "EJSF400",
      "HBLD099",
      "HBLD426",
      "HNFE559",
      "JGHB159",
      "JGHB283",
      "JGHB300",
      "JGHB345",
      "JGND858",
      "PDNB120",
      "PDNB429",
    ]);
    expect(diff.removed.map((a) => a.code)).toEqual(["HBLD425", "JGNJ900", "YYYY071", "YYYY600"]);
    const aafa = diff.changed.find((c) => c.code === "AAFA001");
    expect(aafa?.changes).toContainEqual({ field: "lines[1-0].tariffSecteur1", from: 661.01, to: 674.71 });
  });

  it("the same sheet saved as XLSX imports to the same referential", async () => {
    const { rows } = await readSourceFile(V81);
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("CCAM");
    for (const row of rows) sheet.addRow(row.cells.map((c) => (/^\d+\.\d\d$/.test(c) ? Number(c) : c)));
    const path = join(mkdtempSync(join(tmpdir(), "ccam-xlsx-")), "CCAM_V81.xlsx");
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const xlsx = await readSourceFile(path);
    expect(xlsx.format).toBe("xlsx");
    const parsed = parseReferential(xlsx.rows);
    expect(parsed.acts).toEqual(parseReferential(rows).acts);
    expect(parsed.chapters).toHaveLength(1722);
  }, 120_000);
});
