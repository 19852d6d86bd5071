import { foldText } from "@ccam/ccam";

/** Why a justification is refused, or undefined when it is acceptable. */
export function justificationProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.length < 15) return "the justification must be at least 15 characters long";
  const compact = trimmed.replace(/\s+/g, "");
  if (new Set(compact.toLowerCase()).size < 4) return "the justification repeats the same few characters";
  // "abcabcabcabcabc", "ok ok ok ok ok ok": a short unit repeated is not a reason.
  for (let unit = 1; unit <= Math.min(8, compact.length / 3); unit++) {
    if (
      compact ===
      compact
        .slice(0, unit)
        .repeat(Math.ceil(compact.length / unit))
        .slice(0, compact.length)
    ) {
      return "the justification is a repeated pattern";
    }
  }
  if (!/[a-zA-ZÀ-ÿ]{3,}/.test(trimmed)) return "the justification must contain words";
  return undefined;
}

const REASON_CATEGORIES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(coelio|laparo|voie|abord|endoscop|percutan|transcutan|ouvert)/, "voie d'abord"],
  [/\b(lateral|bilateral|unilateral|droit|gauche|cote)/, "latéralité"],
  [/\b(anesth|ag\b|alr\b|rachi)/, "anesthésie"],
  [/\b(complet|partiel|total|subtotal|etendu)/, "étendue du geste"],
  [/\b(nombre|\d+\s*(lesion|segment|dent|vertebre|niveau)s?)/, "nombre"],
  [/\b(compte.rendu|cr\b|dossier|protocole)/, "compte rendu"],
  [/\b(modificateur|urgence|nuit|dimanche|ferie)/, "modificateur"],
  [/\b(association|associe|complementaire|supplement)/, "association"],
];

/** A coarse category of the reason for the override metrics ("top override reasons"); the text itself stays sealed. */
export function reasonCategory(text: string): string {
  const folded = foldText(text);
  return REASON_CATEGORIES.find(([pattern]) => pattern.test(folded))?.[1] ?? "autre";
}
