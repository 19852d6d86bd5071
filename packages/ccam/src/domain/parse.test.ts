import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { csvRows } from "../import/read.js";
import {
  classifyNote,
  parseReferential,
  parseTariff,
  parseTitle,
  ReferentialParseError,
  type SourceRow,
  toChapterPath,
} from "./parse.js";

const EXCERPT = new URL("../../test-fixtures/ameli-excerpt.csv", import.meta.url);
const excerptRows = () => csvRows(readFileSync(EXCERPT));

function rowsOf(...lines: string[][]): SourceRow[] {
  return lines.map((cells, i) => ({ line: i + 1, cells }));
}
const TITLE = ["CNAM - CCAM version 81 applicable 01/01/2026"];
const HEADER = ["Code", "", "Texte", "Activité", "Phase", "T1", "T2", "RC", "AP", "Exo", "Regroupement"];

describe("parseReferential on the excerpt", () => {
  const parsed = parseReferential(excerptRows());
  const act = (code: string) => parsed.acts.find((a) => a.code === code);

  it("reads the version from the title row", () => {
    expect(parsed.meta).toEqual({
      version: "V99",
      number: 99,
      name: "CNAM - CCAM version 99 applicable 01/03/2027",
      effectiveDate: "2027-03-01",
    });
  });

  it("reads acts, lines and chapters, including Excel float chapter numbers", () => {
    expect(parsed.acts.map((a) => a.code)).toEqual([
      "AHQP001",
      "AHQB027",
      "AJFC001",
      "AJFA002",
      "DEQA001",
      "GELE001",
      "ZZLP025",
    ]);
    expect(parsed.chapters.map((c) => c.path)).toEqual([
      "01",
      "01.01",
      "01.01.01",
      "01.01.01.01",
      "01.06",
      "18",
      "18.02",
      "19",
      "19.03",
      "19.03.01",
      "19.03.04",
    ]);
    expect(act("AJFC001")?.chapter).toBe("01.06");
  });

  it("reads a line's tariffs, flags and regroupement; 'Non pris en charge' is null", () => {
    expect(act("AHQP001")?.lines).toEqual([
      {
        activity: 1,
        phase: 0,
        label: null,
        tariffSecteur1: null,
        tariffHorsSecteur1: null,
        reimbursementConditions: false,
        priorApproval: false,
        exoTm: "2",
        regroupement: "ATM",
        icr: null,
      },
    ]);
    const ajfc = act("AJFC001");
    expect(
      ajfc?.lines.map((l) => [l.activity, l.phase, l.tariffSecteur1, l.tariffHorsSecteur1, l.label]),
    ).toEqual([
      [1, 0, 336.25, 312.46, null],
      [4, 0, 177.55, 177.55, "anesthésie"],
    ]);
    expect(ajfc?.lines.every((l) => l.reimbursementConditions)).toBe(true);
    expect(act("AJFA002")?.lines[0]?.priorApproval).toBe(true);
  });

  it("takes the modifier list and the anaesthesia line from the same row", () => {
    expect(act("AJFC001")?.modifiers).toEqual(["A", "F", "J", "K", "T", "P", "S", "U", "7", "3"]);
    expect(act("AHQB027")?.modifiers).toEqual(["F", "P", "S", "U"]);
  });

  it("reads complementary act lists", () => {
    expect(act("AJFC001")?.complementary).toEqual(["GELE001", "ZZLP025"]);
    expect(act("AJFA002")?.complementary).toEqual(["GELE001"]);
  });

  it("reads multi-phase acts whose act row has no activity, across a blank row", () => {
    expect(act("DEQA001")?.lines.map((l) => [l.activity, l.phase, l.tariffSecteur1, l.label])).toEqual([
      [1, 1, 57.79, "Phase 1 : implantation sous cutanée du dispositif"],
      [1, 2, 28.9, "Phase 2 : ablation du dispositif"],
    ]);
  });

  it("attaches notes to the act or chapter above, classified by their leading words", () => {
    expect(parsed.chapters.find((c) => c.path === "01")?.notes).toEqual([
      { kind: "definition", text: "Par intrathécal, on entend : dans l'espace subarachnoïdien." },
    ]);
    expect(parsed.chapters.find((c) => c.path === "01.01")?.notes[0]?.kind).toBe("exclusion");
    expect(parsed.chapters.find((c) => c.path === "01.01.01.01")?.notes[0]?.kind).toBe("billing");
    expect(act("AHQB027")?.notes).toEqual([
      { kind: "training", text: "Formation : spécifique à cet acte en plus de la formation initiale" },
    ]);
    expect(act("AJFA002")?.notes.map((n) => n.kind)).toEqual(["other", "with_or_without"]);
    expect(act("DEQA001")?.notes).toEqual([
      { kind: "billing", text: "Facturation : ne peut pas être facturé avec (DEQP003, YYYY001)" },
    ]);
  });

  it("keeps out and reports the sheet's own anomalies instead of failing", () => {
    expect(parsed.skipped).toEqual([
      {
        line: expect.any(Number),
        reason: 'AJFA002 activity 1 phase 0 appears twice (row "anesthésie"); the first is kept',
      },
      { line: expect.any(Number), reason: 'unrecognised first cell "*" ignored' },
    ]);
    expect(act("AJFA002")?.lines).toHaveLength(1);
  });

  it("reads the modifier table: amounts, percentages, several rates, notes, bare fractions", () => {
    const modifier = (code: string) => parsed.modifiers.find((m) => m.code === code);
    expect(parsed.modifiers.map((m) => m.code)).toEqual(["U", "F", "9", "J", "B"]);
    expect(modifier("U")?.rates.map((r) => [r.kind, r.secteur1, r.horsSecteur1])).toEqual([
      ["amount", 25.15, 25.15],
      ["amount", 50, 50],
    ]);
    expect(modifier("F")?.notes[0]?.kind).toBe("exclusion");
    expect(modifier("9")?.rates[0]).toMatchObject({ kind: "percent", secteur1: 30 });
    expect(modifier("J")?.rates[0]).toMatchObject({ kind: "percent", secteur1: 6.5, horsSecteur1: 6.5 });
    expect(modifier("B")?.rates[0]).toMatchObject({ kind: "percent", secteur1: 49, horsSecteur1: 49 });
    expect(modifier("U")?.chapter).toBe("19.03.01");
  });
});

describe("parseReferential rejects a malformed file, naming the line", () => {
  const act = ["AHQB027", "", "EMG", "1", "0", "51.84", "51.84", "", "", "2", "ATM"];
  const cases: [string, SourceRow[], RegExp][] = [
    ["an empty file", [], /line 1: the file is empty/],
    ["a wrong title", rowsOf(["Liste des actes"], HEADER), /line 1: expected the title/],
    ["a wrong header", rowsOf(TITLE, ["Code", "Libellé"]), /line 2: expected the header row/],
    ["no act at all", rowsOf(TITLE, HEADER, ["01", "", "Chapitre"]), /no act rows/],
    [
      "an act before any chapter",
      rowsOf(TITLE, HEADER, act),
      /line 3: act AHQB027 appears before any chapter/,
    ],
    [
      "a tariff that is not an amount",
      rowsOf(
        TITLE,
        HEADER,
        ["01", "", "Chap"],
        ["AHQB027", "", "EMG", "1", "0", "51,84 €x", "", "", "", "", ""],
      ),
      /line 4: tariff "51,84 €x" of AHQB027 is not an amount/,
    ],
    [
      "an activity that does not exist",
      rowsOf(TITLE, HEADER, ["01", "", "Chap"], act, ["", "", "anesthésie", "7", "0", "1.00", "1.00"]),
      /line 5: activity "7" of AHQB027 is not 1 to 5/,
    ],
    [
      "a phase that does not exist",
      rowsOf(TITLE, HEADER, ["01", "", "Chap"], act, ["", "", "Phase", "1", "9", "1.00", "1.00"]),
      /line 5: phase "9" of AHQB027 is not 0 to 3/,
    ],
    [
      "an activity line outside an act",
      rowsOf(TITLE, HEADER, ["01", "", "Chap"], ["", "", "anesthésie", "4", "0", "1.00", "1.00"]),
      /line 4: activity line outside an act/,
    ],
    [
      "a duplicated act",
      rowsOf(TITLE, HEADER, ["01", "", "Chap"], act, act),
      /line 5: act AHQB027 appears twice/,
    ],
    [
      "a modifier list outside an act",
      rowsOf(TITLE, HEADER, ["01", "", "Chap"], ["[F, U]", "", ""]),
      /line 4: modifier list \[F, U\] outside an act/,
    ],
  ];
  it.each(cases)("%s", (_name, rows, message) => {
    expect(() => parseReferential(rows)).toThrow(ReferentialParseError);
    expect(() => parseReferential(rows)).toThrow(message);
  });
});

describe("cell parsers", () => {
  it.each([
    ["1", "01"],
    ["14", "14"],
    ["01.01.01.01", "01.01.01.01"],
    ["1.0600000000000001", "01.06"],
    ["19.030000000000001", "19.03"],
    ["11.029999999999999", "11.03"],
    ["AHQB027", undefined],
    ["[F]", undefined],
    ["", undefined],
  ])("toChapterPath(%j) = %j", (input, expected) => {
    expect(toChapterPath(input)).toBe(expected);
  });

  it.each([
    ["51.84", 51.84],
    ["0.00", 0],
    [" 1234.5 ", 1234.5],
    ["12,30", 12.3],
    ["Non pris en charge", null],
    ["", null],
  ])("parseTariff(%j) = %j", (input, expected) => {
    expect(parseTariff(input, 1, "AHQB027")).toBe(expected);
  });

  it.each([
    ["À l'exclusion de : x", "exclusion"],
    ["A l’exclusion de : x", "exclusion"],
    ["Facturation : x", "billing"],
    ["Indications : x", "indication"],
    ["Avec ou sans : x", "with_or_without"],
    ["Comprend : x", "includes"],
    ["Environnement : spécifique", "environment"],
    ["Recueil prospectif de données : nécessaire", "data_collection"],
    ["Par cible, on entend : lésion", "definition"],
    ["Pose de prothèse totale de hanche", "other"],
  ])("classifyNote(%j) = %s", (text, kind) => {
    expect(classifyNote(text)).toBe(kind);
  });

  it("reads titles with the day, month and year of application", () => {
    expect(parseTitle("CNAM - CCAM version 78 applicable 01/02/2025").effectiveDate).toBe("2025-02-01");
    expect(() => parseTitle("CCAM version 81")).toThrow(/line 1/);
  });
});
