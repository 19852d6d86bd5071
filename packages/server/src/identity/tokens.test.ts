import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base64url, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { loadSigningKey, TokenSigner } from "./tokens.js";

const key = new TextEncoder().encode("k".repeat(32));

describe("TokenSigner", () => {
  let now = new Date("2026-03-01T08:00:00Z");
  const signer = new TokenSigner(
    () => key,
    () => now,
  );

  it("round-trips a token of a purpose and keeps its claims", async () => {
    const token = await signer.sign("access", "user-1", { roles: ["codeur"] }, 900);
    expect(await signer.verify("access", token)).toMatchObject({
      sub: "user-1",
      roles: ["codeur"],
      iss: "ccam-ai",
    });
  });

  it("never accepts a token of another purpose (an MFA challenge is not an access token)", async () => {
    const mfa = await signer.sign("mfa", "user-1", {}, 300);
    await expect(signer.verify("access", mfa)).rejects.toThrow(/aud/);
  });

  it("rejects expired tokens (by the injected clock)", async () => {
    const token = await signer.sign("access", "user-1", {}, 900);
    now = new Date(now.getTime() + 901_000);
    await expect(signer.verify("access", token)).rejects.toThrow(/exp/);
  });

  it("a verified access token stays valid only until its expiry (the remembered verification included)", async () => {
    const token = await signer.sign("access", "user-2", { roles: ["codeur"] }, 900);
    expect((await signer.verify("access", token)).sub).toBe("user-2");
    now = new Date(now.getTime() + 899_000);
    expect((await signer.verify("access", token)).sub).toBe("user-2");
    now = new Date(now.getTime() + 1_000);
    await expect(signer.verify("access", token)).rejects.toThrow(/exp/);
  });

  it("a verified access token is still refused for another purpose", async () => {
    const token = await signer.sign("access", "user-3", {}, 900);
    await signer.verify("access", token);
    await expect(signer.verify("mfa", token)).rejects.toThrow(/aud/);
  });

  it("rejects alg=none, another algorithm with the same key, and a forged signature", async () => {
    const claims = { iss: "ccam-ai", aud: "ccam-ai:access", sub: "admin", roles: ["admin"] };
    const exp = Math.floor(now.getTime() / 1000) + 600;
    const unsigned = new UnsecuredJWT(claims).setExpirationTime(exp).encode();
    await expect(signer.verify("access", unsigned)).rejects.toThrow();
    const hs512 = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS512" })
      .setExpirationTime(exp)
      .sign(key);
    await expect(signer.verify("access", hs512)).rejects.toThrow(/alg/);
    const genuine = await signer.sign("access", "user-1", { roles: ["medecin"] }, 900);
    const [header, , signature] = genuine.split(".");
    const tampered = `${header}.${base64url.encode(JSON.stringify({ ...claims, exp }))}.${signature}`;
    await expect(signer.verify("access", tampered)).rejects.toThrow(/signature/);
  });
});

describe("loadSigningKey", () => {
  const dir = mkdtempSync(join(tmpdir(), "ccam-key-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("uses CCAM_JWT_SECRET when set", () => {
    expect(Buffer.from(loadSigningKey("s".repeat(40), dir)).toString()).toBe("s".repeat(40));
  });

  it("otherwise generates a 256-bit key once, private to the owner, and reuses it", () => {
    const first = loadSigningKey(undefined, dir);
    expect(first).toHaveLength(32);
    expect(loadSigningKey(undefined, dir)).toEqual(first);
    expect(statSync(join(dir, "identity", "jwt-signing.key")).mode & 0o777).toBe(0o600);
  });
});
