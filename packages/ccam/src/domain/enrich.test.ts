import { describe, expect, it } from "vitest";
import { parseExcerpt } from "../test-support/excerpt.js";
import { enrichReferential } from "./enrich.js";

describe("enrichReferential", () => {
  it("adds short label, type, sex, dates, ICR and a missing regroupement; the sheet's values win", () => {
    const parsed = parseExcerpt();
    const dec = parsed.acts.find((a) => a.code === "DEQA001");
    if (dec?.lines[0]) dec.lines[0].regroupement = null;
    const report = enrichReferential(parsed, {
      acts: [
        {
          code: "AJFC001",
          libelle_court: "sympathectomie lomb. coelio.",
          type_acte: "0",
          compatibilite_sexe: "0",
          date_debut: "2005-03-01",
        },
        {
          code: "DEQA001",
          type_acte: "1",
          compatibilite_sexe: "2",
          date_debut: "2010-01-01",
          date_fin: "2026-12-31",
        },
      ],
      icr: [{ code: "AJFC001", activite: "4", phase: "0", icr: 145 }],
      regroupements: [
        { code: "DEQA001", activite: "1", regroupement: "ATM", date_debut: "2005-03-01" },
        { code: "DEQA001", activite: "1", regroupement: "ADC", date_debut: "2015-03-01" },
        { code: "AJFC001", activite: "1", regroupement: "ATM", date_debut: "2015-03-01" },
      ],
      modifierLabels: [],
    });
    const act = (code: string) => parsed.acts.find((a) => a.code === code);
    expect(act("AJFC001")).toMatchObject({
      shortLabel: "sympathectomie lomb. coelio.",
      type: "act",
      sex: "any",
      startDate: "2005-03-01",
      endDate: null,
    });
    expect(act("AJFC001")?.lines[1]?.icr).toBe(145);
    expect(act("AJFC001")?.lines[0]?.regroupement).toBe("ADC");
    expect(act("DEQA001")).toMatchObject({ type: "procedure", sex: "female", endDate: "2026-12-31" });
    expect(act("DEQA001")?.lines[0]?.regroupement).toBe("ADC");
    expect(report.matched).toBe(2);
    expect(report.missing).toEqual(["AHQP001", "AHQB027", "AJFA002", "GELE001", "ZZLP025"]);
    expect(act("AHQP001")).toMatchObject({ shortLabel: null, type: null, sex: null, startDate: null });
  });
});
