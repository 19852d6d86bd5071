import { describe, expect, it } from "vitest";
import { justificationProblem, reasonCategory } from "./justification.js";

describe("justificationProblem", () => {
  it.each([
    "Voie cœlioscopique et non laparotomie selon le compte rendu",
    "Geste bilatéral documenté dans le CR opératoire",
  ])("accepts a real reason: %s", (text) => {
    expect(justificationProblem(text)).toBeUndefined();
  });

  it.each([
    ["", /at least 15/],
    ["   trop court   ", /at least 15/],
    ["                         ", /at least 15/],
    ["aaaaaaaaaaaaaaaaaaaa", /same few characters/],
    ["abababababababababab", /same few characters/],
    ["abcdeabcdeabcdeabcde", /repeated pattern/],
    ["1234 5678 9012 3456 78", /words/],
  ])("refuses %j", (text, message) => {
    expect(justificationProblem(text)).toMatch(message);
  });
});

describe("reasonCategory", () => {
  it.each([
    ["Voie cœlioscopique et non laparotomie", "voie d'abord"],
    ["Geste bilatéral documenté", "latéralité"],
    ["Exérèse complète et non partielle", "étendue du geste"],
    ["Voir le compte rendu opératoire", "compte rendu"],
    ["Erreur de saisie du médecin", "autre"],
  ])("%s → %s", (text, category) => {
    expect(reasonCategory(text)).toBe(category);
  });
});
