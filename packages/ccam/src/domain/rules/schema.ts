import { z } from "zod";
import { ActCodeSchema, VersionIdSchema } from "../model.js";

/** YYYY-MM-DD that is also a real calendar day (2026-02-30 is refused). */
export const CalendarDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date is YYYY-MM-DD")
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }, "not a calendar date");

/** Code association (Livre III, art. III-3): 1 = 100 %, 2 = 50 %, 3 = 75 %, 4 and 5 = 100 % by derogation. */
export const AssociationCodeSchema = z.enum(["1", "2", "3", "4", "5"]);
export type AssociationCode = z.infer<typeof AssociationCodeSchema>;

/** One line to bill: act code × activity × phase, with its modifiers and optional association code. */
export const ValidationActSchema = z.object({
  code: ActCodeSchema,
  activity: z.number().int().min(1).max(5),
  phase: z.number().int().min(0).max(3),
  /** Modifier codes, one character each (e.g. "J", "K", "7"). */
  modifiers: z
    .array(z.string().regex(/^[A-Z0-9]$/, "a modifier is one capital letter or digit"))
    .max(20)
    .optional(),
  /** The association code the coder entered, if any; compared with the computed one. */
  associationCode: AssociationCodeSchema.optional(),
  /** Extension documentaire (one character), required by the PMSI on anaesthesia lines. */
  extension: z
    .string()
    .regex(/^[A-Z0-9]$/, "an extension documentaire is one character")
    .optional(),
});
export type ValidationAct = z.infer<typeof ValidationActSchema>;

export const ValidationInputSchema = z.object({
  /** Date of the acts (YYYY-MM-DD): selects the version and checks each code's validity dates. */
  date: CalendarDateSchema,
  /** CCAM version to use (e.g. V81); default: the one in force at `date`. */
  version: VersionIdSchema.optional(),
  /** Tariff column: secteur 1 / OPTAM adherents (column 1, default) or the others (column 2). */
  setting: z.enum(["secteur1", "hors_secteur1"]).optional(),
  patient: z
    .object({
      sex: z.enum(["M", "F"]),
      ageYears: z.number().min(0).max(130),
    })
    .optional(),
  /** The lines of one session (same patient, same time); at most 50. */
  acts: z.array(ValidationActSchema).min(1).max(50),
});
export type ValidationInput = z.infer<typeof ValidationInputSchema>;

export const IssueSeveritySchema = z.enum(["blocking", "warning"]);

export const ValidationIssueSchema = z.object({
  /** Stable rule id, e.g. "code-exists", "modifier-allowed", "association-code" (see docs/rules.md). */
  rule: z.string(),
  severity: IssueSeveritySchema,
  code: z.string().optional(),
  /** In French, citing what the rule rests on. */
  message: z.string(),
  /** The source: note text, modifier table, "Dispositions générales, article I-11", … */
  reference: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ValidationLineSchema = z.object({
  code: z.string(),
  activity: z.number().int(),
  phase: z.number().int(),
  modifiers: z.array(z.string()),
  /** Computed association code (or the user's when it is an accepted derogation); null = none. */
  associationCode: z.string().nullable(),
  /** Tariff of the line in the chosen column, before modifiers; null when not reimbursed or unknown. */
  baseAmount: z.number().nullable(),
  /** Association rate applied to base × (1 + Σ percentages): 1, 0.75, 0.5, or 0 when not billable. */
  rate: z.number(),
  /** round₂(base × (1 + Σ%) × rate) + Σ fixed amounts; null when the base is null. */
  amount: z.number().nullable(),
});
export type ValidationLine = z.infer<typeof ValidationLineSchema>;

export const ValidationResultSchema = z.object({
  valid: z.boolean(),
  /** The referential version the input was checked against. */
  version: z.string(),
  issues: z.array(ValidationIssueSchema),
  lines: z.array(ValidationLineSchema),
  total: z.number(),
});
export type ValidationResult = z.infer<typeof ValidationResultSchema>;
