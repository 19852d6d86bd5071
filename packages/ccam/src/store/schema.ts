import {
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";
import type { ModifierRate, NoteKind, ReferentialVersion } from "../domain/model.js";

/** Every table below is scoped by version: versions live side by side and are never updated in place. */
export const referentialVersions = pgTable(
  "referential_versions",
  {
    id: serial("id").primaryKey(),
    version: text("version").notNull(),
    number: integer("number").notNull(),
    name: text("name").notNull(),
    effectiveDate: text("effective_date").notNull(),
    sourceSha256: text("source_sha256").notNull(),
    sourceFile: text("source_file").notNull(),
    importedAt: timestamp("imported_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
    stats: jsonb("stats").$type<ReferentialVersion["stats"]>().notNull(),
  },
  (t) => [
    unique("referential_versions_version_uq").on(t.version),
    unique("referential_versions_sha_uq").on(t.sourceSha256),
  ],
);

export const chapters = pgTable(
  "ccam_chapters",
  {
    versionId: integer("version_id").notNull(),
    path: text("path").notNull(),
    title: text("title").notNull(),
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.path] })],
);

export const acts = pgTable(
  "ccam_acts",
  {
    versionId: integer("version_id").notNull(),
    code: text("code").notNull(),
    label: text("label").notNull(),
    shortLabel: text("short_label"),
    chapter: text("chapter").notNull(),
    type: text("type"),
    sex: text("sex"),
    startDate: text("start_date"),
    endDate: text("end_date"),
    modifiers: text("modifiers").array().notNull(),
    position: integer("position").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.versionId, t.code] }),
    index("ccam_acts_chapter_idx").on(t.versionId, t.chapter),
  ],
);

export const actLines = pgTable(
  "ccam_act_lines",
  {
    versionId: integer("version_id").notNull(),
    code: text("code").notNull(),
    activity: smallint("activity").notNull(),
    phase: smallint("phase").notNull(),
    label: text("label"),
    tariffSecteur1: numeric("tariff_secteur1", { precision: 10, scale: 2, mode: "number" }),
    tariffHorsSecteur1: numeric("tariff_hors_secteur1", { precision: 10, scale: 2, mode: "number" }),
    reimbursementConditions: boolean("reimbursement_conditions").notNull(),
    priorApproval: boolean("prior_approval").notNull(),
    exoTm: text("exo_tm"),
    regroupement: text("regroupement"),
    icr: integer("icr"),
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.code, t.activity, t.phase] })],
);

export const actComplements = pgTable(
  "ccam_act_complements",
  {
    versionId: integer("version_id").notNull(),
    code: text("code").notNull(),
    position: integer("position").notNull(),
    complementaryCode: text("complementary_code").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.versionId, t.code, t.position] }),
    index("ccam_act_complements_target_idx").on(t.versionId, t.complementaryCode),
  ],
);

export const notes = pgTable(
  "ccam_notes",
  {
    versionId: integer("version_id").notNull(),
    ownerType: text("owner_type").$type<"act" | "chapter" | "modifier">().notNull(),
    owner: text("owner").notNull(),
    position: integer("position").notNull(),
    kind: text("kind").$type<NoteKind>().notNull(),
    text: text("text").notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.ownerType, t.owner, t.position] })],
);

export const modifiers = pgTable(
  "ccam_modifiers",
  {
    versionId: integer("version_id").notNull(),
    code: text("code").notNull(),
    chapter: text("chapter").notNull(),
    label: text("label").notNull(),
    rates: jsonb("rates").$type<ModifierRate[]>().notNull(),
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.code] })],
);
