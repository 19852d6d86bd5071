import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { parse } from "csv-parse/sync";
import type ExcelJS from "exceljs";
import { ReferentialParseError, type SourceRow } from "../domain/parse.js";

export type SourceFormat = "csv" | "xlsx";

export interface SourceFile {
  fileName: string;
  format: SourceFormat;
  sha256: string;
  rows: SourceRow[];
}

/** Reads the official export (CSV or XLSX, detected from its content) into rows with their line numbers. */
export async function readSourceFile(path: string): Promise<SourceFile> {
  const bytes = await readFile(path);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const format = detectFormat(bytes, path);
  const rows = format === "xlsx" ? await xlsxRows(bytes) : csvRows(bytes);
  return { fileName: basename(path), format, sha256, rows };
}

function detectFormat(bytes: Buffer, path: string): SourceFormat {
  // An XLSX file is a ZIP archive: "PK\x03\x04".
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304) return "xlsx";
  if (extname(path).toLowerCase() === ".xlsx") {
    throw new ReferentialParseError(1, "the file has an .xlsx name but is not an XLSX (ZIP) file");
  }
  return "csv";
}

/** UTF-8 (with or without BOM) as published; a Windows-1252 re-save is accepted too. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

export function csvRows(bytes: Uint8Array): SourceRow[] {
  const text = decodeText(bytes);
  if (text.includes("\u0000")) throw new ReferentialParseError(1, "the file is binary, not a CSV export");
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { relax_column_count: true, info: true, bom: true }) as unknown as typeof records;
  } catch (error) {
    const { lines, message } = error as { lines?: number; message: string };
    throw new ReferentialParseError(lines ?? 1, `not a readable CSV file (${message})`);
  }
  // csv-parse reports the line a record ends on; a record starts right after the previous one.
  let start = 1;
  return records.map(({ record, info }) => {
    const row = { line: start, cells: record };
    start = info.lines + 1;
    return row;
  });
}

export async function xlsxRows(bytes: Uint8Array): Promise<SourceRow[]> {
  // Loaded on first use: exceljs and its zip stack are ≈ 1.5 MB of code that a CSV import never needs (decision 0011).
  const { default: excel } = await import("exceljs");
  const workbook = new excel.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw new ReferentialParseError(1, `not a readable XLSX file (${(error as Error).message})`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new ReferentialParseError(1, "the workbook has no sheet");
  const rows: SourceRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    for (let column = 1; column <= Math.max(row.cellCount, 11); column++) {
      cells.push(cellText(row.getCell(column)));
    }
    rows.push({ line: rowNumber, cells });
  });
  return rows;
}

function cellText(cell: ExcelJS.Cell): string {
  const value = cell.value;
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  return cell.text;
}
