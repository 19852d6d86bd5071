import { describe, expect, it } from "vitest";
import { parseExcerpt, referentialOf } from "../test-support/excerpt.js";
import { ReferentialCatalog } from "./referential.js";

describe("Referential", () => {
  const referential = referentialOf(parseExcerpt());

  it("looks up acts and lines", () => {
    expect(referential.act("AJFC001")?.label).toContain("Sympathectomie lombale");
    expect(referential.line("AJFC001", 4, 0)?.tariffSecteur1).toBe(177.55);
    expect(referential.line("AJFC001", 2, 0)).toBeUndefined();
    expect(referential.act("ZZZZ999")).toBeUndefined();
  });

  it("gives the chapter trail from the top level down", () => {
    expect(referential.chapterTrail("01.01.01.01").map((c) => c.path)).toEqual([
      "01",
      "01.01",
      "01.01.01",
      "01.01.01.01",
    ]);
  });
});

describe("ReferentialCatalog", () => {
  const v1 = referentialOf(parseExcerpt(), { version: "V78", effectiveDate: "2025-02-01" });
  const v2 = referentialOf(parseExcerpt(), { version: "V81", effectiveDate: "2026-01-01" });
  const catalog = new ReferentialCatalog([v1, v2]);

  it("picks the version in force at a date", () => {
    expect(catalog.atDate("2025-01-31")).toBeUndefined();
    expect(catalog.atDate("2025-02-01")?.version.version).toBe("V78");
    expect(catalog.atDate("2025-12-31")?.version.version).toBe("V78");
    expect(catalog.atDate("2026-01-01")?.version.version).toBe("V81");
  });

  it("lists newest first", () => {
    expect(catalog.list().map((r) => r.version.version)).toEqual(["V81", "V78"]);
    expect(catalog.latest()?.version.version).toBe("V81");
    expect(catalog.get("V78")).toBe(v1);
  });
});
