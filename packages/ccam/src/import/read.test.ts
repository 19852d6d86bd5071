import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { parseReferential, ReferentialParseError } from "../domain/parse.js";
import { csvRows, decodeText, readSourceFile } from "./read.js";

const EXCERPT = new URL("../../test-fixtures/ameli-excerpt.csv", import.meta.url);

describe("csvRows", () => {
  it("gives each record the line it starts on, across multi-line quoted cells", () => {
    const rows = csvRows(readFileSync(EXCERPT));
    expect(rows[0]).toEqual({
      line: 1,
      cells: expect.arrayContaining(["CNAM - CCAM version 99 applicable 01/03/2027"]),
    });
    // The header spans lines 2–6 (two tariff headings hold line breaks).
    expect(rows[1]?.line).toBe(2);
    expect(rows[2]?.line).toBe(7);
    const exclusion = rows.find((r) => r.cells[2]?.startsWith("À l'exclusion de : actes diagnostiques"));
    expect(exclusion?.line).toBe(11);
    const next = rows[rows.indexOf(exclusion as never) + 1];
    expect(next?.line).toBe(13);
  });

  it("names the line of an unterminated quoted cell", () => {
    const text = 'CNAM - CCAM version 81 applicable 01/01/2026,,\nCode,,Texte\n,,"never closed\n';
    expect(() => csvRows(Buffer.from(text))).toThrow(ReferentialParseError);
    expect(() => csvRows(Buffer.from(text))).toThrow(/not a readable CSV file/);
  });

  it("rejects binary content", () => {
    expect(() => csvRows(Buffer.from([0x00, 0x01, 0x02, 0x00]))).toThrow(/binary/);
  });
});

describe("decodeText", () => {
  it("reads UTF-8 and strips the BOM", () => {
    expect(decodeText(Buffer.from("\ufeffÉlectromyographie", "utf8"))).toBe("Électromyographie");
  });
  it("falls back to Windows-1252 for a re-saved export", () => {
    expect(decodeText(Buffer.from([0xc9, 0x6c, 0x65, 0x63]))).toBe("Élec");
  });
});

describe("readSourceFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "ccam-read-"));

  it("reads the XLSX publication of the same sheet to the same referential as the CSV", async () => {
    const csv = await readSourceFile(EXCERPT.pathname);
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("CCAM");
    for (const row of csv.rows) {
      // Tariffs are numbers in the spreadsheet, as in the official XLSX.
      sheet.addRow(row.cells.map((cell) => (/^\d+\.\d\d$/.test(cell) ? Number(cell) : cell)));
    }
    const path = join(dir, "excerpt.xlsx");
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));

    const xlsx = await readSourceFile(path);
    expect(xlsx.format).toBe("xlsx");
    expect(csv.format).toBe("csv");
    const fromXlsx = parseReferential(xlsx.rows);
    const fromCsv = parseReferential(csv.rows);
    expect(fromXlsx.acts).toEqual(fromCsv.acts);
    expect(fromXlsx.chapters).toEqual(fromCsv.chapters);
    expect(fromXlsx.modifiers).toEqual(fromCsv.modifiers);
    expect(xlsx.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a file named .xlsx that is not a ZIP", async () => {
    const path = join(dir, "fake.xlsx");
    writeFileSync(path, "Code,,Texte\n");
    await expect(readSourceFile(path)).rejects.toThrow(/not an XLSX/);
  });

  it("reports a corrupted XLSX clearly", async () => {
    const path = join(dir, "broken.xlsx");
    writeFileSync(path, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 7)]));
    await expect(readSourceFile(path)).rejects.toThrow(/not a readable XLSX file/);
  });
});
