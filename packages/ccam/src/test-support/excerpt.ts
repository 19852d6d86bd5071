import { readFileSync } from "node:fs";
import type { ParsedReferential, ReferentialVersion } from "../domain/model.js";
import { parseReferential } from "../domain/parse.js";
import { Referential } from "../domain/referential.js";
import { csvRows } from "../import/read.js";

export const EXCERPT_PATH = new URL("../../test-fixtures/ameli-excerpt.csv", import.meta.url).pathname;

/** The hand-written excerpt in the official layout, parsed afresh (callers may mutate it). */
export function parseExcerpt(): ParsedReferential {
  return parseReferential(csvRows(readFileSync(EXCERPT_PATH)));
}

export function referentialOf(
  parsed: ParsedReferential,
  overrides: Partial<ReferentialVersion> = {},
): Referential {
  return new Referential(
    {
      ...parsed.meta,
      sourceSha256: "0".repeat(64),
      sourceFile: "excerpt.csv",
      importedAt: "2027-01-01T00:00:00.000Z",
      stats: { acts: parsed.acts.length, lines: 0, chapters: 0, notes: 0, modifiers: 0, skipped: 0 },
      ...overrides,
    },
    parsed,
  );
}
