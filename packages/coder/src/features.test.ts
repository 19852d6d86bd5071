import { describe, expect, it } from "vitest";
import { DEFAULT_WEIGHTS, featureScore, mineConjunctions, profileAct, viewQuery } from "./features.js";
import { buildLexicon, normalise } from "./normalise.js";
import { testAct } from "./testing/fixture.js";
import { stem } from "./text.js";

const lexicon = buildLexicon([]);
const score = (text: string, label: string, code = "ZZZZ001", heads = new Map<string, string>()) => {
  const query = normalise(text, lexicon);
  const view = viewQuery(query, () => 1, heads);
  return featureScore(view, profileAct(testAct(code, label)), DEFAULT_WEIGHTS, new Set()).parts;
};

describe("conjunctions", () => {
  it("pairs the labels that differ only by 'ou' / 'et' and costs the one the text contradicts", () => {
    const either = testAct("ZCQH002", "Scanographie de l'abdomen ou du petit bassin, avec injection");
    const both = testAct("ZCQH001", "Scanographie de l'abdomen et du petit bassin, avec injection");
    const found = mineConjunctions([either, both]);
    expect(found.get("ZCQH002")).toMatchObject({ both: false, left: [stem("abdomen")] });
    expect(found.get("ZCQH001")?.both).toBe(true);
    const parts = (text: string, act: typeof either) =>
      featureScore(
        viewQuery(normalise(text, lexicon)),
        profileAct(act, [], found.get(act.code)),
        DEFAULT_WEIGHTS,
        new Set(),
      ).parts;
    expect(parts("scanner de l'abdomen et du petit bassin", either).conjunction).toBeLessThan(0);
    expect(parts("scanner de l'abdomen et du petit bassin", both).conjunction).toBeUndefined();
    expect(parts("scanner de l'abdomen", both).conjunction).toBeLessThan(0);
  });

  it("costs a label offering 'X ou Y' when the text does both", () => {
    const label =
      "Implantation d'un stimulateur, avec pose d'une sonde intraatriale ou intraventriculaire droite";
    expect(score("une sonde intraatriale et une sonde intraventriculaire", label).conjunction).toBeLessThan(
      0,
    );
    expect(score("une sonde intraventriculaire droite", label).conjunction).toBeUndefined();
  });
});

describe("'avec' clauses", () => {
  const label = "Implantation d'un stimulateur, avec pose d'une sonde dans une veine cardiaque gauche";
  it("are not said by their common words scattered over the text", () => {
    expect(score("stimulateur, sonde par la veine céphalique gauche", label).plain).toBeLessThan(0);
  });
  it("are said by two of their words together", () => {
    expect(score("stimulateur, sonde dans une veine cardiaque gauche", label).plain).toBeUndefined();
  });
  it("are not said by the indication's words", () => {
    const cuff = "Remplacement de l'articulation par prothèse totale, avec réinsertion de la coiffe";
    expect(score("prothèse totale pour rupture de la coiffe", cuff).plain).toBeLessThan(0);
    expect(score("prothèse totale avec réinsertion de la coiffe", cuff).plain).toBeUndefined();
  });
});

describe("examinations", () => {
  it("yield to the therapeutic act the text also performs", () => {
    const heads = new Map([[stem("exerese"), "F"]]);
    const text = "Coloscopie totale, exérèse de deux polypes";
    expect(score(text, "Coloscopie totale", "HHQE005", heads).action).toBeLessThan(0);
    expect(score(text, "Exérèse de polypes, par coloscopie totale", "HHFE002", heads).action).toBeUndefined();
    // A removal named as the indication is no act done: the examination keeps its own (small) credit.
    const surveillance = "Coloscopie de surveillance d'une exérèse de polype";
    expect(score(surveillance, "Coloscopie totale", "HHQE005", heads).action).toBeGreaterThan(0);
  });
});
