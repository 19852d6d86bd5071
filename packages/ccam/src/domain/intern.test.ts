import { describe, expect, it } from "vitest";
import { interner, internStrings } from "./intern.js";

describe("interning a loaded version's strings", () => {
  it("passes every string field and every string of an array field through the interner, nothing else", () => {
    const row: Record<string, unknown> = {
      code: "HBGD035",
      position: 3,
      tariff: null,
      modifiers: ["F", 7, "U"],
      notes: [{ text: "kept as is" }],
    };
    const seen: string[] = [];
    internStrings(row, (value) => {
      seen.push(value);
      return value.toLowerCase();
    });
    expect(seen).toEqual(["HBGD035", "F", "U"]);
    expect(row).toEqual({
      code: "hbgd035",
      position: 3,
      tariff: null,
      modifiers: ["f", 7, "u"],
      notes: [{ text: "kept as is" }],
    });
  });

  it("answers with the string it was given", () => {
    const intern = interner();
    const label = ["Ablation ", "de dent"].join("");
    expect(intern(label)).toBe("Ablation de dent");
    expect(intern("Ablation de dent")).toBe(label);
  });
});
