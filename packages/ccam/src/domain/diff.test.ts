import { describe, expect, it } from "vitest";
import { parseExcerpt, referentialOf } from "../test-support/excerpt.js";
import { diffReferentials } from "./diff.js";

describe("diffReferentials", () => {
  it("finds added, removed and changed acts field by field", () => {
    const before = parseExcerpt();
    const after = parseExcerpt();
    after.meta = { ...after.meta, version: "V100" };
    after.acts = after.acts.filter((a) => a.code !== "AHQP001");
    const template = after.acts[0];
    if (!template) throw new Error("fixture");
    after.acts.push({ ...structuredClone(template), code: "AHQB999", label: "Nouvel acte" });
    const ajfc = after.acts.find((a) => a.code === "AJFC001");
    if (!ajfc?.lines[0]) throw new Error("fixture");
    ajfc.lines[0].tariffSecteur1 = 350;
    ajfc.modifiers = ["A", "F"];
    ajfc.lines.pop();
    const gele = after.acts.find((a) => a.code === "GELE001");
    if (gele) gele.label = "Lavage gastrique";

    const diff = diffReferentials(referentialOf(before), referentialOf(after));
    expect(diff.from).toBe("V99");
    expect(diff.to).toBe("V100");
    expect(diff.added).toEqual([{ code: "AHQB999", label: "Nouvel acte" }]);
    expect(diff.removed).toEqual([{ code: "AHQP001", label: expect.stringContaining("surface") }]);
    expect(diff.changed.map((c) => c.code)).toEqual(["AJFC001", "GELE001"]);
    const changed = diff.changed[0];
    expect(changed?.fields).toEqual(["modifiers", "lines[1-0].tariffSecteur1", "lines"]);
    expect(changed?.changes).toContainEqual({ field: "lines[1-0].tariffSecteur1", from: 336.25, to: 350 });
    expect(changed?.changes).toContainEqual({ field: "lines", from: "4-0", to: null });
    expect(diff.changed[1]?.changes).toEqual([
      { field: "label", from: "Lavage de l'estomac", to: "Lavage gastrique" },
    ]);
  });

  it("finds nothing between a version and itself", () => {
    const r = referentialOf(parseExcerpt());
    expect(diffReferentials(r, r)).toMatchObject({ added: [], removed: [], changed: [] });
  });
});
