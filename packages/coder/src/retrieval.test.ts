import { describe, expect, it } from "vitest";
import { buildIndex, SEARCH } from "./retrieval.js";
import { tinyReferential } from "./testing/fixture.js";
import { indexTerms } from "./text.js";

describe("TermRetriever", () => {
  it("answers exactly what MiniSearch's own OR query answers, from its memo too", () => {
    const index = buildIndex(tinyReferential());
    const queries = [
      "appendicectomie coelioscopie",
      "exerese lesion souscutanee 5 cm",
      "remnographie crane injection produit contraste",
      "cholecystectomie laparotomie cholecystectomie",
      "avulsion dent permanente",
    ];
    for (let round = 0; round < 2; round++)
      for (const text of queries) {
        const terms = indexTerms(text);
        const boosts = new Map(terms.map((t, i) => [t, i % 2 ? 0.6 : 1]));
        const expected = index.search
          .search([...boosts.keys()].join(" "), { ...SEARCH, boostTerm: (t) => boosts.get(t) ?? 1 })
          .map((h) => ({ id: h.id, score: h.score }));
        expect(index.retriever.search(boosts)).toEqual(expected);
      }
  });
});
