import { ActCodeSchema, ValidationResultSchema } from "@ccam/ccam";
import { z } from "zod";
import { AnchorProofSchema, SuggestionResultSchema } from "./ports.js";

const dateOrDateTime = z
  .string()
  .refine(
    (v) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v)),
    {
      message: "expected a date (YYYY-MM-DD) or an ISO 8601 date-time",
    },
  )
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00Z` : v).toISOString());

export const PatientSchema = z.object({
  sex: z.enum(["M", "F"]),
  ageYears: z.number().int().min(0).max(130),
});

export const ActCreateSchema = z.object({
  /** The site's patient identifier (IPP…): pseudonymised at the door, never stored or logged in clear. */
  patientId: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\p{L}\p{N} ._/-]+$/u, "letters, digits, spaces and . _ / - only"),
  performedAt: dateOrDateTime,
  specialty: z.string().trim().min(1).max(80).optional(),
  text: z.string().trim().min(3, "the clinical text is empty").max(20_000),
  setting: z.enum(["secteur1", "hors_secteur1"]).optional(),
  patient: PatientSchema.optional(),
  /** The patient agreed to the processing (recorded with the act). */
  consent: z.boolean().default(true),
});
export type ActCreate = z.infer<typeof ActCreateSchema>;

/** Suggestions while the text is being typed: nothing is stored, so no patient identifier is needed. */
export const SuggestionPreviewSchema = ActCreateSchema.pick({
  text: true,
  specialty: true,
  patient: true,
}).extend({
  performedAt: dateOrDateTime.optional(),
});
export type SuggestionPreview = z.infer<typeof SuggestionPreviewSchema>;

export const ActStatusSchema = z.enum(["pending", "validated", "overridden"]);

export const ActFilterSchema = z.object({
  status: ActStatusSchema.optional(),
  from: dateOrDateTime.optional(),
  to: dateOrDateTime.optional(),
  specialty: z.string().trim().min(1).max(80).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export type ActFilter = z.infer<typeof ActFilterSchema>;

export const CodeLineInputSchema = z.object({
  code: z
    .string()
    .transform((c) => c.trim().toUpperCase())
    .pipe(ActCodeSchema),
  activity: z.number().int().min(1).max(5),
  phase: z.number().int().min(0).max(3),
  modifiers: z
    .array(z.string().regex(/^[A-Z0-9]$/, "a modifier is one capital letter or digit"))
    .max(4)
    .optional(),
});
export type CodeLineInput = z.infer<typeof CodeLineInputSchema>;
export type DecisionCodes = (Omit<CodeLineInput, "modifiers"> & { modifiers: string[] })[];

export const ValidationBodySchema = z.object({ codes: z.array(CodeLineInputSchema).min(1).max(20) });
export const OverrideBodySchema = ValidationBodySchema.extend({
  justification: z.string().max(4000),
});

export const ActViewSchema = z.object({
  id: z.uuid(),
  pseudonym: z.string(),
  performedAt: z.string(),
  specialty: z.string().nullable(),
  setting: z.enum(["secteur1", "hors_secteur1"]).nullable(),
  consent: z.boolean(),
  status: ActStatusSchema,
  referentialVersion: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  codes: z.array(
    z.object({
      code: z.string(),
      activity: z.number().int(),
      phase: z.number().int(),
      modifiers: z.array(z.string()),
      associationCode: z.string().nullable(),
      amount: z.number().nullable(),
    }),
  ),
  /** Only for roles allowed to read clinical text; null once the patient's data was erased. */
  text: z.string().nullable().optional(),
  patient: PatientSchema.nullable().optional(),
  erased: z.boolean().optional(),
});
export type ActView = z.infer<typeof ActViewSchema>;

/** POST /actes: the act (pending) and its first suggestions. */
export const ActCreatedSchema = z.object({ act: ActViewSchema, suggestions: SuggestionResultSchema });
export type ActCreated = z.infer<typeof ActCreatedSchema>;

/** POST /validation/{id} and …/override: the act as decided, the rule engine's answer, the override's signature. */
export const DecisionSchema = z.object({
  act: ActViewSchema,
  validation: ValidationResultSchema,
  signature: z.object({ signature: z.string(), signer: z.string() }).optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const AuditEntrySchema = z.object({
  position: z.number().int(),
  kind: z.string(),
  actor: z.object({ id: z.string(), roles: z.array(z.string()) }),
  at: z.string(),
  requestId: z.string().nullable(),
  payload: z.unknown(),
  payloadHash: z.string(),
  prevHash: z.string(),
  entryHash: z.string(),
  anchor: AnchorProofSchema.nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** GET /audit/{id}: the act's audit trail, with anchoring proofs. */
export const AuditTrailSchema = z.object({ actId: z.uuid(), entries: z.array(AuditEntrySchema) });
export type AuditTrail = z.infer<typeof AuditTrailSchema>;

/** GET /audit/{id}/verify: the hash chain, each proof and each root against the chain. */
export const VerificationSchema = z.object({
  actId: z.uuid(),
  verified: z.boolean(),
  chain: z.union([
    z.object({ ok: z.literal(true), length: z.number().int() }),
    z.object({
      ok: z.literal(false),
      firstBreak: z.object({ position: z.number().int(), reason: z.string() }),
    }),
  ]),
  entries: z.array(
    z.object({
      position: z.number().int(),
      kind: z.string(),
      entryHash: z.string(),
      anchor: z.object({ anchored: z.boolean(), ok: z.boolean().nullable(), detail: z.string() }),
    }),
  ),
  differences: z.array(z.string()),
});
export type Verification = z.infer<typeof VerificationSchema>;
