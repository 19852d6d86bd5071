import { describe, expect, it } from "vitest";
import { parseExcerpt, referentialOf } from "../test-support/excerpt.js";
import { ActSearchIndex } from "./search.js";
import { foldText, tokenize } from "./text.js";

describe("ActSearchIndex", () => {
  const index = new ActSearchIndex(referentialOf(parseExcerpt()));

  it("finds an act by exact code or code prefix, case-insensitively", () => {
    expect(index.search("ajfc001").map((h) => h.code)).toEqual(["AJFC001"]);
    expect(index.search("AJF").map((h) => h.code)).toEqual(["AJFC001", "AJFA002"]);
  });

  it("finds acts by label words without accents, and by synonym notes", () => {
    expect(index.search("electromyographie aiguille")[0]?.code).toBe("AHQB027");
    expect(index.search("sympathectomie coelioscopie")[0]?.code).toBe("AJFC001");
    expect(index.search("sympathectomie digitale")[0]?.code).toBe("AJFA002");
  });

  it("falls back to any word when no act has them all, and returns nothing for an empty query", () => {
    expect(index.search("estomac introuvable").map((h) => h.code)).toEqual(["GELE001"]);
    expect(index.search("   ")).toEqual([]);
  });

  it("honours the limit", () => {
    expect(index.search("électromyographie", 1)).toHaveLength(1);
  });
});

describe("text folding", () => {
  it("folds case, accents, ligatures and typographic quotes", () => {
    expect(foldText("Cœlioscopie À L’ÉPAULE")).toBe("coelioscopie a l'epaule");
    expect(tokenize("Exérèse d'1 lésion, 2–3 cm")).toEqual(["exerese", "d", "1", "lesion", "2", "3", "cm"]);
  });
});
