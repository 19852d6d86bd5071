import { describe, expect, it } from "vitest";
import { claimValues, mapRoles } from "./oidc.js";

describe("OIDC claim → role mapping", () => {
  it("reads a dot path, walking arrays at any level (Pro Santé Connect's SubjectRefPro)", () => {
    const claims = {
      roles: ["DIM", "other"],
      SubjectRefPro: { exercices: [{ codeProfession: "10" }, { codeProfession: "21" }] },
      nested: { single: 42 },
    };
    expect(claimValues(claims, ["roles"])).toEqual(["DIM", "other"]);
    expect(claimValues(claims, "SubjectRefPro.exercices.codeProfession".split("."))).toEqual(["10", "21"]);
    expect(claimValues(claims, ["nested", "single"])).toEqual(["42"]);
    expect(claimValues(claims, ["missing", "path"])).toEqual([]);
    expect(claimValues(claims, ["nested"])).toEqual([]);
  });

  it("maps values through the configured map; unknown values grant nothing", () => {
    const map = { "10": "medecin", DIM: ["superviseur_dim", "codeur"] } as const;
    expect(mapRoles(["10", "DIM", "99"], { ...map, DIM: [...map.DIM] })).toEqual([
      "medecin",
      "codeur",
      "superviseur_dim",
    ]);
    expect(mapRoles(["99"], { "10": "medecin" })).toEqual([]);
  });
});
