import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CanonicalValue, canonicalJson, computeLeafHash, newSalt } from "./leaf.js";

const shuffleKeys = (value: CanonicalValue): CanonicalValue => {
  if (Array.isArray(value)) return value.map(shuffleKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, shuffleKeys(v)]),
    );
  }
  return value;
};

describe("canonical leaves", () => {
  it("sorts keys at every depth and keeps arrays in order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }, "x"] })).toBe(
      '{"a":[{"c":null,"d":true},"x"],"b":1}',
    );
  });

  it("does not depend on key order and round-trips through JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (value) => {
        const canonical = canonicalJson(value as CanonicalValue);
        expect(canonicalJson(shuffleKeys(value as CanonicalValue))).toBe(canonical);
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
      }),
    );
  });

  it("refuses values without a canonical form", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ a: undefined } as unknown as CanonicalValue)).toThrow(/undefined/);
  });

  it("salts the leaf: same payload, different salt, different hash; same salt, same hash", () => {
    const payload = { act: "YYYY010", decision: "validated" };
    const salt = newSalt();
    expect(computeLeafHash("decision", payload, salt)).toBe(
      computeLeafHash("decision", { ...payload }, salt),
    );
    expect(computeLeafHash("decision", payload, salt)).not.toBe(
      computeLeafHash("decision", payload, newSalt()),
    );
    expect(computeLeafHash("decision", payload, salt)).not.toBe(computeLeafHash("override", payload, salt));
    expect(computeLeafHash("decision", payload, salt)).toMatch(/^[0-9a-f]{64}$/);
    expect(() => computeLeafHash("Decision!", payload, salt)).toThrow(/kind/);
    expect(() => computeLeafHash("decision", payload, "abc")).toThrow(/salt/);
  });
});
