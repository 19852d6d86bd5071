import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadSharedReferential, type Referential, sharedDir } from "@ccam/ccam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoder } from "./coder.js";
import { evaluate, readCases } from "./evaluate.js";
import { readAliasFiles } from "./lexicon.js";

let referential: Referential;
const cacheDir = mkdtempSync(join(tmpdir(), "coder-int-"));

beforeAll(async () => {
  referential = await loadSharedReferential("V81");
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("coder on the real V81", () => {
  it("has aliases only for acts of V81, each a name the label does not already give", async () => {
    const problems: string[] = [];
    for (const [name, file] of await readAliasFiles())
      for (const [code, names] of Object.entries(file.aliases)) {
        const act = referential.act(code);
        if (!act) problems.push(`${name}: ${code} is not a V81 act`);
        for (const alias of names)
          if (!alias.trim() || alias.trim().toLowerCase() === act?.label.toLowerCase())
            problems.push(`${name}: ${code} has an empty alias or its own label`);
      }
    expect(problems).toEqual([]);
  });

  it("meets a floor on the dev set (regression guard, not the target)", async () => {
    const coder = await createCoder({ referential, cacheDir });
    const cases = await readCases(resolve(sharedDir(), "eval/dev.jsonl"));
    const report = await evaluate(coder, cases);
    expect(report.n).toBe(80);
    expect(report.top1).toBeGreaterThanOrEqual(0.75);
    expect(report.top5).toBeGreaterThanOrEqual(0.93);
    expect(report.reliability.reduce((s, b) => s + b.n, 0)).toBe(80);
  });

  it("gives the same answers from the cached index", async () => {
    const built = await createCoder({ referential, cacheDir });
    const cached = await createCoder({ referential, cacheDir });
    expect(cached.internals.index.loadedFrom).toBe("cache");
    for (const text of [
      "prothèse totale de hanche",
      "FOGD avec biopsies",
      "scanner thoracique sans injection",
    ]) {
      const a = await built.suggest({ text });
      const b = await cached.suggest({ text });
      expect(b.suggestions.map((s) => s.code)).toEqual(a.suggestions.map((s) => s.code));
    }
  });

  it("returns tariffs, in-range confidences and evidence spans into the text", async () => {
    const coder = await createCoder({ referential, cacheDir });
    const text = "Cholécystectomie sous cœlioscopie pour lithiase";
    const result = await coder.suggest({ text, date: "2026-03-01" });
    expect(result.referentialVersion).toBe("V81");
    const top = result.suggestions[0];
    expect(top?.code).toBe("HMFC004");
    expect(top?.tariff).toBe(referential.line("HMFC004", 1, 0)?.tariffSecteur1);
    for (const s of result.suggestions) {
      expect(s.confidence).toBeGreaterThanOrEqual(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
      for (const e of s.evidence) expect(text.slice(e.start, e.end)).toBe(e.text);
    }
    expect(top?.evidence.map((e) => e.text)).toEqual(
      expect.arrayContaining(["Cholécystectomie", "cœlioscopie"]),
    );
  });

  it("never suggests a code outside its validity dates", async () => {
    const coder = await createCoder({ referential, cacheDir });
    const date = "2026-02-01";
    for (const text of ["biopsie cutanée", "échographie abdominale", "pose de stimulateur cardiaque"]) {
      for (const s of (await coder.suggest({ text, date, limit: 20 })).suggestions) {
        const act = referential.act(s.code);
        expect(!act?.startDate || act.startDate <= date).toBe(true);
        expect(!act?.endDate || act.endDate >= date).toBe(true);
      }
    }
  });

  it("gives one suggestion per act when the text describes several", async () => {
    const coder = await createCoder({ referential, cacheDir });
    const text = "Cholécystectomie coelio + cholangiographie peropératoire";
    const { suggestions } = await coder.suggest({ text });
    expect(suggestions.slice(0, 2).map((s) => s.code)).toEqual(["HMFC004", "HMQH008"]);
    expect(suggestions[1]?.segment?.text).toBe("cholangiographie peropératoire");
    for (const s of suggestions) for (const e of s.evidence) expect(text.slice(e.start, e.end)).toBe(e.text);
    const single = await coder.suggest({
      text: "Hystérectomie totale avec annexectomie bilatérale par coelioscopie",
    });
    expect(single.suggestions[0]?.code).toBe("JKFC003");
    expect(single.suggestions.every((s) => s.segment === undefined)).toBe(true);
  });
});
