import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type JWTPayload, jwtVerify, SignJWT } from "jose";

const ISSUER = "ccam-ai";
const ALGORITHM = "HS256";

/**
 * Each kind of token has its own audience, so a token of one kind is never accepted as another (an MFA
 * challenge token is not an access token).
 */
export type TokenPurpose = "access" | "mfa" | "oidc";

/**
 * The HS256 key: CCAM_JWT_SECRET, or for zero-setup a random 256-bit key generated once and kept in
 * `<dataDir>/identity/jwt-signing.key` (mode 0600). Several instances must share CCAM_JWT_SECRET.
 */
export function loadSigningKey(secret: string | undefined, dataDir: string): Uint8Array {
  if (secret) return new TextEncoder().encode(secret);
  const file = join(dataDir, "identity", "jwt-signing.key");
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx`: never overwrite a key another process wrote first; then everyone reads the same one.
    writeFileSync(file, randomBytes(32).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return Buffer.from(readFileSync(file, "utf8").trim(), "base64url");
}

/** Verified access tokens remembered at most (about 400 bytes each). */
const VERIFIED_CACHE_SIZE = 10_000;

export class TokenSigner {
  private key: Uint8Array | undefined;
  /** Verified access tokens and their claims, until each token's expiry (see `verify`). */
  private readonly verified = new Map<string, JWTPayload & { sub: string; exp: number }>();

  /** `loadKey` runs on first use, so opening a runtime (the CLI) never creates a key file. */
  constructor(
    private readonly loadKey: () => Uint8Array,
    private readonly now: () => Date,
  ) {}

  private signingKey(): Uint8Array {
    this.key ??= this.loadKey();
    return this.key;
  }

  sign(purpose: TokenPurpose, subject: string, claims: JWTPayload, ttlSeconds: number): Promise<string> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setIssuer(ISSUER)
      .setAudience(`${ISSUER}:${purpose}`)
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(this.signingKey());
  }

  /**
   * The payload of a valid token of this purpose; throws on a bad signature, algorithm, audience or expiry.
   *
   * Access tokens are checked on every request, so a verified one is remembered (keyed by the whole token, so
   * by its signature) until its own expiry: a hit is re-checked against `exp` by the injected clock, exactly as
   * verification would, and nothing else about a token can change (they are stateless: a revoked session or a
   * changed role takes effect when the access token expires, cached or not).
   */
  async verify(purpose: TokenPurpose, token: string): Promise<JWTPayload & { sub: string }> {
    const cacheable = purpose === "access";
    if (cacheable) {
      const hit = this.verified.get(token);
      if (hit && hit.exp > Math.floor(this.now().getTime() / 1000)) return hit;
      if (hit) this.verified.delete(token);
    }
    const { payload } = await jwtVerify(token, this.signingKey(), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: `${ISSUER}:${purpose}`,
      currentDate: this.now(),
      requiredClaims: ["sub", "exp"],
    });
    const claims = payload as JWTPayload & { sub: string; exp: number };
    if (cacheable) {
      for (const value of Object.values(claims)) if (typeof value === "object") Object.freeze(value);
      Object.freeze(claims);
      // Bounded: the oldest entry goes first (an evicted token is simply verified again).
      if (this.verified.size >= VERIFIED_CACHE_SIZE) {
        const oldest = this.verified.keys().next();
        if (!oldest.done) this.verified.delete(oldest.value);
      }
      this.verified.set(token, claims);
    }
    return claims;
  }
}
