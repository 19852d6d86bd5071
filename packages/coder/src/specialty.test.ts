import { describe, expect, it } from "vitest";
import { inScope, specialtyScope } from "./specialty.js";

describe("specialty scope", () => {
  it("maps the act-entry specialty to the systems it codes in", () => {
    const eye = specialtyScope("Ophtalmologie");
    expect(eye && inScope(eye, "BFGA427")).toBe(true);
    expect(eye && inScope(eye, "HMFC004")).toBe(false);
    const dental = specialtyScope("dentaire");
    expect(dental && inScope(dental, "HBGD004")).toBe(true);
    expect(dental && inScope(dental, "HMFC004")).toBe(false);
    // Imaging is a technique found in every system (letter 4).
    const imaging = specialtyScope("imagerie");
    expect(imaging && inScope(imaging, "ZCQH001")).toBe(true);
    expect(imaging && inScope(imaging, "NFQK003")).toBe(true);
    expect(imaging && inScope(imaging, "NFKA007")).toBe(false);
  });

  it("has no scope for specialties that code everywhere or are unknown", () => {
    expect(specialtyScope("urgences")).toBeUndefined();
    expect(specialtyScope("pédiatrie")).toBeUndefined();
    expect(specialtyScope(undefined)).toBeUndefined();
    expect(specialtyScope("xyz")).toBeUndefined();
  });
});
