import { type Act, Referential } from "@ccam/ccam";

/** One hand-written act for unit tests (one activity-1 line at 100 €). */
export function testAct(code: string, label: string, extra: Partial<Act> = {}): Act {
  return {
    code,
    label,
    shortLabel: null,
    chapter: "07.01",
    type: "act",
    sex: "any",
    startDate: "2005-01-01",
    endDate: null,
    modifiers: [],
    complementary: [],
    notes: [],
    lines: [
      {
        activity: 1,
        phase: 0,
        label: null,
        tariffSecteur1: 100,
        tariffHorsSecteur1: 100,
        reimbursementConditions: false,
        priorApproval: false,
        exoTm: null,
        regroupement: "ADC",
        icr: null,
      },
    ],
    ...extra,
  };
}

/** A tiny hand-written referential for unit tests (labels in the official style, not real tariffs). */
export function tinyReferential(sha = "a".repeat(64)): Referential {
  const act = testAct;
  const acts = [
    act("HHFA001", "Appendicectomie, par abord de la fosse iliaque", {
      shortLabel: "appendicectomie ab. fosse iliaq",
    }),
    act("HHFA016", "Appendicectomie, par cœlioscopie", { shortLabel: "appendicectomie coelio." }),
    act("HMFC004", "Cholécystectomie, par cœlioscopie"),
    act("HMFA007", "Cholécystectomie, par laparotomie"),
    act("ACQN001", "Remnographie [IRM] du crâne et de son contenu, sans injection de produit de contraste"),
    act(
      "ACQJ002",
      "Remnographie [IRM] du crâne et de son contenu, avec injection intraveineuse de produit de contraste",
    ),
    act("HBGD036", "Avulsion d'1 dent permanente sur arcade sans alvéolectomie"),
    act("HBGD043", "Avulsion de 2 dents permanentes sur arcade sans alvéolectomie"),
    act("QZFA007", "Exérèse de lésion souscutanée susfasciale de 3 cm à 10 cm de grand axe"),
    act("QZFA002", "Exérèse d'une lésion souscutanée susfasciale de moins de 3 cm de grand axe"),
    act("NFKA007", "Remplacement de l'articulation du genou par prothèse tricompartimentaire", {
      notes: [{ kind: "other", text: "Prothèse totale du genou" }],
    }),
    act("ZZZZ001", "Exérèse d'une lésion supprimée", { endDate: "2020-12-31" }),
    act("ZZZZ002", "Exérèse d'une lésion nouvelle", { startDate: "2030-01-01" }),
  ];
  return new Referential(
    {
      version: "V99",
      number: 99,
      name: "test",
      effectiveDate: "2026-01-01",
      sourceSha256: sha,
      sourceFile: "tiny.csv",
      importedAt: "2026-01-01T00:00:00.000Z",
      stats: { acts: acts.length, lines: acts.length, chapters: 1, notes: 1, modifiers: 0, skipped: 0 },
    },
    {
      acts,
      chapters: [
        { path: "07", title: "Appareil digestif", notes: [] },
        { path: "07.01", title: "Actes sur le tube digestif", notes: [] },
      ],
      modifiers: [],
    },
  );
}
