import { resolve } from "node:path";
import { type EnrichmentReport, enrichReferential } from "../domain/enrich.js";
import type { ParsedReferential, ReferentialVersion } from "../domain/model.js";
import { parseReferential } from "../domain/parse.js";
import { Referential } from "../domain/referential.js";
import { readNomensland } from "./nomensland.js";
import { readSourceFile, type SourceFile } from "./read.js";

/** Where the shared CCAM data lives: `CCAM_SHARED_DIR`, else `../shared` from the working directory. */
export function sharedDir(): string {
  return resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
}

export interface LoadedSource {
  source: Omit<SourceFile, "rows">;
  parsed: ParsedReferential;
  enrichment: EnrichmentReport | undefined;
}

/** Reads, parses and enriches one official export (no database). */
export async function loadSource(path: string, nomenslandDir?: string): Promise<LoadedSource> {
  const { rows, ...source } = await readSourceFile(path);
  const parsed = parseReferential(rows);
  const tables = nomenslandDir ? await readNomensland(nomenslandDir) : undefined;
  const enrichment = tables ? enrichReferential(parsed, tables) : undefined;
  return { source, parsed, enrichment };
}

export function versionRecord(
  loaded: LoadedSource,
  importedAt = new Date().toISOString(),
): ReferentialVersion {
  const { parsed, source } = loaded;
  return {
    ...parsed.meta,
    sourceSha256: source.sha256,
    sourceFile: source.fileName,
    importedAt,
    stats: {
      acts: parsed.acts.length,
      lines: parsed.acts.reduce((sum, act) => sum + act.lines.length, 0),
      chapters: parsed.chapters.length,
      notes:
        parsed.acts.reduce((sum, act) => sum + act.notes.length, 0) +
        parsed.chapters.reduce((sum, chapter) => sum + chapter.notes.length, 0) +
        parsed.modifiers.reduce((sum, modifier) => sum + modifier.notes.length, 0),
      modifiers: parsed.modifiers.length,
      skipped: parsed.skipped.length,
    },
  };
}

/** A Referential straight from a file: for tests, evaluation and tools that need no database. */
export async function loadReferentialFromFile(path: string, nomenslandDir?: string): Promise<Referential> {
  const loaded = await loadSource(path, nomenslandDir);
  return new Referential(versionRecord(loaded), loaded.parsed);
}

/** The real V81 (or V78) from the shared folder, enriched: the fixture of integration tests. */
export function loadSharedReferential(version: "V81" | "V78" = "V81"): Promise<Referential> {
  const file = version === "V81" ? "CCAM_V81_2026-01-01.csv" : "CCAM_V78_2025-02-01.csv";
  return loadReferentialFromFile(
    resolve(sharedDir(), "ccam/ameli", file),
    resolve(sharedDir(), "ccam/nomensland"),
  );
}
