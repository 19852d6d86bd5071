/**
 * The RBAC matrix, in one place. A route declares the permission it needs (`config: { permission }`); a role
 * grants a set of permissions. Reading clinical text is a permission of its own so that roles which see acts
 * (auditeur) or manage the system (admin) never see it.
 */

export const ROLES = ["medecin", "codeur", "superviseur_dim", "auditeur", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  "act:create",
  "act:read:own",
  "act:read:site",
  "act:read:clinical_text",
  "act:code",
  "act:validate",
  "act:override",
  "audit:read",
  "audit:verify",
  "metrics:read",
  "patient:erase",
  "patient:export",
  "users:manage",
  "referential:read",
  "referential:manage",
  "rules:validate",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  medecin: ["act:create", "act:read:own", "act:read:clinical_text", "referential:read", "rules:validate"],
  codeur: [
    "act:create",
    "act:read:own",
    "act:read:site",
    "act:read:clinical_text",
    "act:code",
    "act:validate",
    "act:override",
    "referential:read",
    "rules:validate",
  ],
  superviseur_dim: [
    "act:read:own",
    "act:read:site",
    "act:read:clinical_text",
    "act:code",
    "act:validate",
    "act:override",
    "audit:read",
    "audit:verify",
    "metrics:read",
    "patient:erase",
    "patient:export",
    "referential:read",
    "rules:validate",
  ],
  auditeur: ["act:read:site", "audit:read", "audit:verify", "referential:read"],
  admin: ["users:manage", "metrics:read", "referential:read", "referential:manage"],
};

/** Declared by routes any signed-in user may call (their own session, MFA enrolment). */
export const AUTHENTICATED = "authenticated";

/**
 * What a route needs: a permission, any of several (e.g. `["act:read:own", "act:read:site"]`, the handler then
 * narrows by `hasPermission`), or only a signed-in user.
 */
export type Access = Permission | readonly Permission[] | typeof AUTHENTICATED;

/**
 * Routes anyone may call. Everything else needs a token, and a route that declares no access is refused to
 * everyone (deny by default). A trailing `*` matches the prefix.
 */
export const PUBLIC_ROUTES = [
  "/healthz",
  "/readyz",
  "/metrics",
  "/docs*",
  "/auth/token",
  "/auth/refresh",
  "/auth/oidc/*",
  // The web application (routes/web.ts): its files and pages; the API calls it makes carry the token.
  "/",
  "/app",
  "/app/*",
] as const;

export function isPublicRoute(url: string): boolean {
  return PUBLIC_ROUTES.some((pattern) =>
    pattern.endsWith("*") ? url.startsWith(pattern.slice(0, -1)) : url === pattern,
  );
}

export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  return new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role]));
}

export function hasPermission(roles: readonly Role[], permission: Permission): boolean {
  return roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/** Whether `roles` satisfy a route's declared access. */
export function allows(roles: readonly Role[], access: Access): boolean {
  if (access === AUTHENTICATED) return true;
  const needed: readonly Permission[] = typeof access === "string" ? [access] : access;
  return needed.some((permission) => hasPermission(roles, permission));
}
