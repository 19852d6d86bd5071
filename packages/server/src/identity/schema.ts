import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import type { Role } from "./permissions.js";

/** Password only, password + second factor, external provider. */
export type AuthMethod = "pwd" | "mfa" | "oidc";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

// No foreign keys: drizzle-kit qualifies them with "public", which breaks CCAM_DATABASE_SCHEMA; users are
// disabled, never deleted, so nothing dangles.

/** Local and OIDC accounts. Secrets are never stored in clear except the TOTP seed (see docs/security.md). */
export const users = pgTable("users", {
  id: uuid("id").primaryKey(),
  /** Lower-cased. */
  email: text("email").notNull().unique(),
  /** argon2id PHC string; null for accounts that sign in only through OIDC. */
  passwordHash: text("password_hash"),
  roles: jsonb("roles").$type<Role[]>().notNull(),
  site: text("site"),
  disabled: boolean("disabled").notNull().default(false),
  /** One-time passwords (first admin, admin-created accounts) must be replaced before anything else. */
  passwordChangeRequired: boolean("password_change_required").notNull().default(false),
  failedLogins: integer("failed_logins").notNull().default(0),
  lockedUntil: timestamptz("locked_until"),
  /** Base32 TOTP seed: pending until the first code is verified, then active from `totp_enabled_at`. */
  totpSecret: text("totp_secret"),
  totpEnabledAt: timestamptz("totp_enabled_at"),
  /** Last accepted TOTP time step: a code is accepted once (RFC 6238 §5.2). */
  totpLastStep: integer("totp_last_step"),
  /** `issuer|sub` of an external identity. */
  oidcSubject: text("oidc_subject").unique(),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  lastLoginAt: timestamptz("last_login_at"),
});

/**
 * Refresh tokens, by SHA-256 of the token (256 random bits: a slow hash adds nothing). Each refresh marks the
 * presented token used and issues the next one in the same family; presenting a used token again means it was
 * stolen, and the whole family is revoked.
 */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    familyId: uuid("family_id").notNull(),
    /** How the family's session was authenticated, carried along rotations (RFC 8176 values). */
    amr: text("amr").$type<AuthMethod>().notNull(),
    userId: uuid("user_id").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    expiresAt: timestamptz("expires_at").notNull(),
    usedAt: timestamptz("used_at"),
    revokedAt: timestamptz("revoked_at"),
  },
  (t) => [index("refresh_tokens_family_idx").on(t.familyId), index("refresh_tokens_user_idx").on(t.userId)],
);

/** Single-use MFA recovery codes, by SHA-256 (random, 50 bits each, behind the password and the lockout). */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    userId: uuid("user_id").notNull(),
    codeHash: text("code_hash").notNull(),
    usedAt: timestamptz("used_at"),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);
