import { foldText } from "@ccam/ccam";

/**
 * The parts of the CCAM a specialty usually codes in, from the code structure (letter 1: the organ system; letter 4
 * for imaging, whose acts sit in every system). The act-entry form's specialty is a soft prior: a code inside the
 * specialty's usual systems gets a small bonus, nothing is removed (an ORL surgeon does code a tracheotomy).
 * Specialties that code everywhere (urgences, pédiatrie, anesthésie, médecine générale) have no entry.
 */
interface SpecialtyScope {
  /** Letter 1 (topography) of the systems it codes in; "HB" style prefixes are allowed for narrower scopes. */
  prefixes: string[];
  /** Letter 4 (access/technique) of the techniques it codes, whatever the system (imaging). */
  techniques?: string[];
}

const SCOPES: [RegExp, SpecialtyScope][] = [
  [/dentaire|dentist|stomato|odonto|chirurgie orale/, { prefixes: ["HB", "HA", "LB", "HD"] }],
  [/ophtalmo/, { prefixes: ["B"] }],
  [/\borl\b|oto.?rhino|cervico.?facial/, { prefixes: ["C", "G", "HA", "HD", "HQ", "K", "L", "F"] }],
  [/medecine nucleaire|scintigraph/, { prefixes: [], techniques: ["L"] }],
  [/imagerie|radiolog/, { prefixes: ["Z"], techniques: ["H", "J", "K", "L", "M", "N"] }],
  [/cardio/, { prefixes: ["D", "E"] }],
  [/vasculaire|angiolog|phlebolog/, { prefixes: ["E", "D"] }],
  [/thoracique/, { prefixes: ["G", "D", "L", "E"] }],
  [/pneumo/, { prefixes: ["G"] }],
  [/endoscopie digestive|hepato|gastro|proctolog/, { prefixes: ["H"] }],
  [/visceral|digestif/, { prefixes: ["H", "L", "Q", "J", "K", "F"] }],
  [/urolog/, { prefixes: ["J"] }],
  [/nephrolog/, { prefixes: ["J", "E"] }],
  [/gyneco|obstetri|maieut|sage.?femme/, { prefixes: ["J", "QE"] }],
  [/orthop|traumato|rhumato/, { prefixes: ["L", "M", "N", "P", "A"] }],
  [/neurochir/, { prefixes: ["A", "L"] }],
  [/neurolog/, { prefixes: ["A"] }],
  [/dermato/, { prefixes: ["Q"] }],
  [/hematolog/, { prefixes: ["F"] }],
  [/endocrino/, { prefixes: ["K"] }],
];

/** The scope of a specialty as written on the act-entry form, or undefined when it is unknown or codes everywhere. */
export function specialtyScope(specialty: string | undefined): SpecialtyScope | undefined {
  if (!specialty) return undefined;
  const folded = foldText(specialty);
  return SCOPES.find(([pattern]) => pattern.test(folded))?.[1];
}

/** Whether `code` lies in the scope. */
export function inScope(scope: SpecialtyScope, code: string): boolean {
  return scope.prefixes.some((p) => code.startsWith(p)) || (scope.techniques ?? []).includes(code[3] ?? "");
}
