/**
 * Age conditions written in the official texts, read into intervals of years. A condition is a union of ranges;
 * `min` is inclusive, `max` exclusive. Ages are compared leniently: "plus de 80 ans" accepts ageYears ≥ 80 (a
 * patient of 80 years and some months is over 80), "de 1 à 26 ans" accepts 1 ≤ age < 27.
 */
export interface AgeRange {
  min?: number;
  max?: number;
  /** The words the range was read from, cited in messages. */
  text: string;
}

const UNIT = "(ans?|mois)";
/** Word boundaries that know accented letters (a JavaScript word boundary does not: "âgé", "à"). */
const B = String.raw`(?<![\p{L}\p{N}])`;
const E = String.raw`(?![\p{L}\p{N}])`;
const years = (value: string, unit: string) => (unit.startsWith("mois") ? Number(value) / 12 : Number(value));

/** Every age phrase of a modifier condition (chapter 19.03.02 "Age du patient"): the whole text is about age. */
export function parseModifierAges(text: string): AgeRange[] {
  const ranges: AgeRange[] = [];
  const between = new RegExp(String.raw`${B}de\s+(\d+)\s+à\s+(\d+)\s+${UNIT}`, "giu");
  for (const m of text.matchAll(between)) {
    const unit = m[3] as string;
    const step = unit.startsWith("mois") ? 1 / 12 : 1;
    ranges.push({ min: years(m[1] as string, unit), max: years(m[2] as string, unit) + step, text: m[0] });
  }
  for (const m of text.matchAll(new RegExp(String.raw`${B}moins\s+de\s+(\d+)\s+${UNIT}`, "giu")))
    ranges.push({ max: years(m[1] as string, m[2] as string), text: m[0] });
  for (const m of text.matchAll(new RegExp(String.raw`${B}plus\s+de\s+(\d+)\s+${UNIT}`, "giu")))
    ranges.push({ min: years(m[1] as string, m[2] as string), text: m[0] });
  return ranges;
}

/**
 * Age conditions of an act's label: only phrases that name the patient's age ("avant l'âge de 16 ans", "après
 * l'âge de 16 ans", "chez un patient de moins de 6 ans", "chez l'enfant de moins de 24 mois", "de 6 ans ou plus").
 */
export function parseLabelAges(label: string): AgeRange[] {
  const ranges: AgeRange[] = [];
  const patterns: [RegExp, (value: number) => Omit<AgeRange, "text">][] = [
    [new RegExp(String.raw`${B}avant\s+l[’']âge\s+de\s+(\d+)\s+${UNIT}`, "giu"), (v) => ({ max: v })],
    [new RegExp(String.raw`${B}après\s+l[’']âge\s+de\s+(\d+)\s+${UNIT}`, "giu"), (v) => ({ min: v })],
    [
      new RegExp(
        String.raw`${B}(?:chez|patients?|enfants?|nourrissons?|âgée?s?)${E}[^,;()]{0,30}?${B}moins\s+de\s+(\d+)\s+${UNIT}`,
        "giu",
      ),
      (v) => ({ max: v }),
    ],
    [
      new RegExp(
        String.raw`${B}(?:chez|patients?|enfants?|âgée?s?)${E}[^,;()]{0,30}?${B}plus\s+de\s+(\d+)\s+${UNIT}`,
        "giu",
      ),
      (v) => ({ min: v }),
    ],
    [
      new RegExp(
        String.raw`${B}(?:chez|patients?|enfants?|âgée?s?)${E}[^,;()]{0,30}?${B}(\d+)\s+${UNIT}\s+ou\s+plus`,
        "giu",
      ),
      (v) => ({ min: v }),
    ],
  ];
  for (const [pattern, build] of patterns) {
    for (const m of label.matchAll(pattern)) {
      const value = years(m[1] as string, m[2] as string);
      ranges.push({ ...build(value), text: m[0].replace(/^.*?(avant|après|moins|plus|\d)/i, "$1") });
    }
  }
  return ranges;
}

/** True when the age falls in at least one range (or there is no range). */
export function ageAllowed(ranges: readonly AgeRange[], ageYears: number): boolean {
  if (ranges.length === 0) return true;
  return ranges.some(
    (r) => (r.min === undefined || ageYears >= r.min) && (r.max === undefined || ageYears < r.max),
  );
}

export function describeAges(ranges: readonly AgeRange[]): string {
  return ranges.map((r) => `« ${r.text} »`).join(" ou ");
}
