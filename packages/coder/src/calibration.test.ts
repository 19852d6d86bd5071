import { describe, expect, it } from "vitest";
import { calibrate, expectedCalibrationError, fitPlatt, reliabilityTable } from "./calibration.js";

describe("calibration", () => {
  it("maps a larger margin to a higher confidence, within [0, 1]", () => {
    const values = [-1, -0.2, 0, 0.1, 0.5, 2].map((m) => calibrate(m));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
    for (const v of values) expect(v >= 0 && v <= 1).toBe(true);
  });

  it("fits a positive slope when bigger margins are right more often", () => {
    const samples = Array.from({ length: 100 }, (_, i) => ({ margin: i / 100, correct: i % 10 < i / 10 }));
    const c = fitPlatt(samples);
    expect(c.a).toBeGreaterThan(0);
    expect(calibrate(0.9, c)).toBeGreaterThan(calibrate(0.1, c));
  });

  it("bins predictions into a reliability table", () => {
    const bins = reliabilityTable([
      { confidence: 0.95, correct: true },
      { confidence: 0.92, correct: false },
      { confidence: 0.1, correct: false },
    ]);
    expect(bins.reduce((s, b) => s + b.n, 0)).toBe(3);
    expect(bins.at(-1)).toMatchObject({ n: 2, accuracy: 0.5 });
    expect(expectedCalibrationError(bins)).toBeGreaterThan(0);
  });
});
