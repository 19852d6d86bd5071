import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode, hotp, otpauthUri, timeStep, totpAt, verifyTotp } from "./totp.js";

// RFC 6238 appendix B: SHA-1 seed "12345678901234567890"; the 8-digit values end with our 6 digits.
const RFC_SEED = base32Encode(Buffer.from("12345678901234567890"));

describe("TOTP (RFC 6238)", () => {
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ])("matches the RFC test vector at T=%i", (seconds, expected) => {
    const now = new Date(seconds * 1000);
    expect(hotp(base32Decode(RFC_SEED), timeStep(now), 8)).toBe(expected);
    expect(totpAt(RFC_SEED, now)).toBe(expected.slice(2));
  });

  it("round-trips base32 and rejects foreign characters", () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253]);
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(base32Encode(Buffer.from("foobar"))).toBe("MZXW6YTBOI");
    expect(() => base32Decode("ABC1")).toThrow(/invalid base32/);
  });

  it("accepts one step of drift either side, refuses replays and malformed codes", () => {
    const now = new Date(1_700_000_000_000);
    const previous = totpAt(RFC_SEED, new Date(now.getTime() - 30_000));
    const step = verifyTotp(RFC_SEED, previous, now, null);
    expect(step).toBe(timeStep(now) - 1);
    expect(verifyTotp(RFC_SEED, previous, now, step)).toBeNull();
    expect(verifyTotp(RFC_SEED, totpAt(RFC_SEED, new Date(now.getTime() - 90_000)), now, null)).toBeNull();
    expect(verifyTotp(RFC_SEED, "12345", now, null)).toBeNull();
    expect(verifyTotp(RFC_SEED, "abcdef", now, null)).toBeNull();
  });

  it("builds the otpauth URI authenticator apps read", () => {
    const uri = new URL(otpauthUri("JBSWY3DPEHPK3PXP", "dim@chu.fr", "CCAM AI"));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/CCAM AI:dim@chu.fr");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: "JBSWY3DPEHPK3PXP",
      issuer: "CCAM AI",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });
});
