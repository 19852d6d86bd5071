import { randomBytes } from "node:crypto";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatKeyRing, loadApplicationKeys, parseKeyRing } from "./keys.js";

const b64 = () => randomBytes(32).toString("base64");

describe("key rings", () => {
  it("parses current and previous keys, and formats them back", () => {
    const text = `k2:${b64()},k1:${b64()}`;
    const ring = parseKeyRing(text, "X");
    expect(ring.current.id).toBe("k2");
    expect(ring.previous.map((k) => k.id)).toEqual(["k1"]);
    expect(formatKeyRing(ring)).toBe(text);
  });

  it.each([
    ["k1:short", /key 1 must be/],
    [`bad id!:${b64()}`, /key 1 must be/],
    [`k1:${b64()},k1:${b64()}`, /unique/],
  ])("refuses %s", (text, message) => {
    expect(() => parseKeyRing(text, "CCAM_MASTER_KEYS")).toThrow(message);
  });

  it("generates zero-setup keys once in the data folder (mode 0600) and reuses them", () => {
    const dir = mkdtempSync(join(tmpdir(), "ccam-keys-"));
    const first = loadApplicationKeys({}, dir);
    expect(first.source).toBe("data-dir");
    expect(statSync(join(dir, "keys.json")).mode & 0o777).toBe(0o600);
    const again = loadApplicationKeys({}, dir);
    expect(again.master.current.key.equals(first.master.current.key)).toBe(true);
    expect(again.pseudonym.current.key.equals(first.master.current.key)).toBe(false);
    expect(again.signer).toBe(first.signer);
    expect(first.signer).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("takes both rings from the environment, or refuses half a configuration", () => {
    const env = {
      pseudonymKeys: `p1:${b64()}`,
      masterKeys: `m1:${b64()}`,
      signerKey: `0x${"ab".repeat(32)}`,
    };
    expect(loadApplicationKeys(env, "/nonexistent").source).toBe("environment");
    expect(() => loadApplicationKeys({ ...env, signerKey: undefined }, "/nonexistent")).toThrow(
      /CCAM_SIGNER_PRIVATE_KEY/,
    );
    expect(() => loadApplicationKeys({ ...env, signerKey: "0x12" }, "/nonexistent")).toThrow(/64 hex digits/);
    expect(() => loadApplicationKeys({ masterKeys: env.masterKeys }, "/nonexistent")).toThrow(/both/);
  });
});
