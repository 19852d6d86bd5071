import { z } from "zod";
import type { Act, ActLine } from "./model.js";

export const FieldChangeSchema = z.object({ field: z.string(), from: z.unknown(), to: z.unknown() });
export type FieldChange = z.infer<typeof FieldChangeSchema>;

const ActRefSchema = z.object({ code: z.string(), label: z.string() });

export const ReferentialDiffSchema = z.object({
  from: z.string(),
  to: z.string(),
  added: z.array(ActRefSchema),
  removed: z.array(ActRefSchema),
  changed: z.array(
    z.object({ code: z.string(), fields: z.array(z.string()), changes: z.array(FieldChangeSchema) }),
  ),
});
export type ReferentialDiff = z.infer<typeof ReferentialDiffSchema>;

interface Versioned {
  version: { version: string };
  acts: ReadonlyMap<string, Act>;
}

const ACT_FIELDS = ["label", "chapter", "shortLabel", "type", "sex", "startDate", "endDate"] as const;
const LINE_FIELDS = [
  "tariffSecteur1",
  "tariffHorsSecteur1",
  "reimbursementConditions",
  "priorApproval",
  "exoTm",
  "regroupement",
  "label",
] as const;

/** What changed from one version to another, act by act, field by field. Codes are listed in code order. */
export function diffReferentials(from: Versioned, to: Versioned): ReferentialDiff {
  const added: ReferentialDiff["added"] = [];
  const removed: ReferentialDiff["removed"] = [];
  const changed: ReferentialDiff["changed"] = [];
  const codes = [...new Set([...from.acts.keys(), ...to.acts.keys()])].sort();
  for (const code of codes) {
    const before = from.acts.get(code);
    const after = to.acts.get(code);
    if (!before && after) added.push({ code, label: after.label });
    else if (before && !after) removed.push({ code, label: before.label });
    else if (before && after) {
      const changes = diffAct(before, after);
      if (changes.length > 0)
        changed.push({ code, fields: [...new Set(changes.map((c) => c.field))], changes });
    }
  }
  return { from: from.version.version, to: to.version.version, added, removed, changed };
}

function diffAct(before: Act, after: Act): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of ACT_FIELDS) {
    if (before[field] !== after[field]) changes.push({ field, from: before[field], to: after[field] });
  }
  for (const field of ["modifiers", "complementary"] as const) {
    if (before[field].join(",") !== after[field].join(",")) {
      changes.push({ field, from: before[field], to: after[field] });
    }
  }
  const notesBefore = before.notes.map((n) => n.text);
  const notesAfter = after.notes.map((n) => n.text);
  if (notesBefore.join("\n") !== notesAfter.join("\n"))
    changes.push({ field: "notes", from: notesBefore, to: notesAfter });
  const linesBefore = new Map(before.lines.map((l) => [lineKey(l), l]));
  const linesAfter = new Map(after.lines.map((l) => [lineKey(l), l]));
  for (const key of new Set([...linesBefore.keys(), ...linesAfter.keys()])) {
    const a = linesBefore.get(key);
    const b = linesAfter.get(key);
    if (!a || !b) {
      changes.push({ field: "lines", from: a ? key : null, to: b ? key : null });
      continue;
    }
    for (const field of LINE_FIELDS) {
      if (a[field] !== b[field])
        changes.push({ field: `lines[${key}].${field}`, from: a[field], to: b[field] });
    }
  }
  return changes;
}

/** "4-0": activity 4, phase 0. */
function lineKey(line: ActLine): string {
  return `${line.activity}-${line.phase}`;
}
