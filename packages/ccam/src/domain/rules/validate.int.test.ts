import { beforeAll, describe, expect, it } from "vitest";
import { loadSharedReferential } from "../../import/load.js";
import type { Referential } from "../referential.js";
import { ReferentialCatalog } from "../referential.js";
import { noteRuleCoverage } from "./notes.js";
import { type ValidationInput, ValidationInputSchema, ValidationResultSchema } from "./schema.js";
import { ReferentialVersionError, validate, validateInCatalog } from "./validate.js";

// Real V81 (official ameli sheet + ATIH enrichment). Every amount below was checked by hand against the CSV:
// the arithmetic is in the comment of each case.

type Act = ValidationInput["acts"][number];
let v81: Referential;
let v78: Referential;
beforeAll(async () => {
  [v81, v78] = await Promise.all([loadSharedReferential("V81"), loadSharedReferential("V78")]);
});

const DATE = "2026-03-10";
const run = (acts: Act[], extra: Partial<ValidationInput> = {}) =>
  validate({ date: DATE, acts, ...extra }, v81);
const rulesOf = (result: ReturnType<typeof run>) => result.issues.map((i) => `${i.rule}:${i.severity}`);
const a1 = (code: string, modifiers: string[] = [], more: Partial<Act> = {}): Act => ({
  code,
  activity: 1,
  phase: 0,
  modifiers,
  ...more,
});
const a4 = (code: string, modifiers: string[] = [], more: Partial<Act> = {}): Act => ({
  code,
  activity: 4,
  phase: 0,
  modifiers,
  extension: "1",
  ...more,
});

interface Case {
  name: string;
  acts: Act[];
  extra?: Partial<ValidationInput>;
  /** Expected issues as "rule:severity" (exactly these, in any order). */
  issues: string[];
}

function table(cases: Case[]) {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const result = run(c.acts, c.extra);
    expect(ValidationResultSchema.parse(result)).toEqual(result);
    expect(rulesOf(result).sort()).toEqual([...c.issues].sort());
    expect(result.valid).toBe(!c.issues.some((i) => i.endsWith(":blocking")));
    for (const issue of result.issues) expect(issue.reference.length).toBeGreaterThan(10);
  });
}

describe("code-exists, code-dates, version", () => {
  table([
    { name: "NEKA020 exists in V81", acts: [a1("NEKA020")], issues: [] },
    {
      name: "HBLD425 was removed in V81 (present in V78)",
      acts: [a1("HBLD425")],
      issues: ["code-exists:blocking"],
    },
    {
      name: "AANB741 (created 2024-11-12) is not yet valid on 2024-06-01",
      acts: [a1("AANB741")],
      extra: { date: "2024-06-01" },
      issues: ["code-dates:blocking", "version:warning"],
    },
    {
      name: "AANB741 is valid on 2026-03-10",
      acts: [a1("AANB741")],
      issues: [],
    },
    {
      name: "a version mismatch is reported",
      acts: [a1("NEKA020")],
      extra: { version: "V78" },
      issues: ["version:warning"],
    },
  ]);

  it("names the start date of a future code", () => {
    const result = run([a1("AANB741")], { date: "2024-06-01" });
    expect(result.issues.find((i) => i.rule === "code-dates")?.message).toContain("2024-11-12");
    expect(result.lines[0]).toMatchObject({ baseAmount: null, amount: null });
  });
});

describe("activity-phase and anesthesia-activity", () => {
  table([
    { name: "NEKA020 activity 4 exists (229.90 €)", acts: [a4("NEKA020")], issues: [] },
    {
      name: "NEKA020 has no activity 2",
      acts: [a1("NEKA020", [], { activity: 2 })],
      issues: ["activity-phase:blocking"],
    },
    {
      name: "NEKA020 has no phase 1",
      acts: [a1("NEKA020", [], { phase: 1 })],
      issues: ["activity-phase:blocking"],
    },
    {
      name: "ABLB001 has no activity 4: anaesthesia goes through ZZLP025",
      acts: [a1("ABLB001"), a4("ABLB001")],
      issues: ["anesthesia-activity:blocking"],
    },
    {
      name: "an activity-4 line without extension documentaire is flagged",
      acts: [a4("NEKA020", [], { extension: undefined })],
      issues: ["extension-documentaire:warning"],
    },
  ]);

  it("points to the complementary anaesthesia listed under the act", () => {
    const issue = run([a4("ABLB001")]).issues.find((i) => i.rule === "anesthesia-activity");
    expect(issue?.message).toContain("ZZLP025");
  });

  it("prices NEKA020 activity 4 at 229.90 € in V81", () => {
    expect(run([a4("NEKA020")]).lines[0]).toMatchObject({ baseAmount: 229.9, amount: 229.9, rate: 1 });
  });
});

describe("modifiers", () => {
  table([
    { name: "J and K are listed for NEKA020", acts: [a1("NEKA020", ["J", "K"])], issues: [] },
    {
      name: "E is not in NEKA020's list",
      acts: [a1("NEKA020", ["E"])],
      issues: ["modifier-allowed:blocking"],
    },
    {
      name: "X is not in the V81 table",
      acts: [a1("NEKA020", ["X"])],
      issues: ["modifier-unknown:blocking"],
    },
    {
      name: "five modifiers on one line",
      acts: [a1("NEKA020", ["J", "K", "A", "F", "O"])],
      issues: ["modifier-count:blocking", "modifier-incompatible:blocking"],
    },
    {
      name: "U (night) with F (Sunday)",
      acts: [a1("NEKA020", ["U", "F"])],
      issues: ["modifier-incompatible:blocking"],
    },
    { name: "K with T", acts: [a1("NEKA020", ["K", "T"])], issues: ["modifier-incompatible:blocking"] },
    {
      name: "Y with Z (notes of the table)",
      acts: [a1("AEQH002", ["Y", "Z"])],
      issues: ["modifier-incompatible:blocking"],
    },
    { name: "J twice", acts: [a1("NEKA020", ["J", "J"])], issues: ["modifier-duplicate:blocking"] },
    {
      name: "A (age < 4 or > 80) on a 50-year-old",
      acts: [a4("NEKA020", ["A"])],
      extra: { patient: { sex: "M", ageYears: 50 } },
      issues: ["modifier-age:blocking"],
    },
    {
      name: "A on an 85-year-old",
      acts: [a4("NEKA020", ["A"])],
      extra: { patient: { sex: "M", ageYears: 85 } },
      issues: [],
    },
    {
      name: "A on a 2-year-old",
      acts: [a4("NEKA020", ["A"])],
      extra: { patient: { sex: "F", ageYears: 2 } },
      issues: [],
    },
    {
      name: "E (radiograph < 5 years) on a 7-year-old",
      acts: [a1("MBQK001", ["E"])],
      extra: { patient: { sex: "F", ageYears: 7 } },
      issues: ["modifier-age:blocking"],
    },
    {
      name: "U on two acts of the same surgeon",
      acts: [a1("HHFA016", ["U"]), a1("NEKA020", ["U"])],
      issues: ["modifier-once:blocking"],
    },
    {
      name: "U once for the surgeon and once for the anaesthetist",
      acts: [a1("HHFA016", ["U"]), a4("HHFA016", ["U"])],
      issues: [],
    },
  ]);

  it.each([
    // Ex 1: NEKA020-1-0 459.80 × (1 + 6.5 % + 30 %) = 459.80 × 1.365 = 627.627 → 627.63 (J and K add up, not compound)
    ["NEKA020-1 J+K", [a1("NEKA020", ["J", "K"])], [627.63]],
    // NEKA020-4-0 229.90 × (1 + 12 % + 6 %) = 229.90 × 1.18 = 271.282 → 271.28
    ["NEKA020-4 3+7", [a4("NEKA020", ["3", "7"])], [271.28]],
    // + A (fixed 23.00 €, added after the percentages): 271.28 + 23.00 = 294.28
    ["NEKA020-4 3+7+A", [a4("NEKA020", ["3", "7", "A"])], [294.28]],
    // Ex 5: HHFA016-1 195.84 × 1.365 = 267.3216 → 267.32, + U surgeon's row 50.00 € = 317.32
    ["HHFA016-1 J+K+U", [a1("HHFA016", ["J", "K", "U"])], [317.32]],
    // HHFA016-4 103.64 × 1.18 = 122.2952 → 122.30, + U anaesthetist's row 50.00 € = 172.30
    ["HHFA016-4 3+7+U", [a4("HHFA016", ["3", "7", "U"])], [172.3]],
    // MBQK001 (radiograph, not surgical): U takes the first row, 25.15 €: 19.95 + 25.15 = 45.10
    ["MBQK001 U", [a1("MBQK001", ["U"])], [45.1]],
    // B's cell reads 0.49 in the sheet = +49 %: 19.95 × 1.49 = 29.7255 → 29.73
    ["MBQK001 B", [a1("MBQK001", ["B"])], [29.73]],
  ] as const)("prices %s", (_name, acts, amounts) => {
    const result = run([...acts], { patient: { sex: "M", ageYears: 85 } });
    expect(result.lines.map((l) => l.amount)).toEqual(amounts);
  });
});

describe("complementary-parent", () => {
  table([
    {
      name: "HMQA001 (geste complémentaire) alone",
      acts: [a1("HMQA001")],
      issues: ["complementary-parent:blocking"],
    },
    { name: "HMQA001 with HMFC004, which lists it", acts: [a1("HMFC004"), a1("HMQA001")], issues: [] },
    {
      name: "HMQA001 with NEKA020, which does not",
      acts: [a1("NEKA020"), a1("HMQA001")],
      issues: ["complementary-parent:blocking"],
    },
    { name: "YYYY145 (supplément) alone", acts: [a1("YYYY145")], issues: ["complementary-parent:blocking"] },
    { name: "GELE001 with NEKA020, which lists it", acts: [a1("NEKA020"), a1("GELE001")], issues: [] },
  ]);
});

describe("note-exclusion and note-incompatibility", () => {
  table([
    {
      name: "HHFA011 « À l'exclusion de … (HHFA001) »",
      acts: [a1("HHFA011"), a1("HHFA001")],
      issues: ["note-exclusion:warning"],
    },
    {
      name: "YYYY006 « ne peut pas être facturé avec … (GLQP009, GLQP011) »",
      acts: [a1("YYYY006"), a1("GLQP009")],
      issues: ["note-incompatibility:blocking"],
    },
    {
      name: "the same pair, the other way round",
      acts: [a1("GLQP009"), a1("YYYY006")],
      issues: ["note-incompatibility:blocking"],
    },
    {
      name: "HBQK061 « Non associable à : HBQK040 et HBQK303 » (both complementary, no parent)",
      acts: [a1("HBQK061"), a1("HBQK040")],
      issues: [
        "note-incompatibility:blocking",
        "complementary-parent:blocking",
        "complementary-parent:blocking",
      ],
    },
    {
      name: "DZQM006 with DEQP003: an exception that depends on the clinical context",
      acts: [a1("DZQM006"), a1("DEQP003")],
      issues: ["note-incompatibility:warning"],
    },
    {
      name: "YYYY010 with a chapter 1–17 act (AHQB027)",
      acts: [a1("YYYY010"), a1("AHQB027")],
      issues: ["note-incompatibility:blocking"],
    },
    {
      name: "YYYY010 with DEQP003, the exception the note names",
      acts: [a1("YYYY010"), a1("DEQP003")],
      issues: [],
    },
    {
      name: "08.03.02.07 (JHSA001) with another act of 08.03 (JGNE003): chapter note",
      acts: [a1("JHSA001"), a1("JGNE003")],
      issues: ["note-incompatibility:blocking"],
    },
    {
      name: "FELF007 « ne peut pas être facturé avec un geste d'anesthésie »",
      acts: [a1("FELF007"), a4("NEKA020"), a1("NEKA020")],
      issues: ["note-incompatibility:blocking"],
    },
  ]);

  it("cites the note text", () => {
    const issue = run([a1("YYYY006"), a1("GLQP009")]).issues[0];
    expect(issue?.reference).toContain("ne peut pas être facturé avec épreuve fonctionnelle respiratoire");
  });

  it("reports the parser's coverage on V81", () => {
    const coverage = noteRuleCoverage(v81);
    // Notes worded as an exclusion or an incompatibility, act- and chapter-level.
    expect(coverage.candidates).toBe(976);
    expect(coverage.parsed).toBe(615);
    // Nearly every such note that names a CCAM code yields a machine rule; the rest (e.g. "À l'exclusion de :
    // analgésie postopératoire", "les actes à visée esthétique ne peuvent pas être facturés") name no code.
    expect(coverage.withCodes).toBe(609);
    expect(coverage.withCodesParsed).toBe(606);
    expect(coverage.unparsed).toHaveLength(coverage.candidates - coverage.parsed);
  });
});

describe("sex, age, prior approval, reimbursement conditions", () => {
  const man = { patient: { sex: "M" as const, ageYears: 40 } };
  const woman = { patient: { sex: "F" as const, ageYears: 40 } };
  table([
    { name: "EGFA010 (male) on a man", acts: [a1("EGFA010")], extra: man, issues: [] },
    { name: "EGFA010 (male) on a woman", acts: [a1("EGFA010")], extra: woman, issues: ["sex:blocking"] },
    { name: "EDSA002 (female) on a man", acts: [a1("EDSA002")], extra: man, issues: ["sex:blocking"] },
    { name: "sex unknown: no check", acts: [a1("EDSA002")], issues: [] },
    {
      name: "LMMA014 « avant l'âge de 16 ans » at 40",
      acts: [a1("LMMA014")],
      extra: man,
      issues: ["age:warning"],
    },
    {
      name: "LMMA014 at 10",
      acts: [a1("LMMA014")],
      extra: { patient: { sex: "M", ageYears: 10 } },
      issues: [],
    },
    {
      name: "LMMA009 « après l'âge de 16 ans » at 10",
      acts: [a1("LMMA009")],
      extra: { patient: { sex: "M", ageYears: 10 } },
      issues: ["age:warning"],
    },
    { name: "LMMA009 at 40", acts: [a1("LMMA009")], extra: man, issues: [] },
    { name: "GAMA008 needs prior approval (AP)", acts: [a1("GAMA008")], issues: ["prior-approval:warning"] },
    {
      name: "BAFA015 is reimbursed under conditions (RC)",
      acts: [a1("BAFA015")],
      issues: ["reimbursement-conditions:warning"],
    },
  ]);
});

describe("association (article I-11)", () => {
  it.each([
    {
      // G1: one act per practitioner, no code.
      name: "G1 NEKA020 surgeon and anaesthetist",
      acts: [a1("NEKA020", ["J", "K"]), a4("NEKA020", ["3", "7"])],
      codes: [null, null],
      amounts: [627.63, 271.28],
    },
    {
      // Ex 2, G2: MJPA012 281.29 × 1.365 = 383.96085 → 383.96 (code 1);
      // AHPA009 104.50 × 1.365 × 50 % = 71.32125 → 71.32 (code 2).
      name: "G2 MJPA012 + AHPA009 (input in ascending order: sorted by tariff)",
      acts: [a1("AHPA009", ["J", "K"]), a1("MJPA012", ["J", "K"])],
      codes: ["2", "1"],
      amounts: [71.32, 383.96],
    },
    {
      // Anaesthetist, associated within activity 4: MJPA012-4 134.99 × 1.18 = 159.2882 → 159.29;
      // AHPA009-4 59.32 × 1.18 × 50 % = 34.9988 → 35.00.
      name: "G2 within activity 4",
      acts: [a4("MJPA012", ["3", "7"]), a4("AHPA009", ["3", "7"])],
      codes: ["1", "2"],
      amounts: [159.29, 35],
    },
    {
      // Ex 4, GA: an act and its geste complémentaire, no code, both at 100 %: HMFC004 300.03 × 1.365 = 409.54;
      // HMQA001 119.95 × 1.365 = 163.73; HMFC004-4 151.51 × 1.18 = 178.78; HMQA001-4 19.20 × 1.12 = 21.504 → 21.50.
      name: "GA HMFC004 + HMQA001 (both activities)",
      acts: [
        a1("HMFC004", ["J", "K"]),
        a1("HMQA001", ["J", "K"]),
        a4("HMFC004", ["3", "7"]),
        a4("HMQA001", ["3"]),
      ],
      codes: [null, null, null, null],
      amounts: [409.54, 163.73, 178.78, 21.5],
    },
    {
      // GB: act + geste complémentaire + supplément, code 1 on each, 100 %: 300.03 + 119.95 + 57.19.
      name: "GB HMFC004 + HMQA001 + YYYY145",
      acts: [a1("HMFC004"), a1("HMQA001"), a1("YYYY145")],
      codes: ["1", "1", "1"],
      amounts: [300.03, 119.95, 57.19],
    },
    {
      // G2 with three main acts: NEKA020 459.80 (1), MJPA012 281.29 × 50 % = 140.645 → 140.65 (2), AHPA009 not billable.
      name: "G2 three acts: the third is not billable",
      acts: [a1("AHPA009"), a1("NEKA020"), a1("MJPA012")],
      codes: [null, "1", "2"],
      amounts: [0, 459.8, 140.65],
    },
    {
      // EI: conventional radiology, every further radiograph at 50 %: 19.95, 19.95 × 50 % = 9.975 → 9.98, 9.98.
      name: "EI three radiographs",
      acts: [a1("MBQK001"), a1("MCQK001"), a1("ZCQK002")],
      codes: ["1", "2", "2"],
      amounts: [19.95, 9.98, 9.98],
    },
    {
      // GELE001 is priced 0.00 €: not billable, left out of the association (NEKA020 alone: G1).
      name: "a 0 € geste complémentaire is left out",
      acts: [a1("NEKA020"), a1("GELE001")],
      codes: [null, null],
      amounts: [459.8, 0],
    },
  ])("$name", ({ acts, codes, amounts }) => {
    const result = run(acts);
    expect(result.lines.map((l) => l.associationCode)).toEqual(codes);
    expect(result.lines.map((l) => l.amount)).toEqual(amounts);
    expect(result.total).toBe(Math.round(amounts.reduce((s, a) => s + a, 0) * 100) / 100);
  });

  table([
    {
      name: "a user code 1 on the second act contradicts code 2",
      acts: [a1("MJPA012"), a1("AHPA009", [], { associationCode: "1" })],
      issues: ["association-code:blocking"],
    },
    {
      name: "a user code 3 (different limbs) is accepted as a derogation",
      acts: [a1("MJPA012"), a1("AHPA009", [], { associationCode: "3" })],
      issues: ["association-code:warning"],
    },
    {
      name: "a user code on a single act contradicts « no code »",
      acts: [a1("NEKA020", [], { associationCode: "1" })],
      issues: ["association-code:blocking"],
    },
    {
      name: "the computed codes given by the user raise nothing",
      acts: [a1("MJPA012", [], { associationCode: "1" }), a1("AHPA009", [], { associationCode: "2" })],
      issues: [],
    },
    {
      name: "the third act of G2 is reported",
      acts: [a1("AHPA009"), a1("NEKA020"), a1("MJPA012")],
      issues: ["association-limit:warning"],
    },
  ]);

  it("prices a derogation code 3 at 75 %: 104.50 × 1.365 × 75 % = 106.981875 → 106.98", () => {
    const result = run([a1("MJPA012", ["J", "K"]), a1("AHPA009", ["J", "K"], { associationCode: "3" })]);
    expect(result.lines[1]).toMatchObject({ associationCode: "3", rate: 0.75, amount: 106.98 });
  });

  it("uses the hors-secteur-1 column when asked: HMQA001 41.80 instead of 119.95", () => {
    const result = run([a1("HMFC004"), a1("HMQA001")], { setting: "hors_secteur1" });
    expect(result.lines.map((l) => l.baseAmount)).toEqual([279.35, 41.8]);
  });
});

describe("validateInCatalog and the input schema", () => {
  it("picks the version in force at the date, or the one asked for", () => {
    const catalog = new ReferentialCatalog([v78, v81]);
    expect(validateInCatalog({ date: "2025-06-01", acts: [a1("HBLD425")] }, catalog)).toMatchObject({
      version: "V78",
      valid: true,
    });
    expect(validateInCatalog({ date: "2026-02-01", acts: [a1("HBLD425")] }, catalog)).toMatchObject({
      version: "V81",
      valid: false,
    });
    expect(() =>
      validateInCatalog({ date: "2026-02-01", version: "V12", acts: [a1("NEKA020")] }, catalog),
    ).toThrow(ReferentialVersionError);
    expect(() => validateInCatalog({ date: "2020-01-01", acts: [a1("NEKA020")] }, catalog)).toThrow(
      /2020-01-01/,
    );
  });

  it.each([
    [{ date: "2026-02-30", acts: [a1("NEKA020")] }, "date"],
    [{ date: DATE, acts: [] }, "acts"],
    [{ date: DATE, acts: [{ code: "neka020", activity: 1, phase: 0 }] }, "acts.0.code"],
    [{ date: DATE, acts: [{ code: "NEKA020", activity: 6, phase: 0 }] }, "acts.0.activity"],
    [{ date: DATE, acts: [a1("NEKA020", ["JK"])] }, "acts.0.modifiers.0"],
    [{ date: DATE, acts: [a1("NEKA020")], patient: { sex: "X", ageYears: 3 } }, "patient.sex"],
  ])("refuses %j, naming %s", (input, field) => {
    const parsed = ValidationInputSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain(field);
  });

  it("runs 1,000 validations of a 3-act set in under 1 s", () => {
    const input: ValidationInput = {
      date: DATE,
      patient: { sex: "M", ageYears: 60 },
      acts: [a1("MJPA012", ["J", "K"]), a1("AHPA009", ["J", "K"]), a4("MJPA012", ["3", "7"])],
    };
    validate(input, v81); // warm the memoised note and modifier rules
    const start = performance.now();
    for (let i = 0; i < 1000; i++) validate(input, v81);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
