import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  candidatePseudonyms,
  DecryptionError,
  decrypt,
  encrypt,
  type KeyRing,
  newDataKey,
  pseudonymise,
  unwrapKey,
  wrapKey,
} from "./crypto.js";

const k = (id: string) => ({ id, key: randomBytes(32) });

describe("pseudonymise", () => {
  const key = k("k1");

  it("is deterministic under one key, normalises the identifier, and hides it", () => {
    const p = pseudonymise("ipp-000123", key);
    expect(p).toMatch(/^k1\.[0-9a-f]{64}$/);
    expect(pseudonymise("  IPP-000123 ", key)).toBe(p);
    expect(p).not.toContain("000123");
  });

  it("differs across keys and across patients", () => {
    expect(pseudonymise("IPP-1", key)).not.toBe(pseudonymise("IPP-1", k("k1")));
    expect(pseudonymise("IPP-1", key)).not.toBe(pseudonymise("IPP-2", key));
  });

  it("lists the pseudonyms under every key of the ring, current first", () => {
    const ring: KeyRing = { current: k("k2"), previous: [key] };
    expect(candidatePseudonyms("IPP-1", ring)).toEqual([
      pseudonymise("IPP-1", ring.current),
      pseudonymise("IPP-1", key),
    ]);
  });
});

describe("AES-256-GCM sealing", () => {
  const key = newDataKey();

  it("round-trips and never repeats a ciphertext", () => {
    const a = encrypt("PTH droite cimentée", key, "act:1");
    expect(decrypt(a, key, "act:1").toString("utf8")).toBe("PTH droite cimentée");
    expect(encrypt("PTH droite cimentée", key, "act:1")).not.toBe(a);
    expect(a).not.toContain("PTH");
  });

  it.each([
    ["a wrong key", (s: string) => decrypt(s, newDataKey(), "act:1")],
    ["another context (ciphertext copied to another act)", (s: string) => decrypt(s, key, "act:2")],
    [
      "a flipped ciphertext byte",
      (s: string) => decrypt(s.slice(0, -2) + (s.endsWith("A") ? "BB" : "AA"), key, "act:1"),
    ],
    ["an unknown format", (s: string) => decrypt(`v9${s.slice(2)}`, key, "act:1")],
  ])("refuses %s", (_name, attempt) => {
    const sealed = encrypt("texte clinique", key, "act:1");
    expect(() => attempt(sealed)).toThrow(DecryptionError);
  });
});

describe("envelope keys", () => {
  it("wraps a data key under the current master key and unwraps it with any key of the ring", () => {
    const old = k("m1");
    const dataKey = newDataKey();
    const wrapped = wrapKey(dataKey, old, "k1.abc");
    expect(wrapped.startsWith("m1:")).toBe(true);
    const rotated: KeyRing = { current: k("m2"), previous: [old] };
    expect(unwrapKey(wrapped, rotated, "k1.abc").equals(dataKey)).toBe(true);
    expect(() => unwrapKey(wrapped, rotated, "k1.other")).toThrow(DecryptionError);
    expect(() => unwrapKey(wrapped, { current: k("m3"), previous: [] }, "k1.abc")).toThrow(
      /master key m1 is not configured/,
    );
  });
});
