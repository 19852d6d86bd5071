import type { FastifyInstance, HTTPMethods } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import type { Runtime } from "./bootstrap.js";
import type { RouteAccess } from "./identity/http.js";
import { allows, ROLES, type Role } from "./identity/permissions.js";
import { signIn } from "./test-support/auth.js";
import { openTestRuntime } from "./test-support/runtime.js";

/**
 * Every route registered on the app (routes added later are walked automatically) × every role and anonymous:
 * 401 without a token on a protected route, 403 when the role lacks the declared permission, and neither when it
 * has it (the handler then answers 200, 400 or 404 depending on the dummy input: the auth outcome is asserted,
 * not the business one).
 */
describe("route × role access matrix", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    runtime = await openTestRuntime([], { CCAM_AUTH_RATE_LIMIT: "100000" });
    app = await buildApp(runtime, { logger: false });
    for (const role of ROLES) tokens.set(role, (await signIn(runtime, [role])).tokens.access_token);
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  // Any value will do for parameters: authorisation is decided before validation.
  const concrete = (url: string) => {
    const path = url.replace(/:\w+/g, "x").replace(/\*/g, "x");
    return path.startsWith("/") ? path : `/${path}`;
  };
  const request = (route: RouteAccess, token?: string) =>
    app.inject({
      method: route.method as HTTPMethods,
      url: concrete(route.url),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });

  it("covers the routes of every module", () => {
    const urls = app.routeAccess.map((r) => r.url);
    expect(urls).toEqual(
      expect.arrayContaining(["/healthz", "/ccam/acts/:code", "/auth/token", "/auth/me", "/admin/users/:id"]),
    );
  });

  it("has every non-public route declare its access (none is left refused by omission)", () => {
    // OPTIONS * is the CORS preflight fallback: preflights of allowed origins are answered before it.
    const undeclared = app.routeAccess.filter((r) => r.access === undefined && r.method !== "OPTIONS");
    expect(undeclared.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it("answers each route as the matrix says, for anonymous and each role", async () => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const route of app.routeAccess) {
      const name = `${route.method} ${route.url}`;
      const anonymous = (await request(route)).statusCode;
      outcomes.push(`${name} anonymous ${authOutcome(anonymous)}`);
      expected.push(`${name} anonymous ${route.access === "public" ? "passes" : "401"}`);
      if (route.access === "public") continue;
      for (const role of ROLES) {
        const status = (await request(route, tokens.get(role))).statusCode;
        outcomes.push(`${name} ${role} ${authOutcome(status)}`);
        const granted = route.access !== undefined && allows([role], route.access);
        expected.push(`${name} ${role} ${granted ? "passes" : "403"}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });
});

function authOutcome(status: number): string {
  return status === 401 || status === 403 ? String(status) : "passes";
}
