import { describe, expect, it } from "vitest";
import { evidenceSpans } from "./EvidenceText";

describe("evidenceSpans", () => {
  it("cuts the text at every evidence boundary and tells which suggestions cite each piece", () => {
    const text = "appendicectomie par coelioscopie";
    const spans = evidenceSpans(text, [
      { evidence: [{ start: 0, end: 15, text: "appendicectomie" }] },
      {
        evidence: [
          { start: 20, end: 32, text: "coelioscopie" },
          { start: 0, end: 15, text: "appendicectomie" },
        ],
      },
    ]);
    expect(spans.map((s) => [text.slice(s.start, s.end), s.ranks])).toEqual([
      ["appendicectomie", [0, 1]],
      [" par ", []],
      ["coelioscopie", [1]],
    ]);
  });

  it("clamps spans outside the text", () => {
    expect(evidenceSpans("abc", [{ evidence: [{ start: 1, end: 99, text: "bc" }] }])).toEqual([
      { start: 0, end: 1, ranks: [] },
      { start: 1, end: 3, ranks: [0] },
    ]);
  });
});
