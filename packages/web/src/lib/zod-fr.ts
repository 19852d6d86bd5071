import type { FieldErrors, FieldValues, Resolver } from "react-hook-form";

const FIELD_MESSAGES: Record<string, string> = {
  patientId: "Identifiant patient : lettres, chiffres, espaces et . _ / - (64 caractères au plus)",
  performedAt: "Date attendue (JJ/MM/AAAA)",
  text: "Le texte clinique est vide (3 caractères au moins)",
  specialty: "Spécialité : 80 caractères au plus",
  justification: "Justification obligatoire : une phrase d'au moins 15 caractères qui explique le choix",
  code: "Code CCAM : 4 lettres et 3 chiffres, p. ex. HHFA016",
  activity: "Activité de 1 à 5",
  phase: "Phase de 0 à 3",
  modifiers: "Modificateurs : 4 au plus, une lettre ou un chiffre chacun",
  codes: "Au moins un code",
};

function translate(errors: FieldErrors, key?: string): void {
  for (const [name, value] of Object.entries(errors)) {
    if (!value || typeof value !== "object" || name === "ref" || name === "types") continue;
    const field = /^\d+$/.test(name) ? key : name;
    const error = value as { message?: unknown; type?: unknown };
    if (typeof error.message === "string" && typeof error.type === "string") {
      error.message = (field && FIELD_MESSAGES[field]) ?? "Valeur invalide";
    }
    translate(value as FieldErrors, field);
  }
}

/**
 * The API's zod schemas carry messages written for API clients, in English, and a schema's own message wins
 * over any error map: the form shows a French sentence per field instead.
 */
export function withFrenchMessages<I extends FieldValues, C, O>(
  resolver: Resolver<I, C, O>,
): Resolver<I, C, O> {
  return async (values, context, options) => {
    const result = await resolver(values, context, options);
    translate(result.errors);
    return result;
  };
}
