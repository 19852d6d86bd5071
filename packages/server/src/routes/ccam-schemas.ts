/**
 * The nomenclature routes' answers as zod schemas (routes/ccam.ts, routes/ccam-import.ts): pure (zod and the
 * CCAM domain schemas only), so the web app can import them through `schemas.ts`.
 */
import { ActSchema, NoteSchema, ReferentialDiffSchema, ReferentialVersionSchema } from "@ccam/ccam";
import { z } from "zod";

/** GET /ccam/versions: imported versions, oldest first. */
export const VersionListSchema = z.array(ReferentialVersionSchema);

/** GET /ccam/versions/{from}/diff/{to}. */
export { ReferentialDiffSchema };

/** GET /ccam/acts/{code}: the act with its chapter path, modifier labels and complementary acts' labels. */
export const ActDetailSchema = ActSchema.extend({
  version: z.string(),
  chapterPath: z.array(z.object({ path: z.string(), title: z.string(), notes: z.array(NoteSchema) })),
  modifierDetails: z.array(z.object({ code: z.string(), label: z.string().nullable() })),
  complementaryActs: z.array(z.object({ code: z.string(), label: z.string().nullable() })),
});
export type ActDetail = z.infer<typeof ActDetailSchema>;

/** What an import wrote (packages/ccam `ImportSummary`). */
export const ImportSummarySchema = z.object({
  status: z.enum(["imported", "already_imported"]),
  version: z.string(),
  effectiveDate: z.string(),
  acts: z.number().int(),
  lines: z.number().int(),
  chapters: z.number().int(),
  notes: z.number().int(),
  sha256: z.string(),
  skipped: z.number().int(),
  /** What the parser kept out, with the line and reason. */
  skippedRows: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  /** Acts absent from the ATIH enrichment tables (null when enrichment was not available). */
  notEnriched: z.number().int().nullable(),
});
export type ImportSummaryView = z.infer<typeof ImportSummarySchema>;

export const ImportJobStatusSchema = z.enum(["running", "imported", "skipped", "failed"]);
export type ImportJobStatus = z.infer<typeof ImportJobStatusSchema>;

/**
 * POST /ccam/imports and GET /ccam/imports/{id}: one import of an uploaded export, run in the background.
 * `skipped`: the same file (sha256) was already imported, nothing written. `failed`: `error` says why (a malformed
 * file names its line) and nothing was written.
 */
export const ImportJobSchema = z.object({
  id: z.uuid(),
  status: ImportJobStatusSchema,
  fileName: z.string(),
  bytes: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /**
   * `phase`: "en attente" (another import runs), "lecture" (reading and parsing the file), then the tables being
   * written ("chapitres", "actes", "lignes", …, `done` of `total` rows), "chargement" (into memory), "terminé".
   */
  progress: z.object({ phase: z.string(), done: z.number().int(), total: z.number().int() }),
  summary: ImportSummarySchema.optional(),
  error: z.string().optional(),
  /** The line the parser stopped at, when the file is malformed. */
  errorLine: z.number().int().optional(),
  /** The new version's source sha256 queued for registration on chain; null without a ledger in this process. */
  registration: z.enum(["queued", "failed"]).nullable().optional(),
});
export type ImportJob = z.infer<typeof ImportJobSchema>;
