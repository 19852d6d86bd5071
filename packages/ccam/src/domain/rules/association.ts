import type { Act } from "../model.js";
import type { Referential } from "../referential.js";
import type { AssociationCode } from "./schema.js";

/**
 * Association of acts performed in the same session (Dispositions générales, article I-11; Livre III, article
 * III-3 B). The automatic rules follow the order Mediboard (dPccam) applies, first match wins: G1, EG1, EG2, EG3,
 * EG4, EI, GA, GB, G2. Rules that need a clinical fact the input does not carry (EA different limbs, EB trauma, EC
 * ORL cancer, EH discontinuous moments, …) are not chosen automatically; a user-given code they allow is accepted
 * with a warning (see `derogationCodes`).
 */

export interface AssociationItem {
  /** Index of the line in the input. */
  index: number;
  act: Act;
  /** Tariff before modifiers (the order of the acts rests on it). */
  base: number;
}

export interface AssociationOutcome {
  rule: string;
  /** Per input index: the association code (null = none) and whether the line is billable at all. */
  codes: Map<number, { code: AssociationCode | null; billable: boolean }>;
}

export const ASSOCIATION_RATES: Record<AssociationCode, number> = {
  "1": 1,
  "2": 0.5,
  "3": 0.75,
  "4": 1,
  "5": 1,
};

export type SetAsideKind = "complement" | "supplement" | "interventional";

const trail = (act: Act, depth: number) => act.chapter.split(".").slice(0, depth).join(".");

/** Geste complémentaire (18.02, type 2, or listed by another act of the session), supplément (19.02), or 19.01.09.02 imaging. */
export function setAsideKind(act: Act, session: readonly Act[]): SetAsideKind | undefined {
  if (act.chapter.startsWith("19.02")) return "supplement";
  if (act.chapter.startsWith("19.01.09.02")) return "interventional";
  if (act.type === "complement" || act.chapter.startsWith("18.02")) return "complement";
  if (session.some((other) => other !== act && other.complementary.includes(act.code))) return "complement";
  return undefined;
}

export function isConventionalRadiology(act: Act, referential: Referential): boolean {
  const level3 = trail(act, 3);
  return (
    level3.split(".").length === 3 && /^Radiographie/i.test(referential.chapters.get(level3)?.title ?? "")
  );
}
const isAnatomopathology = (act: Act) => act.code[3] === "X";
const isElectromyography = (act: Act) =>
  ["01.01.01.01", "01.01.01.02", "01.01.01.03"].includes(trail(act, 4));
const isIrradiation = (act: Act) => act.chapter.startsWith("17.04.02") || act.chapter.startsWith("19.01.10");

const byTariff = (items: AssociationItem[]) =>
  [...items].sort((a, b) => b.base - a.base || a.index - b.index);

/** Computes the association codes of the billable acts of one practitioner (one activity group) in one session. */
export function associate(items: readonly AssociationItem[], referential: Referential): AssociationOutcome {
  const codes = new Map<number, { code: AssociationCode | null; billable: boolean }>();
  const set = (item: AssociationItem, code: AssociationCode | null, billable = true) =>
    codes.set(item.index, { code, billable });
  const acts = items.map((i) => i.act);
  const aside = new Map(items.map((i) => [i.index, setAsideKind(i.act, acts)]));
  const main = byTariff(items.filter((i) => !aside.get(i.index)));
  const asideItems = items.filter((i) => aside.get(i.index));

  /** Main acts by descending tariff: 1st code 1, 2nd code 2, others not billable; set-aside acts code 1. */
  const general = (rule: string, ordered = main, rest = asideItems): AssociationOutcome => {
    ordered.forEach((item, position) => {
      if (position === 0) set(item, "1");
      else if (position === 1) set(item, "2");
      else set(item, null, false);
    });
    for (const item of rest) set(item, "1");
    return { rule, codes };
  };

  if (items.length <= 1) {
    for (const item of items) set(item, null);
    return { rule: "G1", codes };
  }
  // EG1: two acts of 19.01.09.02 (interventional imaging) are both billed at full rate, code 1.
  const interventional = items.filter((i) => aside.get(i.index) === "interventional");
  if (interventional.length === 2) {
    const ordered = byTariff(
      items.filter((i) => !aside.get(i.index) || aside.get(i.index) === "interventional"),
    );
    for (const [p, item] of ordered.entries()) set(item, p < 2 ? "1" : null, p < 2);
    for (const item of asideItems.filter((i) => aside.get(i.index) !== "interventional")) set(item, "1");
    return { rule: "EG1", codes };
  }
  // EG2 / EG3: anatomopathology (letter 4 = X) and EMG/conduction (01.01.01.01–03) go at full rate.
  for (const [rule, family] of [
    ["EG2", isAnatomopathology],
    ["EG3", isElectromyography],
  ] as const) {
    const members = items.filter((i) => family(i.act));
    if (members.length === 0) continue;
    const others = items.filter((i) => !family(i.act) && !i.act.chapter.startsWith("19.02"));
    if (members.length === 2 || (members.length === 1 && others.length === 1)) {
      for (const item of items) set(item, "4");
      return { rule, codes };
    }
    return general(
      rule,
      byTariff(others.filter((i) => !aside.get(i.index))),
      items.filter((i) => family(i.act) || aside.get(i.index)),
    );
  }
  // EG4: irradiation acts with their supplements only: code 4 on all.
  if (
    items.some((i) => isIrradiation(i.act)) &&
    items.every((i) => isIrradiation(i.act) || aside.get(i.index))
  ) {
    for (const item of items) set(item, "4");
    return { rule: "EG4", codes };
  }
  // EI: conventional radiology: first radiograph code 1, every further one code 2 (no limit).
  const radiology = byTariff(items.filter((i) => isConventionalRadiology(i.act, referential)));
  if (radiology.length > 0) {
    for (const [p, item] of radiology.entries()) set(item, p === 0 ? "1" : "2");
    const others = items.filter((i) => !radiology.includes(i));
    const result = general(
      "EI",
      byTariff(others.filter((i) => !aside.get(i.index))),
      others.filter((i) => aside.get(i.index)),
    );
    return result;
  }
  // GA: two acts, one set aside (geste complémentaire, supplément, 19.01.09.02): no code.
  if (items.length === 2 && asideItems.length === 1) {
    for (const item of items) set(item, null);
    return { rule: "GA", codes };
  }
  // GB: one act with two set-aside acts of different kinds: code 1 on each.
  if (items.length === 3 && asideItems.length === 2) {
    const kinds = new Set(asideItems.map((i) => aside.get(i.index)));
    if (kinds.size === 2) {
      for (const item of items) set(item, "1");
      return { rule: "GB", codes };
    }
  }
  return general("G2");
}

/**
 * Codes a user may give by derogation that we cannot verify from the data (Livre III, art. III-3 B 2): 3 for
 * surgery on different limbs or recent multiple traumatic lesions, 4 for the full-rate lists, 5 for acts at
 * different, discontinuous moments of the day. Keyed by the computed code.
 */
export function derogationCodes(computed: AssociationCode | null): readonly AssociationCode[] {
  if (computed === "2") return ["3", "4", "5"];
  if (computed === "1") return ["4", "5"];
  return [];
}
