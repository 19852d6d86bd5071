import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Database } from "@ccam/db";
import { and, asc, eq, gt, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { KeyRing } from "../acts/crypto.js";
import { openSealed, sealUnder } from "../acts/crypto.js";
import type { Config, IdentityConfig } from "../config.js";
import { HttpProblem } from "../problem.js";
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyPassword } from "./passwords.js";
import { ROLES, type Role } from "./permissions.js";
import { type AuthMethod, recoveryCodes, refreshTokens, users } from "./schema.js";
import type { TokenResponse, UserView } from "./schemas.js";
import { loadSigningKey, TokenSigner } from "./tokens.js";
import { base32Encode, generateTotpSecret, otpauthUri, verifyTotp } from "./totp.js";

/** RFC 6749 §5.1 token response; an account as administrators see it (both defined by their zod schemas). */
export type { TokenResponse, UserView };

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const MFA_TOKEN_TTL_SECONDS = 5 * 60;
const RECOVERY_CODE_COUNT = 10;
const TOTP_ISSUER = "CCAM AI";

/**
 * Why a session may only reach its own /auth routes: a one-time password to replace, or a TOTP to enrol
 * because one of the user's roles requires it (CCAM_MFA_REQUIRED_ROLES).
 */
export type Pending = "password_change" | "mfa_enrolment";

/** `request.user`: who calls, from the access token. */
export interface AuthUser {
  id: string;
  email: string;
  roles: Role[];
  site?: string | undefined;
  pending?: Pending | undefined;
}

export type PasswordGrantResult =
  | { kind: "tokens"; tokens: TokenResponse }
  | { kind: "mfa_required"; mfaToken: string; expiresIn: number };

export interface NewUser {
  email: string;
  password?: string | undefined;
  roles: Role[];
  site?: string | undefined;
}

export interface UserPatch {
  roles?: Role[] | undefined;
  site?: string | null | undefined;
  disabled?: boolean | undefined;
  /** Removes the TOTP seed and recovery codes: the user enrols again. */
  resetMfa?: boolean | undefined;
  /** Ends a lockout before it expires. */
  unlock?: boolean | undefined;
}

type UserRow = typeof users.$inferSelect;

const invalidCredentials = () =>
  // One answer for unknown user, wrong password and locked account: nothing to enumerate.
  new HttpProblem(401, "Identifiants invalides", "Wrong username or password, or the account is locked.");

const sha256 = (value: string) => createHash("sha256").update(value, "utf8").digest("hex");
const normaliseRecoveryCode = (code: string) => code.replace(/[\s-]/g, "").toUpperCase();

export function checkPasswordPolicy(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new HttpProblem(
      400,
      "Mot de passe refusé",
      `A password has ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`,
      [{ field: "password", message: `length ${PASSWORD_MIN_LENGTH}..${PASSWORD_MAX_LENGTH}` }],
    );
  }
}

/** A random password for one-time use (first admin, accounts created without one): 120 bits. */
export function generateOneTimePassword(): string {
  return randomBytes(15).toString("base64url");
}

/** Accounts, credentials, sessions and second factor. Throws HttpProblem for anything the client got wrong. */
export class IdentityService {
  readonly tokens: TokenSigner;
  private readonly settings: IdentityConfig;

  constructor(
    private readonly db: Database,
    config: Pick<Config, "identity" | "dataDir">,
    readonly now: () => Date = () => new Date(),
    /** Master keys that seal TOTP seeds at rest (a database dump alone then yields no second factor). */
    private readonly masterKeys?: KeyRing,
  ) {
    this.settings = config.identity;
    this.tokens = new TokenSigner(() => loadSigningKey(config.identity.jwtSecret, config.dataDir), now);
  }

  // ---- accounts

  async createUser(input: NewUser & { oidcSubject?: string }): Promise<{
    user: UserView;
    oneTimePassword?: string;
  }> {
    const oneTimePassword =
      input.password === undefined && !input.oidcSubject ? generateOneTimePassword() : undefined;
    const password = input.password ?? oneTimePassword;
    if (input.password !== undefined) checkPasswordPolicy(input.password);
    const [row] = await this.db
      .insert(users)
      .values({
        id: randomUUID(),
        email: input.email.trim().toLowerCase(),
        passwordHash: password === undefined ? null : await hashPassword(password),
        roles: uniqueRoles(input.roles),
        site: input.site ?? null,
        passwordChangeRequired: oneTimePassword !== undefined,
        oidcSubject: input.oidcSubject ?? null,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new HttpProblem(409, "Utilisateur existant", `A user ${input.email} already exists.`);
    return { user: this.view(row), ...(oneTimePassword ? { oneTimePassword } : {}) };
  }

  async listUsers(): Promise<UserView[]> {
    const rows = await this.db.select().from(users).orderBy(asc(users.createdAt), asc(users.email));
    return rows.map((row) => this.view(row));
  }

  async getUser(id: string): Promise<UserView> {
    return this.view(await this.row(id));
  }

  async updateUser(id: string, patch: UserPatch): Promise<UserView> {
    const before = await this.row(id);
    const roles = patch.roles ? uniqueRoles(patch.roles) : before.roles;
    const disabled = patch.disabled ?? before.disabled;
    if (before.roles.includes("admin") && !before.disabled && (disabled || !roles.includes("admin"))) {
      await this.assertAnotherActiveAdmin(id);
    }
    const [row] = await this.db
      .update(users)
      .set({
        roles,
        disabled,
        ...(patch.site !== undefined ? { site: patch.site } : {}),
        ...(patch.resetMfa ? { totpSecret: null, totpEnabledAt: null, totpLastStep: null } : {}),
        ...(patch.unlock ? { failedLogins: 0, lockedUntil: null } : {}),
        updatedAt: this.now(),
      })
      .where(eq(users.id, id))
      .returning();
    if (patch.resetMfa) await this.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, id));
    // New roles or a disabled account take effect at the latest when the current access token expires.
    if (patch.roles || patch.disabled || patch.resetMfa) await this.revokeAllSessions(id);
    return this.view(row ?? before);
  }

  /**
   * On first start (no user at all), the administrator from CCAM_ADMIN_EMAIL, with CCAM_ADMIN_PASSWORD or a
   * one-time password returned here once, to print.
   */
  async ensureFirstAdmin(): Promise<{ email: string; oneTimePassword?: string } | null> {
    const [any] = await this.db.select({ id: users.id }).from(users).limit(1);
    if (any) return null;
    const created = await this.createUser({
      email: this.settings.adminEmail,
      password: this.settings.adminPassword,
      roles: ["admin"],
    }).catch((error: unknown) => {
      // Another instance created it between our check and insert.
      if (error instanceof HttpProblem && error.status === 409) return null;
      throw error;
    });
    return created && { email: created.user.email, oneTimePassword: created.oneTimePassword };
  }

  // ---- sign-in

  /** OAuth2 password grant; the second factor, when enrolled, follows through `mfaGrant`. */
  async passwordGrant(username: string, password: string): Promise<PasswordGrantResult> {
    const [user] = await this.db
      .select()
      .from(users)
      .where(eq(users.email, username.trim().toLowerCase()))
      .limit(1);
    const locked = user ? this.isLocked(user) : false;
    // Always verify (a decoy hash when there is no account) so timing does not tell which accounts exist.
    const valid = await verifyPassword(user?.passwordHash, password);
    if (!user || locked) throw invalidCredentials();
    if (!valid) {
      await this.registerFailure(user.id);
      throw invalidCredentials();
    }
    this.assertEnabled(user);
    await this.clearFailures(user.id);
    if (user.totpEnabledAt) {
      return {
        kind: "mfa_required",
        mfaToken: await this.tokens.sign("mfa", user.id, {}, MFA_TOKEN_TTL_SECONDS),
        expiresIn: MFA_TOKEN_TTL_SECONDS,
      };
    }
    return { kind: "tokens", tokens: await this.openSession(user, "pwd") };
  }

  /** Second step: the MFA token from `passwordGrant` and a TOTP code or an unused recovery code. */
  async mfaGrant(mfaToken: string, otp: string): Promise<TokenResponse> {
    const claims = await this.tokens.verify("mfa", mfaToken).catch(() => {
      throw new HttpProblem(401, "Jeton MFA invalide", "The MFA token is invalid or expired: sign in again.");
    });
    const user = await this.row(claims.sub);
    if (this.isLocked(user) || !user.totpSecret || !user.totpEnabledAt) throw invalidCredentials();
    if (!(await this.consumeSecondFactor(user, otp))) {
      // Wrong codes count towards the lockout: the password alone must not allow guessing codes forever.
      await this.registerFailure(user.id);
      throw new HttpProblem(401, "Code invalide", "Wrong or already used TOTP or recovery code.");
    }
    this.assertEnabled(user);
    await this.clearFailures(user.id);
    return this.openSession(user, "mfa");
  }

  /**
   * Rotates a refresh token: the presented one is spent and a new one of the same family is returned. A spent
   * or revoked token presented again revokes the family (it was copied: RFC 9700 §4.14.2).
   */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const tokenHash = sha256(refreshToken);
    const [spent] = await this.db
      .update(refreshTokens)
      .set({ usedAt: this.now() })
      .where(
        and(
          eq(refreshTokens.tokenHash, tokenHash),
          isNull(refreshTokens.usedAt),
          isNull(refreshTokens.revokedAt),
          gt(refreshTokens.expiresAt, this.now()),
        ),
      )
      .returning();
    if (!spent) {
      const [known] = await this.db
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, tokenHash))
        .limit(1);
      if (known && (known.usedAt || known.revokedAt)) await this.revokeFamily(known.familyId);
      throw new HttpProblem(401, "Jeton de rafraîchissement invalide", "Unknown, expired, used or revoked.");
    }
    const user = await this.row(spent.userId);
    if (user.disabled) {
      await this.revokeFamily(spent.familyId);
      throw new HttpProblem(401, "Compte désactivé");
    }
    const session = await this.openSession(user, spent.amr, spent.familyId);
    // A concurrent replay of the same token may have revoked the family before the new token existed: the
    // revocation must not miss it.
    const [revoked] = await this.db
      .select({ tokenHash: refreshTokens.tokenHash })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.familyId, spent.familyId), isNotNull(refreshTokens.revokedAt)))
      .limit(1);
    if (revoked) {
      await this.revokeFamily(spent.familyId);
      throw new HttpProblem(401, "Jeton de rafraîchissement invalide", "Unknown, expired, used or revoked.");
    }
    return session;
  }

  /** Ends the session of `refreshToken` (its whole family), or every session of the user without one. */
  async logout(userId: string, refreshToken?: string): Promise<void> {
    if (!refreshToken) return this.revokeAllSessions(userId);
    const [row] = await this.db
      .select({ familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.tokenHash, sha256(refreshToken)), eq(refreshTokens.userId, userId)))
      .limit(1);
    if (row) await this.revokeFamily(row.familyId);
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const user = await this.row(userId);
    if (!(await verifyPassword(user.passwordHash, current))) {
      await this.registerFailure(user.id);
      throw new HttpProblem(401, "Mot de passe actuel incorrect");
    }
    checkPasswordPolicy(next);
    await this.db
      .update(users)
      .set({ passwordHash: await hashPassword(next), passwordChangeRequired: false, updatedAt: this.now() })
      .where(eq(users.id, userId));
    // Every other session was opened with the old password.
    await this.revokeAllSessions(userId);
  }

  /**
   * Sign-in through an external provider: the account is found by `issuer|sub` or created, and its roles are
   * replaced by those mapped from the provider's claims at every sign-in (the provider is the source of truth).
   * An existing local account with the same e-mail is never linked automatically (409).
   */
  async externalSignIn(subject: string, email: string | undefined, roles: Role[]): Promise<TokenResponse> {
    const existing = await this.rowByOidcSubject(subject);
    let user: UserRow;
    if (existing) {
      const [updated] = await this.db
        .update(users)
        .set({ roles: uniqueRoles(roles), updatedAt: this.now() })
        .where(eq(users.id, existing.id))
        .returning();
      user = updated ?? existing;
    } else {
      const created = await this.createUser({
        email: email ?? `${sha256(subject).slice(0, 24)}@oidc.invalid`,
        roles,
        oidcSubject: subject,
      });
      user = await this.row(created.user.id);
    }
    this.assertEnabled(user);
    return this.openSession(user, "oidc");
  }

  /** The user behind an access token; throws 401 on any invalid token. */
  async authenticate(accessToken: string): Promise<AuthUser> {
    const claims = await this.tokens.verify("access", accessToken).catch(() => {
      throw new HttpProblem(401, "Authentification requise", "The access token is invalid or expired.");
    });
    return {
      id: claims.sub,
      email: String(claims.email),
      roles: ROLES.filter((role) => Array.isArray(claims.roles) && claims.roles.includes(role)),
      ...(typeof claims.site === "string" ? { site: claims.site } : {}),
      ...(typeof claims.pending === "string" ? { pending: claims.pending as Pending } : {}),
    };
  }

  /**
   * Opens a session: an access token (15 min) and a refresh token stored hashed. `amr` says how the user signed
   * in; it decides whether a role's MFA requirement is already met.
   */
  async openSession(user: UserRow, amr: AuthMethod, familyId: string = randomUUID()): Promise<TokenResponse> {
    const refreshToken = randomBytes(32).toString("base64url");
    const now = this.now();
    await this.db.insert(refreshTokens).values({
      tokenHash: sha256(refreshToken),
      familyId,
      userId: user.id,
      amr,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.settings.refreshTtlHours * 3_600_000),
    });
    await this.db.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id));
    const pending = this.pendingStep(user, amr);
    const accessToken = await this.tokens.sign(
      "access",
      user.id,
      {
        email: user.email,
        roles: user.roles,
        ...(user.site ? { site: user.site } : {}),
        ...(pending ? { pending } : {}),
      },
      ACCESS_TOKEN_TTL_SECONDS,
    );
    return {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      refresh_token: refreshToken,
    };
  }

  // ---- TOTP

  /** Starts (or restarts) enrolment: a new seed, pending until `confirmTotp` sees a valid code from it. */
  async enrollTotp(userId: string): Promise<{ secret: string; otpauthUri: string; qrCode: string }> {
    const user = await this.row(userId);
    if (user.totpEnabledAt) {
      throw new HttpProblem(
        409,
        "MFA déjà activée",
        "An administrator can reset it (PATCH /admin/users/{id}).",
      );
    }
    const secret = generateTotpSecret();
    await this.db
      .update(users)
      .set({ totpSecret: this.sealTotp(secret, userId), updatedAt: this.now() })
      .where(eq(users.id, userId));
    const uri = otpauthUri(secret, user.email, TOTP_ISSUER);
    return { secret, otpauthUri: uri, qrCode: await qrCodeOf(uri) };
  }

  /** Activates the pending seed on a valid code and returns the recovery codes, shown once. */
  async confirmTotp(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const user = await this.row(userId);
    if (!user.totpSecret || user.totpEnabledAt) {
      throw new HttpProblem(409, "Aucune inscription MFA en cours", "Call POST /auth/mfa/enroll first.");
    }
    const step = verifyTotp(this.openTotp(user.totpSecret, userId), code, this.now(), null);
    if (step === null)
      throw new HttpProblem(400, "Code invalide", "This code does not match the new secret.");
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const raw = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
      return `${raw.slice(0, 5)}-${raw.slice(5)}`;
    });
    await this.db.transaction(async (tx) => {
      await tx
        .update(users)
        .set({ totpEnabledAt: this.now(), totpLastStep: step, updatedAt: this.now() })
        .where(eq(users.id, userId));
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      await tx
        .insert(recoveryCodes)
        .values(codes.map((c) => ({ userId, codeHash: sha256(normaliseRecoveryCode(c)) })));
    });
    return { recoveryCodes: codes };
  }

  // ---- internals

  private sealTotp(secret: string, userId: string): string {
    return this.masterKeys ? sealUnder(this.masterKeys.current, secret, `totp:${userId}`) : secret;
  }

  /** A sealed seed (`keyId:v1.…`), or a clear base32 one written before seeds were sealed. */
  private openTotp(stored: string, userId: string): string {
    if (!stored.includes(":")) return stored;
    if (!this.masterKeys) throw new Error("TOTP seeds are sealed but no master key is configured");
    return openSealed(stored, this.masterKeys, `totp:${userId}`).toString("utf8");
  }

  private async consumeSecondFactor(user: UserRow, otp: string): Promise<boolean> {
    const secret = user.totpSecret && this.openTotp(user.totpSecret, user.id);
    if (secret && /^\d{6}$/.test(otp)) {
      const step = verifyTotp(secret, otp, this.now(), user.totpLastStep);
      if (step === null) return false;
      // Conditional update: of two concurrent requests with the same code, one wins.
      const [accepted] = await this.db
        .update(users)
        .set({ totpLastStep: step })
        .where(and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
        .returning({ id: users.id });
      return accepted !== undefined;
    }
    const [used] = await this.db
      .update(recoveryCodes)
      .set({ usedAt: this.now() })
      .where(
        and(
          eq(recoveryCodes.userId, user.id),
          eq(recoveryCodes.codeHash, sha256(normaliseRecoveryCode(otp))),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ userId: recoveryCodes.userId });
    return used !== undefined;
  }

  private pendingStep(user: UserRow, amr: AuthMethod): Pending | undefined {
    if (user.passwordChangeRequired && amr !== "oidc") return "password_change";
    // An external provider is trusted with its own second factor (Pro Santé Connect requires e-CPS or a card).
    const mfaRequired = user.roles.some((role) => this.settings.mfaRequiredRoles.includes(role));
    if (mfaRequired && amr === "pwd" && !user.totpEnabledAt) return "mfa_enrolment";
    return undefined;
  }

  private isLocked(user: UserRow): boolean {
    return user.lockedUntil !== null && user.lockedUntil > this.now();
  }

  private assertEnabled(user: UserRow): void {
    if (user.disabled) throw new HttpProblem(403, "Compte désactivé", "Ask an administrator.");
  }

  /** Counts a failure; the threshold-th consecutive one locks the account and restarts the count. */
  private async registerFailure(userId: string): Promise<void> {
    const threshold = this.settings.lockoutThreshold;
    const lockedUntil = new Date(this.now().getTime() + this.settings.lockoutMinutes * 60_000);
    const reached = sql`${users.failedLogins} + 1 >= ${threshold}`;
    await this.db
      .update(users)
      .set({
        failedLogins: sql`case when ${reached} then 0 else ${users.failedLogins} + 1 end`,
        lockedUntil: sql`case when ${reached} then ${lockedUntil.toISOString()}::timestamptz else ${users.lockedUntil} end`,
      })
      .where(eq(users.id, userId));
  }

  private async clearFailures(userId: string): Promise<void> {
    await this.db.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.id, userId));
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.db
      .update(refreshTokens)
      .set({ revokedAt: this.now() })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  }

  private async revokeAllSessions(userId: string): Promise<void> {
    await this.db
      .update(refreshTokens)
      .set({ revokedAt: this.now() })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
  }

  private async assertAnotherActiveAdmin(exceptId: string): Promise<void> {
    const others = await this.db
      .select({ id: users.id })
      .from(users)
      .where(
        and(
          eq(users.disabled, false),
          sql`${users.roles} @> '["admin"]'::jsonb`,
          sql`${users.id} <> ${exceptId}`,
        ),
      )
      .limit(1);
    if (others.length === 0) {
      throw new HttpProblem(409, "Dernier administrateur", "At least one enabled admin must remain.");
    }
  }

  private async row(id: string): Promise<UserRow> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    if (!row) throw new HttpProblem(404, "Utilisateur inconnu", `No user ${id}.`);
    return row;
  }

  private async rowByOidcSubject(subject: string): Promise<UserRow | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.oidcSubject, subject)).limit(1);
    return row;
  }

  private view(row: UserRow): UserView {
    return {
      id: row.id,
      email: row.email,
      roles: row.roles,
      site: row.site,
      disabled: row.disabled,
      locked: this.isLocked(row),
      mfaEnabled: row.totpEnabledAt !== null,
      passwordChangeRequired: row.passwordChangeRequired,
      external: row.oidcSubject !== null,
      createdAt: row.createdAt.toISOString(),
      lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    };
  }
}

function uniqueRoles(roles: readonly Role[]): Role[] {
  return ROLES.filter((role) => roles.includes(role));
}

/** The enrolment QR code as a data URL; the encoder is loaded by the first enrolment, not held by every process. */
async function qrCodeOf(uri: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toDataURL(uri, { errorCorrectionLevel: "M" });
}
