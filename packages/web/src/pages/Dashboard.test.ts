import { describe, expect, it } from "vitest";
import { lastDays } from "./Dashboard";

describe("lastDays", () => {
  it("zero-fills the chart's days, oldest first", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(lastDays([{ day: "2026-03-09", acts: 4 }], 3, now)).toEqual([
      { jour: "08/03", actes: 0 },
      { jour: "09/03", actes: 4 },
      { jour: "10/03", actes: 0 },
    ]);
  });
});
