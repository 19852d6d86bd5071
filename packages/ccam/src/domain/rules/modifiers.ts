import type { Modifier, ModifierRate } from "../model.js";
import type { Referential } from "../referential.js";
import { type AgeRange, parseModifierAges } from "./conditions.js";

/** Urgency modifiers (19.03.01): one per act, and once per practitioner whatever the number of acts. */
export const URGENCY_MODIFIERS = ["O", "U", "P", "S", "F"] as const;
/** Radiotherapy levels (19.03.04) add up: "4 modificateurs additifs au plus peuvent être codés". */
export const ADDITIVE_MODIFIERS = new Set(["H", "Q", "V", "W"]);
export const MAX_MODIFIERS = 4;

export interface ModifierPair {
  a: string;
  b: string;
  /** Why they exclude each other, in French, with the source. */
  reason: string;
}

export interface CompiledModifiers {
  pairs: ModifierPair[];
  /** Age ranges of the modifiers of 19.03.02 (Age du patient), read from the table's own words. */
  ages: Map<string, AgeRange[]>;
}

const compiled = new WeakMap<Referential, CompiledModifiers>();

/** The modifier table's exclusions and age conditions, read once per referential. */
export function modifierRules(referential: Referential): CompiledModifiers {
  let result = compiled.get(referential);
  if (result) return result;
  const pairs: ModifierPair[] = [];
  const has = (code: string) => referential.modifiers.has(code);
  // From the table's notes: "Facturation : ne peut pas être facturé avec le modificateur Z".
  for (const modifier of referential.modifiers.values()) {
    for (const note of modifier.notes) {
      for (const m of note.text.matchAll(
        /ne\s+peut\s+pas\s+être\s+facturée?\s+avec\s+le\s+modificateur\s+([A-Z0-9])\b/gi,
      )) {
        const other = m[1] as string;
        if (
          !pairs.some(
            (p) => (p.a === other && p.b === modifier.code) || (p.a === modifier.code && p.b === other),
          )
        )
          pairs.push({
            a: modifier.code,
            b: other,
            reason: `note du modificateur ${modifier.code} : « ${note.text} »`,
          });
      }
    }
  }
  const urgency = URGENCY_MODIFIERS.filter(has);
  for (let i = 0; i < urgency.length; i++)
    for (let j = i + 1; j < urgency.length; j++)
      pairs.push({
        a: urgency[i] as string,
        b: urgency[j] as string,
        reason:
          "modificateurs d'urgence (19.03.01) : nuit (U, P, S), dimanche ou jour férié (F) et urgence de jour (O) décrivent des situations exclusives ; un seul se code par acte",
      });
  if (has("K") && has("T"))
    pairs.push({
      a: "K",
      b: "T",
      reason:
        "tableau des modificateurs (19.03.04) : K (secteur 1 ou OPTAM-ACO) et T (OPTAM) sont la même majoration pour des secteurs différents",
    });
  if (has("4") && has("5"))
    pairs.push({
      a: "4",
      b: "5",
      reason: "tableau des modificateurs (19.03.04) : 4 est « sans cathéter », 5 « avec cathéter »",
    });
  const ages = new Map<string, AgeRange[]>();
  for (const modifier of referential.modifiers.values()) {
    if (!modifier.chapter.startsWith("19.03.02")) continue;
    const ranges = modifier.rates.flatMap((r) => parseModifierAges(r.condition));
    if (ranges.length) ages.set(modifier.code, ranges);
  }
  result = { pairs, ages };
  compiled.set(referential, result);
  return result;
}

export interface LineContext {
  activity: number;
  regroupement: string | null;
  setting: "secteur1" | "hors_secteur1";
}

/**
 * The row of the modifier table that applies. Several rows differ by who performs the act, which the input does
 * not say; it is inferred from the line: the anaesthesia activity or a surgical/obstetric regroupement (ADC, ACO)
 * takes the surgeons'/anaesthetists' row of U, S, F and the surgeons'/obstetricians' row of K; modifier 3 takes
 * its secteur-1 row (12 %) in secteur 1 and its OPTAM-ACO row (8 %) otherwise. Anything else takes the first row.
 */
export function modifierRate(modifier: Modifier, context: LineContext): ModifierRate | undefined {
  const { rates } = modifier;
  if (rates.length <= 1) return rates[0];
  const pick = (pattern: RegExp) => rates.find((r) => pattern.test(r.condition)) ?? rates[0];
  const surgical = context.activity === 4 || context.regroupement === "ADC" || context.regroupement === "ACO";
  switch (modifier.code) {
    case "U":
    case "S":
    case "F":
      return surgical ? pick(/anesthésistes/i) : rates[0];
    case "K":
      return pick(/chirurgiens admettant/i);
    case "3":
      return context.setting === "secteur1" ? rates[0] : pick(/OPTAM-ACO/i);
    default:
      return rates[0];
  }
}
