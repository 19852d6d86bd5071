import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ccamMigrations,
  csvRows,
  importReferentialFile,
  ReferentialParseError,
  ReferentialStore,
  VersionConflictError,
} from "@ccam/ccam";
import { type DatabaseHandle, openTestDatabase } from "@ccam/db";
import { sql } from "drizzle-orm";
import ExcelJS from "exceljs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordResult } from "./results.js";

/**
 * The CCAM importer fed corrupted exports (fast-check): truncated, bytes flipped, garbage inserted, rows
 * shuffled, dropped or duplicated, cells replaced by garbage, other encodings, broken XLSX archives and cells.
 * Every outcome is either a complete import (row counts grow by exactly what the parser read) or a clear error
 * that names the line (ReferentialParseError) or the version conflict; never another exception, a hang, or a
 * partially written version.
 */

const EXCERPT = new URL("../../../ccam/test-fixtures/ameli-excerpt.csv", import.meta.url);
const TABLES = [
  "referential_versions",
  "ccam_chapters",
  "ccam_acts",
  "ccam_act_lines",
  "ccam_act_complements",
  "ccam_notes",
  "ccam_modifiers",
] as const;
const CSV_RUNS = Number(process.env.CCAM_FAULTS_IMPORT_RUNS ?? 1000);
const XLSX_RUNS = Math.ceil(CSV_RUNS / 4);
/** A single import of the 48-line excerpt takes milliseconds: longer is a hang. */
const IMPORT_TIMEOUT_MS = 10_000;

type Counts = Record<(typeof TABLES)[number], number>;

let handle: DatabaseHandle;
let store: ReferentialStore;
let dir: string;
const original = readFileSync(EXCERPT);
const outcomes = { imported: 0, already: 0, parseError: 0, conflict: 0 };

async function counts(): Promise<Counts> {
  const result = {} as Counts;
  for (const table of TABLES) {
    const rows = (await handle.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as {
      rows: { n: number }[];
    };
    result[table] = Number(rows.rows[0]?.n);
  }
  return result;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (hang)`)), ms);
    }),
  ]);
}

/** Imports one corrupted file and checks the all-or-nothing, clear-error contract. */
async function importCorrupted(bytes: Uint8Array, name: string): Promise<void> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const before = await counts();
  let error: unknown;
  let summary: Awaited<ReturnType<typeof importReferentialFile>> | undefined;
  try {
    summary = await withTimeout(importReferentialFile(store, path), IMPORT_TIMEOUT_MS, `import of ${name}`);
  } catch (caught) {
    error = caught;
  }
  const after = await counts();
  if (error !== undefined) {
    if (error instanceof ReferentialParseError) {
      outcomes.parseError++;
      expect(error.message).toMatch(/^line \d+: \S/);
      expect(error.line).toBeGreaterThanOrEqual(1);
      const physicalLines = Buffer.from(bytes).toString("latin1").split("\n").length;
      expect(error.line).toBeLessThanOrEqual(Math.max(physicalLines, 2) + 1);
    } else if (error instanceof VersionConflictError) {
      outcomes.conflict++;
    } else {
      throw new Error(`unclear failure on ${name}: ${(error as Error)?.stack ?? String(error)}`);
    }
    // Nothing written.
    expect(after).toEqual(before);
    return;
  }
  if (!summary) throw new Error("no summary");
  if (summary.status === "already_imported") {
    outcomes.already++;
    expect(after).toEqual(before);
    return;
  }
  outcomes.imported++;
  // A complete version: exactly what the parser read, and it loads back whole.
  expect(after.referential_versions).toBe(before.referential_versions + 1);
  expect(after.ccam_acts - before.ccam_acts).toBe(summary.acts);
  expect(after.ccam_act_lines - before.ccam_act_lines).toBe(summary.lines);
  expect(after.ccam_chapters - before.ccam_chapters).toBe(summary.chapters);
  const loaded = await store.loadVersion(summary.version);
  expect(loaded?.acts.size).toBe(summary.acts);
}

// --- CSV corruptions ---------------------------------------------------------------------------------------

const garbageCell = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    "1e309",
    "-5",
    "NaN",
    "99999999999999.99",
    "12,345.67",
    "0x1F",
    "Non pris en charge",
    "AAAA000",
    "ZZZZ999",
    "01.01",
    "1.0600000000000001",
    "[A, B",
    "(AAAA001, BBBB",
    "\u0000",
    "\ufeff",
    '"',
    '""',
    "\r\n",
    "=1+1",
    "6",
    "9",
    "RC",
    "AP",
    "%",
    "+%",
    "CNAM - CCAM version 0 applicable 31/02/2026",
    "CNAM - CCAM version 99999999999 applicable 01/13/0000",
    "Code",
  ),
);

const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
const toCsv = (records: readonly (readonly string[])[]) =>
  `${records.map((cells) => cells.map(quote).join(",")).join("\n")}\n`;
const records = csvRows(original).map((row) => [...row.cells]);
let nextVersion = 1000;
/** Half the record-level corruptions also get a fresh version number, so a file that still parses is written. */
const retitle = (copy: string[][], fresh: boolean) => {
  if (fresh && copy[0]?.[0] === records[0]?.[0]) {
    (copy[0] as string[])[0] = `CNAM - CCAM version ${nextVersion++} applicable 01/03/2027`;
  }
  return copy;
};

type Mutation = { describe: string; apply: (bytes: Buffer) => Buffer };

const csvMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat({ max: original.length }).map((at) => ({
    describe: `truncate at byte ${at}`,
    apply: (b: Buffer) => b.subarray(0, at),
  })),
  fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => ({
    describe: `byte ${at} := ${byte}`,
    apply: (b: Buffer) => {
      const copy = Buffer.from(b);
      copy[at] = byte;
      return copy;
    },
  })),
  fc.tuple(fc.nat({ max: original.length }), fc.string({ maxLength: 30 })).map(([at, text]) => ({
    describe: `insert ${JSON.stringify(text)} at ${at}`,
    apply: (b: Buffer) => Buffer.concat([b.subarray(0, at), Buffer.from(text), b.subarray(at)]),
  })),
  fc
    .tuple(fc.shuffledSubarray([...records.keys()], { minLength: 2 }), fc.boolean())
    .map(([picked, fresh]) => ({
      describe: `shuffle records ${picked.join(",")}`,
      apply: () => {
        const sorted = [...picked].sort((x, y) => x - y);
        const shuffled = records.map((r) => [...r]);
        sorted.forEach((target, i) => {
          shuffled[target] = [...(records[picked[i] as number] as string[])];
        });
        return Buffer.from(toCsv(retitle(shuffled, fresh)));
      },
    })),
  fc.tuple(fc.nat({ max: records.length - 1 }), fc.boolean()).map(([at, fresh]) => ({
    describe: `drop record ${at}`,
    apply: () =>
      Buffer.from(
        toCsv(
          retitle(
            records.filter((_, i) => i !== at).map((r) => [...r]),
            fresh,
          ),
        ),
      ),
  })),
  fc.tuple(fc.nat({ max: records.length - 1 }), fc.boolean()).map(([at, fresh]) => ({
    describe: `duplicate record ${at}`,
    apply: () =>
      Buffer.from(
        toCsv(
          retitle(
            records.flatMap((r, i) => (i === at ? [[...r], [...r]] : [[...r]])),
            fresh,
          ),
        ),
      ),
  })),
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat({ max: records.length - 1 }), fc.nat({ max: 12 }), garbageCell), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.boolean(),
    )
    .map(([edits, fresh]) => ({
      describe: `cells ${JSON.stringify(edits)}${fresh ? " (new version)" : ""}`,
      apply: () => {
        const copy = records.map((r) => [...r]);
        for (const [row, column, value] of edits) {
          const cells = copy[row] as string[];
          while (cells.length <= column) cells.push("");
          cells[column] = value;
        }
        return Buffer.from(toCsv(retitle(copy, fresh)));
      },
    })),
  // A new version number and date in the title: a file that still parses is a new, complete version.
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 1, max: 99_999 }), fc.constant(99_999_999_999)),
      fc.integer({ min: 0, max: 39 }),
      fc.integer({ min: 0, max: 19 }),
    )
    .map(([version, day, month]) => ({
      describe: `title version ${version} day ${day} month ${month}`,
      apply: () => {
        const copy = records.map((r) => [...r]);
        (copy[0] as string[])[0] =
          `CNAM - CCAM version ${version} applicable ${String(day).padStart(2, "0")}/${String(month).padStart(2, "0")}/2027`;
        return Buffer.from(toCsv(copy));
      },
    })),
  fc.constantFrom<Mutation>(
    {
      describe: "UTF-16LE with BOM",
      apply: (b) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.toString("utf8"), "utf16le")]),
    },
    { describe: "Latin-1 re-save", apply: (b) => Buffer.from(b.toString("utf8"), "latin1") },
    {
      describe: "UTF-8 read as Latin-1 and re-encoded (mojibake)",
      apply: (b) => Buffer.from(b.toString("latin1")),
    },
    { describe: "semicolon separated", apply: (b) => Buffer.from(b.toString("utf8").replaceAll(",", ";")) },
    { describe: "CRLF", apply: (b) => Buffer.from(b.toString("utf8").replaceAll("\n", "\r\n")) },
    { describe: "empty file", apply: () => Buffer.alloc(0) },
    { describe: "BOM only", apply: () => Buffer.from([0xef, 0xbb, 0xbf]) },
    { describe: "gzip magic", apply: (b) => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), b]) },
  ),
);

// --- XLSX corruptions --------------------------------------------------------------------------------------

async function xlsxOf(rows: readonly (readonly ExcelJS.CellValue[])[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("CCAM");
  for (const row of rows) sheet.addRow([...row]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const xlsxRecords: ExcelJS.CellValue[][] = records.map((cells) =>
  cells.map((cell) => (/^\d+\.\d\d$/.test(cell) ? Number(cell) : cell)),
);

const garbageXlsxValue: fc.Arbitrary<ExcelJS.CellValue> = fc.oneof(
  garbageCell,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.date({ noInvalidDate: true }),
  fc.constant(null),
  fc.constantFrom<ExcelJS.CellValue>(
    { formula: "1/0", result: { error: "#DIV/0!" } } as ExcelJS.CellValue,
    { richText: [{ text: "AHQP" }, { text: "001" }] },
    { text: "lien", hyperlink: "https://example.invalid" },
    { error: "#N/A" } as ExcelJS.CellValue,
  ),
);

describe("CCAM importer fed corrupted files", () => {
  let validXlsx: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ccam-faults-import-"));
    handle = await openTestDatabase([ccamMigrations]);
    store = new ReferentialStore(handle.db);
    // The genuine excerpt first: corrupted copies that still parse as V99 must then be refused as a conflict.
    writeFileSync(join(dir, "genuine.csv"), original);
    expect((await importReferentialFile(store, join(dir, "genuine.csv"))).status).toBe("imported");
    validXlsx = await xlsxOf(xlsxRecords);
  });
  afterAll(async () => {
    await handle?.close();
    rmSync(dir, { recursive: true, force: true });
    recordResult("importer", {
      scenario: "Importer fuzzing (CSV + XLSX)",
      load: `${CSV_RUNS} corrupted CSV + ${XLSX_RUNS} corrupted XLSX files`,
      faults:
        "truncation, byte flips, insertions, shuffled/dropped/duplicated rows, garbage cells, encodings",
      acknowledged: outcomes.imported,
      lost: 0,
      notes: `${outcomes.parseError} refused with the line, ${outcomes.conflict} version conflicts, ${outcomes.already} no-ops; 0 partial imports`,
    });
  });

  it(`CSV: ${CSV_RUNS} corrupted exports → a complete import or a clear error naming the line, nothing partial`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(csvMutation, async (mutation) => {
        await importCorrupted(mutation.apply(original), `corrupt-${n++}.csv`);
      }),
      { numRuns: CSV_RUNS, seed: Number(process.env.CCAM_FAULTS_SEED ?? 20260), endOnFailure: true },
    );
    console.info(`importer CSV outcomes: ${JSON.stringify(outcomes)}`);
    expect(outcomes.parseError).toBeGreaterThan(0);
  });

  it(`XLSX: ${XLSX_RUNS} corrupted workbooks (garbage cells, broken archives) → same contract`, async () => {
    let n = 0;
    const mutation = fc.oneof(
      fc
        .array(fc.tuple(fc.nat({ max: xlsxRecords.length - 1 }), fc.nat({ max: 12 }), garbageXlsxValue), {
          minLength: 1,
          maxLength: 4,
        })
        .map((edits) => async () => {
          const copy = xlsxRecords.map((r) => [...r]);
          copy[0] = [`CNAM - CCAM version ${nextVersion++} applicable 01/03/2027`];
          for (const [row, column, value] of edits) {
            const cells = copy[row] as ExcelJS.CellValue[];
            while (cells.length <= column) cells.push("");
            cells[column] = value;
          }
          return xlsxOf(copy);
        }),
      fc
        .nat({ max: 4000 })
        .map((at) => async () => validXlsx.subarray(0, Math.min(at, validXlsx.length - 1))),
      fc
        .array(fc.tuple(fc.nat({ max: 1 << 16 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        })
        .map((flips) => async () => {
          const copy = Buffer.from(validXlsx);
          for (const [at, byte] of flips) copy[4 + (at % (copy.length - 4))] = byte;
          return copy;
        }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (make) => {
        await importCorrupted(await make(), `corrupt-${n++}.xlsx`);
      }),
      { numRuns: XLSX_RUNS, seed: Number(process.env.CCAM_FAULTS_SEED ?? 20260), endOnFailure: true },
    );
    console.info(`importer outcomes after XLSX: ${JSON.stringify(outcomes)}`);
  });
});
