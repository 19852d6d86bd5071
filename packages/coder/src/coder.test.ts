import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCoder, editDistance } from "./coder.js";
import { evaluate } from "./evaluate.js";
import { tinyReferential } from "./testing/fixture.js";

const cacheDir = mkdtempSync(join(tmpdir(), "coder-unit-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("createCoder / suggest", () => {
  it("returns ranked suggestions with the documented shape", async () => {
    const coder = await createCoder({ referential: tinyReferential(), cacheDir });
    const text = "Appendicectomie par coelio";
    const result = await coder.suggest({ text });
    expect(result.engine).toBe("offline");
    expect(result.referentialVersion).toBe("V99");
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const top = result.suggestions[0];
    expect(top?.code).toBe("HHFA016");
    expect(top).toMatchObject({ activity: 1, phase: 0, tariff: 100, findings: [], blocked: false });
    expect(top?.confidence).toBeGreaterThan(0);
    expect(top?.confidence).toBeLessThanOrEqual(1);
    // Evidence spans point into the original text.
    for (const e of top?.evidence ?? []) expect(text.slice(e.start, e.end)).toBe(e.text);
    expect(top?.evidence.map((e) => e.text)).toContain("Appendicectomie");
    // The first suggestion is the most confident.
    for (const s of result.suggestions.slice(1))
      expect(s.confidence).toBeLessThanOrEqual(top?.confidence ?? 1);
  });

  it("uses approach, injection and size to choose among siblings", async () => {
    const coder = await createCoder({ referential: tinyReferential(), cacheDir });
    const first = async (text: string) => (await coder.suggest({ text })).suggestions[0]?.code;
    expect(await first("cholécystectomie par laparotomie")).toBe("HMFA007");
    expect(await first("cholécystectomie coelioscopique")).toBe("HMFC004");
    expect(await first("IRM cérébrale sans injection")).toBe("ACQN001");
    expect(await first("IRM cérébrale avec injection de gadolinium")).toBe("ACQJ002");
    expect(await first("exérèse d'une lésion sous-cutanée de 5 cm")).toBe("QZFA007");
    expect(await first("exérèse d'une lésion sous-cutanée de 2 cm")).toBe("QZFA002");
    expect(await first("avulsion de 2 dents permanentes")).toBe("HBGD043");
    expect(await first("PTG gauche")).toBe("NFKA007");
  });

  it("drops codes not valid at the date and honours the limit", async () => {
    const coder = await createCoder({ referential: tinyReferential(), cacheDir });
    const codes = (
      await coder.suggest({ text: "exérèse lésion", date: "2026-03-01", limit: 20 })
    ).suggestions.map((s) => s.code);
    expect(codes).not.toContain("ZZZZ001");
    expect(codes).not.toContain("ZZZZ002");
    const old = (await coder.suggest({ text: "exérèse lésion supprimée", date: "2019-03-01" })).suggestions;
    expect(old.map((s) => s.code)).toContain("ZZZZ001");
    expect((await coder.suggest({ text: "exérèse lésion", limit: 2 })).suggestions).toHaveLength(2);
  });

  it("saves the index once per version sha256 and loads it back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coder-cache-"));
    try {
      const a = await createCoder({ referential: tinyReferential("b".repeat(64)), cacheDir: dir });
      expect(a.internals.index.loadedFrom).toBe("built");
      expect(readdirSync(dir).some((f) => f.includes("b".repeat(64)))).toBe(true);
      const b = await createCoder({ referential: tinyReferential("b".repeat(64)), cacheDir: dir });
      expect(b.internals.index.loadedFrom).toBe("cache");
      const text = "appendicectomie abord fosse iliaque";
      expect((await b.suggest({ text })).suggestions.map((s) => s.code)).toEqual(
        (await a.suggest({ text })).suggestions.map((s) => s.code),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("learns a site's choice and bumps the generation", async () => {
    const coder = await createCoder({ referential: tinyReferential(), cacheDir });
    const text = "ablation de l'appendice";
    expect(coder.generation()).toBe(0);
    await coder.learn({
      text,
      chosenCodes: ["HHFA001"],
      rejectedCodes: [],
      site: "s1",
      at: new Date().toISOString(),
    });
    expect(coder.generation()).toBe(1);
    const learned = await coder.suggest({ text: "ablation appendice", site: "s1" });
    expect(learned.suggestions[0]?.code).toBe("HHFA001");
  });
});

describe("rule findings", () => {
  it("attaches the rule engine's findings and blocks on a blocking one", async () => {
    const coder = await createCoder({
      referential: tinyReferential(),
      cacheDir,
      validate: (input, referential) => {
        const code = input.acts[0]?.code ?? "";
        const blocking = code === "HHFA016";
        return {
          valid: !blocking,
          version: referential.version.version,
          issues: blocking
            ? [{ rule: "R1", severity: "blocking", code, message: "not billable", reference: "test" }]
            : [],
          lines: [],
          total: 0,
        };
      },
    });
    const result = await coder.suggest({ text: "appendicectomie par coelioscopie" });
    const blocked = result.suggestions.find((s) => s.code === "HHFA016");
    expect(blocked).toMatchObject({ blocked: true, findings: [{ rule: "R1", severity: "blocking" }] });
    expect(result.suggestions.find((s) => s.code === "HHFA001")).toMatchObject({
      blocked: false,
      findings: [],
    });
  });
});

describe("evaluate", () => {
  it("counts hits at k over expected and acceptable codes", async () => {
    const coder = await createCoder({ referential: tinyReferential(), cacheDir });
    const report = await evaluate(coder, [
      {
        id: "a",
        text: "appendicectomie par coelioscopie",
        expected: ["HHFA016"],
        acceptable: [],
        specialty: "x",
      },
      {
        id: "b",
        text: "appendicectomie par coelioscopie",
        expected: ["NOPE001"],
        acceptable: ["HHFA016"],
        specialty: "x",
      },
      {
        id: "c",
        text: "appendicectomie par coelioscopie",
        expected: ["NOPE001"],
        acceptable: [],
        specialty: "y",
      },
    ]);
    expect(report).toMatchObject({ n: 3, top1: 0.667, top5: 0.667 });
    expect(report.misses.map((m) => m.id)).toEqual(["c"]);
    expect(report.bySpecialty.x).toEqual({ n: 2, top1: 2, top5: 2 });
  });
});

describe("editDistance", () => {
  it("counts an adjacent swap as one edit and stops past the bound", () => {
    expect(editDistance("ingiunal", "inguinal", 2)).toBe(1);
    expect(editDistance("colecystectomi", "cholecystectomi", 2)).toBe(1);
    expect(editDistance("gonarthros", "ganglion", 2)).toBe(3);
    expect(editDistance("abc", "abc", 1)).toBe(0);
  });
});
