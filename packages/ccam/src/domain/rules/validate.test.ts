import { describe, expect, it } from "vitest";
import { parseExcerpt, referentialOf } from "../../test-support/excerpt.js";
import { validate } from "./validate.js";

// No act of V81 or V78 carries an end date in the ATIH tables, so closure is checked on the excerpt fixture
// (official layout) with the dates the enrichment would set.
describe("code-dates on the excerpt", () => {
  const parsed = parseExcerpt();
  const act = parsed.acts.find((a) => a.code === "AHQB027");
  if (!act) throw new Error("AHQB027 missing from the excerpt");
  act.startDate = "2005-03-01";
  act.endDate = "2027-06-30";
  const referential = referentialOf(parsed);
  const line = act.lines[0];
  if (!line) throw new Error("AHQB027 has no line");
  const run = (date: string) =>
    validate({ date, acts: [{ code: "AHQB027", activity: line.activity, phase: line.phase }] }, referential);

  it.each([
    ["2027-06-30", []],
    ["2027-07-01", ["code-dates"]],
    ["2004-01-01", ["code-dates", "version"]],
  ])("on %s: %j", (date, rules) => {
    const result = run(date);
    expect(result.issues.map((i) => i.rule).sort()).toEqual([...rules].sort());
    expect(result.valid).toBe(!rules.includes("code-dates"));
  });

  it("names the closing date", () => {
    expect(run("2027-07-01").issues[0]?.message).toContain("fermé depuis le 2027-06-30");
  });
});
