import { describe, expect, it } from "vitest";
import { readLexiconFiles } from "./lexicon.js";

const FOLDED = /^[a-z0-9]+( [a-z0-9]+)*$/;

describe("lexicon files", () => {
  it("hold folded keys and expansions, each key defined in one file only", async () => {
    const files = await readLexiconFiles();
    expect(files[0]?.[0]).toBe("lexicon.fr.json");
    const owner = new Map<string, string>();
    const problems: string[] = [];
    for (const [name, file] of files) {
      for (const [key, expansion] of Object.entries(file.terms)) {
        if (!FOLDED.test(key)) problems.push(`${name}: key "${key}" is not folded`);
        // An empty expansion is a phrase that names nothing the labels code ("en anapath", "dévitalisée").
        if (expansion !== "" && !FOLDED.test(expansion))
          problems.push(`${name}: "${key}" expands to unfolded "${expansion}"`);
        const first = owner.get(key);
        if (first) problems.push(`${name}: "${key}" is already defined in ${first}`);
        else owner.set(key, name);
      }
      for (const [organ, word] of Object.entries(file.ectomies ?? {}))
        if (!FOLDED.test(`${organ} ${word}`))
          problems.push(`${name}: ectomy "${organ}" → "${word}" is not folded`);
    }
    expect(problems).toEqual([]);
  });
});
