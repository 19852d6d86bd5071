/**
 * The identity module's answers as zod schemas: pure (zod and the role list only), so the web app can import
 * them through `schemas.ts`.
 */
import { z } from "zod";
import { ROLES } from "./permissions.js";

export const RoleSchema = z.enum(ROLES);

/** RFC 6749 §5.1 token response (POST /auth/token, /auth/refresh, the OIDC callback). */
export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  refresh_token: z.string(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** An account as administrators see it (GET /admin/users). */
export const UserViewSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  roles: z.array(RoleSchema),
  site: z.string().nullable(),
  disabled: z.boolean(),
  locked: z.boolean(),
  mfaEnabled: z.boolean(),
  passwordChangeRequired: z.boolean(),
  /** Signs in through OpenID Connect. */
  external: z.boolean(),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
});
export type UserView = z.infer<typeof UserViewSchema>;

/** GET /auth/me: the signed-in user, roles and effective permissions. */
export const MeSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  roles: z.array(RoleSchema),
  site: z.string().optional(),
  pending: z.enum(["password_change", "mfa_enrolment"]).optional(),
  permissions: z.array(z.string()),
});
export type Me = z.infer<typeof MeSchema>;
