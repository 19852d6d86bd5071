import { describe, expect, it } from "vitest";
import { buildLexicon, correctWord, normalise } from "./normalise.js";
import { labelRanges, quantityAgreement, textQuantities } from "./quantities.js";
import { stem, tokenizeWithOffsets } from "./text.js";

const lexicon = buildLexicon([
  ["PTG", "prothèse totale genou"],
  ["irm", "remnographie"],
  ["coelio", "coelioscopie"],
  ["cutané", "cutané peau"],
]);

describe("tokenizeWithOffsets", () => {
  it("folds words and keeps their offsets in the original text", () => {
    const text = "Exérèse d'un kyste";
    const tokens = tokenizeWithOffsets(text);
    expect(tokens.map((t) => t.text)).toEqual(["exerese", "d", "un", "kyste"]);
    for (const t of tokens) expect(text.slice(t.start, t.end).length).toBe(t.end - t.start);
    expect(text.slice(tokens[0]?.start, tokens[0]?.end)).toBe("Exérèse");
  });
});

describe("stem", () => {
  it("merges plural and gender forms", () => {
    expect(stem("renale")).toBe(stem("renal"));
    expect(stem("ablations")).toBe(stem("ablation"));
    expect(stem("thyroidienne")).toBe(stem("thyroidien"));
  });
});

describe("normalise", () => {
  it("expands abbreviations and keeps the span of the abbreviation", () => {
    const text = "PTG droite";
    const q = normalise(text, lexicon);
    const prothese = q.terms.find((t) => t.word === "prothese");
    expect(prothese).toBeDefined();
    expect(text.slice(prothese?.start, prothese?.end)).toBe("PTG");
    expect(q.features.laterality).toBe("unilateral");
  });

  it("marks negations and reads injection", () => {
    expect(normalise("IRM sans injection", lexicon).features.injection).toBe(false);
    expect(normalise("IRM avec injection de gadolinium", lexicon).features.injection).toBe(true);
    const q = normalise("pas de biopsie", lexicon);
    expect(q.negated.has(stem("biopsie"))).toBe(true);
    expect(q.terms.some((t) => t.word === "biopsie")).toBe(false);
  });

  it("reads injection shorthand, and a dash after it as a separator", () => {
    expect(normalise("TDM abdo-pelv IV+ temps portal", lexicon).features.injection).toBe(true);
    expect(normalise("scanner thoracique temps artériel", lexicon).features.injection).toBe(true);
    expect(normalise("TDM cérébrale IV-", lexicon).features.injection).toBe(false);
    expect(normalise("TDM avec injection IV - douleurs FID", lexicon).features.injection).toBe(true);
  });

  it("reads 'pour' before a purpose verb as the act, and 'au lieu de' as a negation", () => {
    const weight = (text: string, word: string) =>
      normalise(text, lexicon).terms.find((t) => t.word === word)?.weight;
    expect(weight("caméra pour regarder la vessie", "vessie")).toBe(1);
    expect(weight("cystoscopie pour hématurie de la vessie", "vessie")).toBeLessThan(1);
    const q = normalise("au lieu d'enlever le ménisque, il l'a recousu", lexicon);
    expect(q.negated.has(stem("enlever"))).toBe(true);
  });

  it("skips phrases whose expansion is empty and short abbreviations before an age", () => {
    const lex = buildLexicon([
      ["en anapath", ""],
      ["pte", "prothèse totale épaule"],
    ]);
    const q = normalise("conisation, pièce envoyée en anapath, pte 47 ans", lex);
    expect(q.terms.some((t) => t.word === "anapath")).toBe(false);
    expect(q.terms.some((t) => t.word === "epaule")).toBe(false);
    expect(normalise("PTE gauche", lex).terms.some((t) => t.word === "epaule")).toBe(true);
  });

  it("reads a suture after an excision as its closure", () => {
    const lex = buildLexicon([["suture", "suture plaie parage"]]);
    const words = (text: string) => normalise(text, lex).terms.map((t) => t.word);
    expect(words("exérèse en fuseau d'un naevus, suture")).not.toContain("plaie");
    expect(words("suture de l'arcade")).toContain("plaie");
  });

  it("names the upper abdomen when an ultrasound lists three upper-abdominal organs and no pelvic one", () => {
    const words = (text: string) => normalise(text, lexicon).terms.map((t) => t.word);
    expect(words("échographie : foie, pancréas, rate, reins")).toContain("etage");
    expect(words("échographie : foie, pancréas, rate, vessie")).not.toContain("etage");
    expect(words("échographie du foie")).not.toContain("etage");
  });

  it("reads history written after what it qualifies, and 'X non réalisé(e)'", () => {
    const indication = (text: string, word: string) =>
      normalise(text, lexicon).terms.find((t) => t.word === word)?.indication;
    expect(indication("opérée de la cataracte il y a deux ans, laser", "cataracte")).toBe(true);
    expect(indication("inlay-core déjà en place, pose de la couronne", "core")).toBe(true);
    expect(indication("AMO plaque (fract. cheville 2024)", "cheville")).toBe(true);
    expect(indication("pose de la couronne", "couronne")).toBeUndefined();
    expect(normalise("coronarographie, ventriculographie non réalisée", lexicon).negated).toContain(
      stem("ventriculographie"),
    );
  });

  it("detects the approach", () => {
    expect([...normalise("cholécystectomie sous coelio", lexicon).features.approaches]).toContain(
      "laparoscopy",
    );
    expect([...normalise("par laparotomie médiane", lexicon).features.approaches]).toContain("open");
  });

  it("finds a lexicon entry by stem and glues prefixes", () => {
    const q = normalise("abcès sous-cutanées", lexicon);
    expect(q.terms.some((t) => t.word === "peau")).toBe(true);
    expect(q.terms.some((t) => t.word === "souscutanees")).toBe(true);
  });
});

describe("quantities", () => {
  it("reads label ranges with units and counts", () => {
    expect(labelRanges("exerese de lesion de 3 cm a 10 cm de grand axe")).toEqual([
      { lo: 3, hi: 10, unit: "cm" },
    ]);
    expect(labelRanges("avulsion de 2 dents")).toEqual([{ lo: 2, hi: 2, unit: null, noun: stem("dents") }]);
    expect(labelRanges("sur plusieurs rayons")[0]).toMatchObject({ lo: 2, unit: null });
  });

  it("scores agreement, one implied when no count is written", () => {
    const q = textQuantities("lipome de 5 cm");
    expect(q).toEqual([{ value: 5, unit: "cm" }]);
    expect(quantityAgreement(labelRanges("de 3 cm a 10 cm"), q)).toBe(1);
    expect(quantityAgreement(labelRanges("de moins de 3 cm"), q)).toBe(-1);
    expect(quantityAgreement(labelRanges("avulsion de 2 dents"), [])).toBe(-0.5);
    expect(quantityAgreement(labelRanges("avulsion d 1 dent"), [])).toBe(0.5);
    // A count of another noun says nothing: "deux ancres" against "plusieurs tendons" implies one tendon.
    const anchors = textQuantities("reinsere par deux ancres");
    expect(quantityAgreement(labelRanges("suture de plusieurs tendons"), anchors)).toBe(-0.5);
    expect(
      quantityAgreement(labelRanges("exerese de 1 a 3 polypes"), textQuantities("deux petits polypes")),
    ).toBe(1);
    // Nouns that count the same thing: arteries are vessels, molars teeth, nodules lesions.
    expect(
      quantityAgreement(
        labelRanges("dilatation de 2 vaisseaux coronaires"),
        textQuantities("les deux arteres"),
      ),
    ).toBe(1);
    expect(
      quantityAgreement(
        labelRanges("avulsion de 2 troisiemes molaires"),
        textQuantities("deux dents de sagesse"),
      ),
    ).toBe(1);
    expect(
      quantityAgreement(labelRanges("cytoponction de plusieurs lesions"), textQuantities("2 nodules")),
    ).toBe(1);
    // "d'une zone" counts one; "< 5 cm²" is under the bound; a constraint said twice counts once.
    expect(
      quantityAgreement(
        labelRanges("excision d une zone cutanee de moins de 5 cm2"),
        textQuantities("3 naevi < 5 cm²"),
      ),
    ).toBe(0);
    expect(labelRanges("exerese de la pulpe d une incisive ou d une canine")).toHaveLength(1);
  });

  it("reads dimensions as one thing, and prefers the smallest size when none is written", () => {
    const stent = textQuantities("stent 3 x 18 mm");
    expect(stent.map((q) => q.unit)).toEqual(["cm", "cm2"]);
    expect(stent[0]?.value).toBeCloseTo(1.8);
    expect(stent[1]?.value).toBeCloseTo(0.54);
    expect(textQuantities("piece de 3 x 2 cm")).toEqual([
      { value: 3, unit: "cm" },
      { value: 6, unit: "cm2" },
    ]);
    expect(quantityAgreement(labelRanges("zone cutanee de moins de 5 cm2"), [])).toBe(0.5);
    expect(quantityAgreement(labelRanges("zone cutanee de plus de 200 cm2"), [])).toBe(-0.25);
    // Ages are not sizes: with no age written nothing is implied.
    expect(quantityAgreement(labelRanges("avant l age de 2 ans"), [])).toBe(0);
  });
});

describe("negation and indication", () => {
  const lexicon = buildLexicon([
    ["testicule non descendu", "testicule ectopique"],
    ["sans ventriculographie", "ventriculographie"],
  ]);
  it("keeps a key holding a negator inside as one name, and a key opening with one negated", () => {
    const q = normalise("testicule non descendu palpable", lexicon);
    expect(q.negated.size).toBe(0);
    expect(q.terms.map((t) => t.term)).toContain("palpabl");
    expect([...normalise("coronarographie sans ventriculographie", lexicon).negated]).toContain(
      stem("ventriculographie"),
    );
  });
  it("matches a key left with one content word only as written", () => {
    const vaginal = buildLexicon([["par le vagin", "voie basse"]]);
    expect(normalise("hystérectomie par le vagin", vaginal).terms.map((t) => t.term)).toContain("bass");
    expect(normalise("prolapsus du vagin", vaginal).terms.map((t) => t.term)).not.toContain("bass");
  });
  it("weighs the words after an indication cue less, but not the limb of 'avant-bras'", () => {
    const weight = (text: string, word: string) =>
      normalise(text, lexicon).terms.find((t) => t.term === stem(word))?.weight;
    expect(weight("cholecystectomie a cause de calculs", "calculs")).toBeLessThan(1);
    expect(weight("plaie de l'avant-bras", "bras")).toBe(1);
  });
});

describe("correctWord", () => {
  const typos = buildLexicon([
    ["fogd", "endoscopie oeso gastro duodenale"],
    ["sterilet", "dispositif intra uterin"],
  ]);
  typos.words = new Set(["totale", "canal", "avulsion", "ceramometallique"]);
  it("collapses doubled letters and fixes one edit of a lexicon key", () => {
    expect(correctWord("tottale", typos)).toBe("totale");
    expect(correctWord("cannal", typos)).toBe("canal");
    expect(correctWord("fodg", typos)).toBe("fogd");
    expect(correctWord("steilet", typos)).toBe("sterilet");
  });
  it("leaves known and short words alone", () => {
    expect(correctWord("totale", typos)).toBeUndefined();
    expect(correctWord("pno", typos)).toBeUndefined();
  });
  it("expands a misspelt abbreviation", () => {
    expect(normalise("FODG, RAS", typos).terms.map((t) => t.word)).toContain("endoscopie");
  });
});
