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

export class TokenSigner {
  private key: Uint8Array | undefined;

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

  /** The payload of a valid token of this purpose; throws on a bad signature, algorithm, audience or expiry. */
  async verify(purpose: TokenPurpose, token: string): Promise<JWTPayload & { sub: string }> {
    const { payload } = await jwtVerify(token, this.signingKey(), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: `${ISSUER}:${purpose}`,
      currentDate: this.now(),
      requiredClaims: ["sub", "exp"],
    });
    return payload as JWTPayload & { sub: string };
  }
}
