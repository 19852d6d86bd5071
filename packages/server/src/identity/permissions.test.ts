import { describe, expect, it } from "vitest";
import { AUTHENTICATED, allows, isPublicRoute, PERMISSIONS, ROLE_PERMISSIONS, ROLES } from "./permissions.js";

describe("RBAC matrix", () => {
  it("grants every permission to some role, and only known permissions", () => {
    const granted = new Set(ROLES.flatMap((role) => ROLE_PERMISSIONS[role]));
    expect([...granted].sort()).toEqual([...PERMISSIONS].sort());
  });

  it("keeps clinical text from the auditor and the administrator", () => {
    expect(allows(["auditeur"], "act:read:clinical_text")).toBe(false);
    expect(allows(["admin"], "act:read:clinical_text")).toBe(false);
    expect(allows(["auditeur", "admin"], ["act:read:clinical_text", "act:code"])).toBe(false);
  });

  it.each([
    ["medecin", "act:create", true],
    ["medecin", "act:read:site", false],
    ["medecin", "act:validate", false],
    ["codeur", "act:override", true],
    ["codeur", "patient:erase", false],
    ["superviseur_dim", "patient:erase", true],
    ["superviseur_dim", "users:manage", false],
    ["auditeur", "audit:verify", true],
    ["auditeur", "act:code", false],
    ["admin", "users:manage", true],
    ["admin", "act:read:own", false],
  ] as const)("%s → %s: %s", (role, permission, expected) => {
    expect(allows([role], permission)).toBe(expected);
  });

  it("treats an array as any-of, and AUTHENTICATED as any signed-in user", () => {
    expect(allows(["medecin"], ["act:read:own", "act:read:site"])).toBe(true);
    expect(allows([], AUTHENTICATED)).toBe(true);
    expect(allows([], "referential:read")).toBe(false);
  });

  it("lists the public routes explicitly, prefixes only with *", () => {
    for (const url of [
      "/healthz",
      "/readyz",
      "/metrics",
      "/docs",
      "/docs/json",
      "/auth/token",
      "/auth/oidc/callback",
    ]) {
      expect(isPublicRoute(url), url).toBe(true);
    }
    for (const url of [
      "/auth/logout",
      "/auth/me",
      "/auth/mfa/enroll",
      "/healthz/x",
      "/admin/users",
      "/ccam/acts",
    ]) {
      expect(isPublicRoute(url), url).toBe(false);
    }
  });
});
