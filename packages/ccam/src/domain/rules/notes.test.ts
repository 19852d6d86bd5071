import { describe, expect, it } from "vitest";
import { ageAllowed, parseLabelAges, parseModifierAges } from "./conditions.js";
import { parseNoteRules } from "./notes.js";

// Note texts copied from the V81 sheet.
describe("parseNoteRules", () => {
  it.each([
    [
      "À l'exclusion de : appendicectomie, par abord de la fosse iliaque (HHFA001)",
      "HHFA011",
      [["exclusion", "warning", "code:HHFA001"]],
    ],
    [
      "Facturation : ne peut pas être facturé avec épreuve fonctionnelle respiratoire par pléthysmographie (GLQP009, GLQP011)",
      "YYYY006",
      [
        ["incompatibility", "blocking", "code:GLQP009"],
        ["incompatibility", "blocking", "code:GLQP011"],
      ],
    ],
    [
      "Non associable à : HBQK040 et HBQK303",
      "HBQK061",
      [
        ["incompatibility", "blocking", "code:HBQK040"],
        ["incompatibility", "blocking", "code:HBQK303"],
      ],
    ],
    [
      "Facturation : la réalisation de l'électrocardiographie sur au moins 12 dérivations (DEQP003) ne peut pas être facturée en sus de l'échographie du cœur et des vaisseaux intrathoraciques à l’exception de sa réalisation lors des bilans pour traitement par médicament cardiotoxique",
      "DZQM006",
      [["incompatibility", "warning", "code:DEQP003"]],
    ],
    [
      "Facturation :\n- est facturé dans les situations où l'intervention du médecin est suivie d'un passage aux urgences\n- ne peut pas être facturé avec des actes techniques des chapitres 1 à 17 à l'exception de : Électrocardiographie sur au moins 12 dérivations (DEQP003)",
      "YYYY010",
      [["incompatibility", "blocking", "range:1-17-DEQP003"]],
    ],
    [
      "Facturation : les actes du paragraphe 08.03.02.07 Ligature du conduit déférent ne peuvent pas être facturés avec les actes du sous chapitre 08.03 ACTES THÉRAPEUTIQUES SUR L'APPAREIL GÉNITAL MASCULIN",
      "08.03.02.07",
      [["incompatibility", "blocking", "chapter:08.03"]],
    ],
    [
      "Facturation : ne peut pas être facturé avec un forfait de réanimation (YYYY015, YYYY020)\nne peut pas être facturé avec un geste d'anesthésie",
      "FELF007",
      [
        ["incompatibility", "blocking", "code:YYYY015"],
        ["incompatibility", "blocking", "code:YYYY020"],
        ["incompatibility", "blocking", "anesthesia"],
      ],
    ],
    [
      "Facturation : peut être facturé avec échographie-doppler des artères iliaques et des artères des membres inférieurs (EDQM001) lors du diagnostic d’un ulcère de jambe",
      "EJQM004",
      [],
    ],
    [
      "Facturation : associable à HBGD038, non associable à ZZLP042",
      "YYYY755",
      [["incompatibility", "blocking", "code:ZZLP042"]],
    ],
  ])("%s", (text, owner, expected) => {
    const kind = text.startsWith("À") ? "exclusion" : "billing";
    const { rules } = parseNoteRules({ kind, text }, owner, owner.includes(".") ? "chapter" : "act");
    const shown = rules.map((r) => {
      const t = r.target;
      const target =
        t.kind === "code"
          ? `code:${t.code}`
          : t.kind === "chapter"
            ? `chapter:${t.path}`
            : t.kind === "chapterRange"
              ? `range:${t.from}-${t.to}-${t.except.join(",")}`
              : "anesthesia";
      return [r.type, r.severity, target];
    });
    expect(shown).toEqual(expected);
  });

  it("is not a candidate when the note states no exclusion", () => {
    expect(
      parseNoteRules({ kind: "other", text: "Pose de prothèse totale de hanche" }, "NEKA020", "act"),
    ).toEqual({
      candidate: false,
      rules: [],
    });
  });
});

describe("age conditions", () => {
  it.each([
    // Modifier table, 19.03.02 (V81 wording)
    ["chez un patient de moins de 4 ans ou de plus de 80 ans", [2, 85, 80], [50, 4]],
    ["chez un patient âgé de 1 à 26 ans", [1, 26, 26.5], [0.5, 27]],
    ["chez un patient de moins de 1 an\nExtraction … chez un patient de moins de 3 ans", [0.5, 2], [3, 10]],
  ])("modifier: %s", (text, allowed, refused) => {
    const ranges = parseModifierAges(text);
    for (const age of allowed) expect(ageAllowed(ranges, age)).toBe(true);
    for (const age of refused) expect(ageAllowed(ranges, age)).toBe(false);
  });

  it.each([
    ["Cure de hernie de la paroi abdominale antérieure avant l'âge de 16 ans", [10], [16, 40]],
    ["Cure de hernie de la paroi abdominale antérieure après l'âge de 16 ans", [16, 40], [10]],
    ["Test … chez l'enfant de moins de 24 mois", [1.5], [2, 30]],
    ["Examen … chez un patient de 6 ans ou plus", [6, 40], [5]],
    ["Exérèse de 6 lésions ou plus", [0, 99], []],
  ])("label: %s", (label, allowed, refused) => {
    const ranges = parseLabelAges(label);
    for (const age of allowed) expect(ageAllowed(ranges, age)).toBe(true);
    for (const age of refused) expect(ageAllowed(ranges, age)).toBe(false);
  });
});
