import { z } from "zod";

/** `AHQB027`: 4 letters (topography, action, approach, technique) and a 3-digit counter. */
export const ActCodeSchema = z
  .string()
  .regex(/^[A-Z]{4}[0-9]{3}$/, "a CCAM code is 4 capital letters and 3 digits, e.g. AHQB027");
export type ActCode = z.infer<typeof ActCodeSchema>;

/** `V81`: the Assurance Maladie version number. */
export const VersionIdSchema = z.string().regex(/^V\d{1,4}$/, "a version id looks like V81");
export type VersionId = z.infer<typeof VersionIdSchema>;

export const IsoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date is YYYY-MM-DD");

/** Note categories, from the note's leading words in the official sheet. */
export const NoteKindSchema = z.enum([
  "exclusion", // À l'exclusion de :
  "billing", // Facturation :
  "indication", // Indication(s) :
  "with_or_without", // Avec ou sans :
  "includes", // Comprend : / Inclut :
  "training", // Formation :
  "environment", // Environnement :
  "data_collection", // Recueil prospectif de données :
  "definition", // Par X, on entend :
  "other",
]);
export type NoteKind = z.infer<typeof NoteKindSchema>;

export const NoteSchema = z.object({ kind: NoteKindSchema, text: z.string() });
export type Note = z.infer<typeof NoteSchema>;

/** Euros with 2 decimals; `null` means "Non pris en charge" (no reimbursable tariff). */
export const TariffSchema = z.number().nullable();

/** One billable line of an act: an activity (1–5) × a phase (0–3). */
export const ActLineSchema = z.object({
  activity: z.number().int().min(1).max(5),
  phase: z.number().int().min(0).max(3),
  /** Row text when the line has its own label: "anesthésie", "Phase 1 : …", "Activité 2 : …". */
  label: z.string().nullable(),
  tariffSecteur1: TariffSchema,
  tariffHorsSecteur1: TariffSchema,
  /** RC: reimbursed only under the stated conditions. */
  reimbursementConditions: z.boolean(),
  /** AP: prior approval of the medical service required. */
  priorApproval: z.boolean(),
  /** Exo TM code(s) as printed, e.g. "2" or "1-7". */
  exoTm: z.string().nullable(),
  /** Regroupement (ADC, ADA, ATM, ADI, ADE, …). */
  regroupement: z.string().nullable(),
  /** ICR (indice de coût relatif), from the ATIH tables when present. */
  icr: z.number().nullable(),
});
export type ActLine = z.infer<typeof ActLineSchema>;

export const SexCompatibilitySchema = z.enum(["any", "male", "female"]);
export const ActTypeSchema = z.enum(["act", "procedure", "complement"]);

export const ActSchema = z.object({
  code: ActCodeSchema,
  label: z.string(),
  /** Official short label (rich in abbreviations), from the ATIH tables. */
  shortLabel: z.string().nullable(),
  /** Chapter path, e.g. "01.01.01.01". */
  chapter: z.string(),
  /** ATIH type_acte: isolated act, procedure, or complementary act (geste complémentaire / supplément). */
  type: ActTypeSchema.nullable(),
  sex: SexCompatibilitySchema.nullable(),
  /** Validity dates from the ATIH tables (null when unknown). */
  startDate: IsoDateSchema.nullable(),
  endDate: IsoDateSchema.nullable(),
  /** Modifiers allowed on this act (the bracketed list under the act). */
  modifiers: z.array(z.string()),
  /** Acts that may be coded with this one (complementary acts, complementary anaesthesia). */
  complementary: z.array(ActCodeSchema),
  notes: z.array(NoteSchema),
  lines: z.array(ActLineSchema),
});
export type Act = z.infer<typeof ActSchema>;

export const ChapterSchema = z.object({
  /** "01", "01.01", … "19.03.04". */
  path: z.string(),
  title: z.string(),
  notes: z.array(NoteSchema),
});
export type Chapter = z.infer<typeof ChapterSchema>;

export const ModifierRateSchema = z.object({
  /** Who/when this rate applies to, as written in the table. */
  condition: z.string(),
  kind: z.enum(["percent", "amount"]),
  /** Percent (e.g. 6.5 for +6.5 %) or euros, for column 1 (secteur 1 / OPTAM) and column 2. */
  secteur1: z.number(),
  horsSecteur1: z.number(),
});
export type ModifierRate = z.infer<typeof ModifierRateSchema>;

export const ModifierSchema = z.object({
  code: z.string().length(1),
  chapter: z.string(),
  label: z.string(),
  rates: z.array(ModifierRateSchema),
  notes: z.array(NoteSchema),
});
export type Modifier = z.infer<typeof ModifierSchema>;

export const VersionMetaSchema = z.object({
  version: VersionIdSchema,
  number: z.number().int(),
  /** The title row, e.g. "CNAM - CCAM version 81 applicable 01/01/2026". */
  name: z.string(),
  effectiveDate: IsoDateSchema,
});
export type VersionMeta = z.infer<typeof VersionMetaSchema>;

/** A row the parser read but did not keep, with the reason (reported, never silent). */
export const SkippedRowSchema = z.object({ line: z.number().int(), reason: z.string() });
export type SkippedRow = z.infer<typeof SkippedRowSchema>;

/** Everything one official export contains, as parsed (before storage). */
export interface ParsedReferential {
  meta: VersionMeta;
  chapters: Chapter[];
  acts: Act[];
  modifiers: Modifier[];
  skipped: SkippedRow[];
}

export const ReferentialVersionSchema = VersionMetaSchema.extend({
  sourceSha256: z.string().regex(/^[0-9a-f]{64}$/),
  sourceFile: z.string(),
  importedAt: z.string(),
  stats: z.object({
    acts: z.number().int(),
    lines: z.number().int(),
    chapters: z.number().int(),
    notes: z.number().int(),
    modifiers: z.number().int(),
    skipped: z.number().int(),
  }),
});
export type ReferentialVersion = z.infer<typeof ReferentialVersionSchema>;
