/**
 * Folds French text for matching: lower case, no diacritics, ligatures expanded (œ → oe), typographic quotes
 * and dashes made plain. Length may change; use `foldWithOffsets` when character positions matter.
 */
export function foldText(text: string): string {
  return text
    .toLowerCase()
    .replace(/œ/g, "oe")
    .replace(/æ/g, "ae")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[’‘`´]/g, "'")
    .replace(/[‐‑‒–—]/g, "-");
}

/** Word tokens of folded text (letters and digits). */
export function tokenize(text: string): string[] {
  return foldText(text).match(/[a-z0-9]+/g) ?? [];
}
