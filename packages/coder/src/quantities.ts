import { STOP_WORDS, stem } from "./text.js";

/** A numeric constraint of a label ("de 3 cm à 10 cm", "moins de 3 cm", "2 dents", "plusieurs"). */
export interface Range {
  lo: number;
  hi: number;
  /** Stem of the counted noun ("2 dents" → dent), for counts. */
  noun?: string;
  /** Folded unit ("cm", "°", "g", "ans", …) or null for a count. */
  unit: string | null;
}

export interface Quantity {
  value: number;
  unit: string | null;
  /** Stems of the (up to two) words after a count: "deux petits polypes" → [petit, polyp]. */
  nouns?: string[];
}

const UNIT = "(cm²|cm2|mm²|mm2|cm|mm|°|kg|g|ml|l|ans|an|mois|sa|semaines|semaine|jours|jour|%)";
const U = (u: string | undefined): string | null => (u ? normaliseUnit(u) : null);

function normaliseUnit(u: string): string {
  if (u === "cm²") return "cm2";
  if (u === "mm²") return "mm2";
  if (u === "an") return "ans";
  if (u === "semaine" || u === "semaines") return "sa";
  if (u === "jour") return "jours";
  return u;
}

const NUMBER_WORDS: Record<string, number> = {
  deux: 2,
  trois: 3,
  quatre: 4,
  cinq: 5,
  six: 6,
  sept: 7,
  huit: 8,
  neuf: 9,
  dix: 10,
};

/** Numeric constraints written in a folded label. */
export function labelRanges(folded: string): Range[] {
  const ranges: Range[] = [];
  let rest = ` ${folded.replace(/'/g, " ").replace(/,/g, " ")} `;
  const take = (re: RegExp, build: (m: RegExpMatchArray) => Range | undefined) => {
    rest = rest.replace(re, (...args) => {
      const m = args.slice(0, -2) as unknown as RegExpMatchArray;
      const r = build(m);
      if (r) ranges.push(r);
      return " ";
    });
  };
  const n = "(\\d+(?:[.]\\d+)?)";
  take(new RegExp(`\\bde ${n}\\s*${UNIT}? a ${n}\\s*${UNIT}?(?: ([a-z]{3,}))?`, "g"), (m) => ({
    lo: Number(m[1]),
    hi: Number(m[3]),
    unit: U(m[4] ?? m[2]),
    ...((m[4] ?? m[2]) ? {} : nounOf(m[5])),
  }));
  take(new RegExp(`\\binferieure? ou egale? a ${n}\\s*${UNIT}?`, "g"), (m) => ({
    lo: Number.NEGATIVE_INFINITY,
    hi: Number(m[1]),
    unit: U(m[2]),
  }));
  take(new RegExp(`\\bsuperieure? ou egale? a ${n}\\s*${UNIT}?`, "g"), (m) => ({
    lo: Number(m[1]),
    hi: Number.POSITIVE_INFINITY,
    unit: U(m[2]),
  }));
  take(new RegExp(`\\b(?:moins de|inferieure? a|avant l age de) ${n}\\s*${UNIT}?`, "g"), (m) => ({
    lo: Number.NEGATIVE_INFINITY,
    hi: Number(m[1]) - 1e-6,
    unit: U(m[2]),
  }));
  take(new RegExp(`\\b(?:au moins|apres l age de) ${n}\\s*${UNIT}?(?: ([a-z]{3,}))?`, "g"), (m) => ({
    lo: Number(m[1]),
    hi: Number.POSITIVE_INFINITY,
    unit: U(m[2]),
    ...(m[2] ? {} : nounOf(m[3])),
  }));
  take(new RegExp(`\\b(?:plus de|superieure? a|au dela de) ${n}\\s*${UNIT}?`, "g"), (m) => ({
    lo: Number(m[1]) + 1e-6,
    hi: Number.POSITIVE_INFINITY,
    unit: U(m[2]),
  }));
  take(new RegExp(`\\b${n}\\s*${UNIT}? ou plus`, "g"), (m) => ({
    lo: Number(m[1]),
    hi: Number.POSITIVE_INFINITY,
    unit: U(m[2]),
  }));
  take(new RegExp(`\\b${n} ([a-z]+) ou plus`, "g"), (m) => ({
    lo: Number(m[1]),
    hi: Number.POSITIVE_INFINITY,
    unit: null,
    ...nounOf(m[2]),
  }));
  take(new RegExp(`\\b${n} (?:ou|a) ${n}\\s*${UNIT}?(?: ([a-z]{3,}))?`, "g"), (m) => ({
    lo: Number(m[1]),
    hi: Number(m[2]),
    unit: U(m[3]),
    ...(m[3] ? {} : nounOf(m[4])),
  }));
  take(new RegExp(`\\b${n}\\s*${UNIT}`, "g"), (m) => ({ lo: Number(m[1]), hi: Number(m[1]), unit: U(m[2]) }));
  take(/\b(\d{1,2}) ([a-z]{3,})/g, (m) => ({
    lo: Number(m[1]),
    hi: Number(m[1]),
    unit: null,
    ...nounOf(m[2]),
  }));
  // "d'une zone cutanée", "d'un vaisseau": one of a counted noun, as "d'1 dent" is (other nouns say nothing).
  take(/\b(?:d )?(?:un|une) ([a-z]{3,})/g, (m) => {
    const noun = counted(stem(m[1] as string));
    return COUNTED.has(noun) ? { lo: 1, hi: 1, unit: null, noun } : undefined;
  });
  const several = /\bplusieurs(?: ([a-z]{3,}))?/.exec(rest);
  if (several) ranges.push({ lo: 2, hi: Number.POSITIVE_INFINITY, unit: null, ...nounOf(several[1]) });
  // Lengths in cm, as in the text's quantities; one constraint said twice ("d'une incisive ou d'une canine")
  // counts once.
  const seen = new Set<string>();
  return ranges
    .map((r) =>
      r.unit === "mm"
        ? { ...r, lo: r.lo / 10, hi: r.hi / 10, unit: "cm" }
        : r.unit === "mm2"
          ? { ...r, lo: r.lo / 100, hi: r.hi / 100, unit: "cm2" }
          : r,
    )
    .filter((r) => {
      const key = `${r.lo}|${r.hi}|${r.unit}|${r.noun ?? ""}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Quantities written in a clinical text: "5 cm", "6°", "2 plaques", "deux". */
export function textQuantities(folded: string): Quantity[] {
  const out: Quantity[] = [];
  let text = folded.replace(/,(\d)/g, ".$1");
  // "3 x 2 cm", "3 x 18 mm": the dimensions of one thing (its largest side and its area), not a count of 3.
  text = text.replace(
    /(\d+(?:[.]\d+)?)\s*(?:cm|mm)?\s*[x×*]\s*(\d+(?:[.]\d+)?)\s*(cm|mm)(?![a-z0-9])/g,
    (_all, a: string, b: string, unit: string) => {
      const scale = unit === "mm" ? 0.1 : 1;
      const [x, y] = [Number(a) * scale, Number(b) * scale];
      out.push({ value: Math.max(x, y), unit: "cm" }, { value: x * y, unit: "cm2" });
      return " ";
    },
  );
  // "< 5 cm²", "moins de 3 cm", "inférieure à 1 cm": just under the bound ("de moins de 5 cm²" holds, "de 5 cm²
  // à 10 cm²" does not).
  text = text.replace(
    new RegExp(`(?:<|\\bmoins de|\\binferieure? a)\\s*(\\d+(?:[.]\\d+)?)\\s*${UNIT}(?![a-z0-9])`, "g"),
    (_all, n: string, unit: string) => {
      const u = U(unit) as string;
      const value = Number(n) * 0.999;
      out.push(
        u === "mm"
          ? { value: value / 10, unit: "cm" }
          : u === "mm2"
            ? { value: value / 100, unit: "cm2" }
            : { value, unit: u },
      );
      return " ";
    },
  );
  for (const m of text.matchAll(
    new RegExp(`(^|[^a-z0-9.])(\\d+(?:[.]\\d+)?)\\s*${UNIT}?(?![a-z0-9])`, "g"),
  )) {
    let value = Number(m[2]);
    let unit = U(m[3]);
    // Labels measure lesions in cm: "8 mm" is "moins de 1 cm".
    if (unit === "mm") {
      value /= 10;
      unit = "cm";
    }
    if (unit === "mm2") {
      value /= 100;
      unit = "cm2";
    }
    // Bare big numbers are identifiers (tooth 36, station 7 excepted), not counts.
    if (unit === null && value > 20) continue;
    out.push(
      unit === null
        ? { value, unit, nouns: nounsAfter(text, (m.index ?? 0) + m[0].length) }
        : { value, unit },
    );
  }
  for (const m of text.matchAll(/\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix)\b/g))
    out.push({
      value: NUMBER_WORDS[m[1] as string] as number,
      unit: null,
      nouns: nounsAfter(text, (m.index ?? 0) + m[0].length),
    });
  return out;
}

/**
 * Counted nouns that name the same thing: "deux artères" is "2 vaisseaux coronaires"; the teeth of "38 et 48"
 * are "2 troisièmes molaires" (an ordinal only ever counts molars in the labels); "2 nodules" are "plusieurs
 * lésions".
 */
const COUNTED_AS: Record<string, string> = Object.fromEntries(
  [
    ["artere", "vaisseau"],
    ["arteres", "vaisseau"],
    ["vaisseau", "vaisseau"],
    ["vaisseaux", "vaisseau"],
    ["troisieme", "dent"],
    ["troisiemes", "dent"],
    ["molaire", "dent"],
    ["molaires", "dent"],
    ["premolaire", "dent"],
    ["incisive", "dent"],
    ["canine", "dent"],
    ["dent", "dent"],
    ["dents", "dent"],
    // Labels count "lésions": nodules, naevi, keratoses, cysts are lesions.
    ["nodule", "lesion"],
    ["nodules", "lesion"],
    ["naevus", "lesion"],
    ["naevi", "lesion"],
    ["ka", "lesion"],
    ["keratose", "lesion"],
    ["keratoses", "lesion"],
    ["kyste", "lesion"],
    ["kystes", "lesion"],
    ["lesion", "lesion"],
    ["zone", "lesion"],
    ["zones", "lesion"],
    ["lesions", "lesion"],
  ].map(([word, noun]) => [stem(word as string), stem(noun as string)]),
);
const counted = (noun: string): string => COUNTED_AS[noun] ?? noun;
const COUNTED = new Set(Object.values(COUNTED_AS));

function nounOf(word: string | undefined): { noun?: string } {
  return word && !STOP_WORDS.has(word) ? { noun: counted(stem(word)) } : {};
}

function nounsAfter(text: string, from: number): string[] {
  return (text.slice(from).match(/[a-z]{3,}/g) ?? [])
    .filter((w) => !STOP_WORDS.has(w))
    .slice(0, 2)
    .map((w) => counted(stem(w)));
}

/** Agreement of the text's quantities with the label's ranges: +1 per satisfied range, −1 per violated one. */
export function quantityAgreement(ranges: readonly Range[], quantities: Quantity[]): number {
  let score = 0;
  for (const r of ranges) {
    // A count only speaks about the same noun: "deux ancres" says nothing about "plusieurs tendons".
    let same = quantities.filter(
      (q) => q.unit === r.unit && (r.unit !== null || !r.noun || !q.nouns || q.nouns.includes(r.noun)),
    );
    // Skin labels measure the excised area ("zone cutanée de 5 cm² à 10 cm²"); a lesion of L cm needs about L².
    if (r.unit === "cm2" && same.length === 0)
      same = quantities
        .filter((q) => q.unit === "cm")
        .map((q) => ({ value: q.value * q.value, unit: "cm2" }));
    if (same.length > 0) {
      score += same.some((q) => q.value >= r.lo && q.value <= r.hi) ? 1 : -1;
    } else if (r.unit === null) {
      // No count written: one is implied.
      score += 1 >= r.lo && 1 <= r.hi ? 0.5 : -0.5;
    } else if (
      (r.unit === "cm" || r.unit === "cm2") &&
      quantities.every((q) => q.unit !== "cm" && q.unit !== "cm2")
    ) {
      // No size written: the smallest size is the usual one ("exérèse d'un naevus du dos").
      score += r.lo === Number.NEGATIVE_INFINITY ? 0.5 : -0.25;
    }
  }
  return score;
}
