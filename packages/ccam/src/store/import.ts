import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { loadSource } from "../import/load.js";
import type { ImportOutcome, ImportProgress, ReferentialStore } from "./repository.js";

export interface ImportFileOptions {
  nomenslandDir?: string | undefined;
  onProgress?: ((progress: ImportProgress) => void) | undefined;
}

export interface ImportSummary {
  status: ImportOutcome["status"];
  version: string;
  effectiveDate: string;
  acts: number;
  lines: number;
  chapters: number;
  notes: number;
  sha256: string;
  skipped: number;
  /** What the parser kept out, with the line and reason. */
  skippedRows: { line: number; reason: string }[];
  /** Acts absent from the ATIH enrichment tables (null when enrichment was not available). */
  notEnriched: number | null;
}

/** Imports one official export file; a file already imported (same sha256) is recognised before parsing. */
export async function importReferentialFile(
  store: ReferentialStore,
  path: string,
  options: ImportFileOptions = {},
): Promise<ImportSummary> {
  const sha256 = createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
  const existing = await store.findBySha256(sha256);
  if (existing) return summary("already_imported", existing, [], null);
  const loaded = await loadSource(path, options.nomenslandDir);
  const outcome = await store.importSource(loaded, options.onProgress);
  return summary(
    outcome.status,
    outcome.version,
    loaded.parsed.skipped,
    loaded.enrichment?.missing.length ?? null,
  );
}

function summary(
  status: ImportOutcome["status"],
  version: ImportOutcome["version"],
  skippedRows: ImportSummary["skippedRows"],
  notEnriched: number | null,
): ImportSummary {
  return {
    status,
    version: version.version,
    effectiveDate: version.effectiveDate,
    acts: version.stats.acts,
    lines: version.stats.lines,
    chapters: version.stats.chapters,
    notes: version.stats.notes,
    sha256: version.sourceSha256,
    skipped: version.stats.skipped,
    skippedRows,
    notEnriched,
  };
}
