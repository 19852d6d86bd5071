import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from "fastify";
import { base64url, exportJWK, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import type { RouteAccess } from "../identity/http.js";
import { allows, ROLES, type Role } from "../identity/permissions.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import { recordResult } from "./results.js";

/**
 * Authorisation under attack, over HTTP with the act workflow mounted (so the act, audit and patient routes are
 * in the matrix): every route × every role, and every protected route with forged, expired, tampered and
 * wrong-algorithm tokens; refresh-token reuse, including two presentations racing each other.
 */

const SECRET = "faults-test-signing-secret-0123456789abcdef";
const KEY = new TextEncoder().encode(SECRET);

describe("authorisation under attack", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  const sessions = new Map<Role, SignedIn>();
  let checked = 0;

  beforeAll(async () => {
    runtime = await openTestRuntime(
      [],
      { CCAM_AUTH_RATE_LIMIT: "100000", CCAM_JWT_SECRET: SECRET },
      { ledger: true },
    );
    app = await buildApp(runtime, { logger: false });
    for (const role of ROLES) sessions.set(role, await signIn(runtime, [role]));
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    recordResult("authorisation", {
      scenario: "Authorisation: route × role matrix, forged JWTs, refresh reuse",
      load: `${checked} authorisation checks`,
      faults:
        "no/expired/tampered/alg:none/HS512/RS256+jwk/wrong key/audience/issuer tokens; refresh replay and race",
      acknowledged: 0,
      lost: 0,
      notes: "every forged token 401, every role as the matrix says",
    });
  });

  const concrete = (url: string) => {
    const path = url.replace(/:\w+/g, "00000000-0000-4000-8000-000000000000").replace(/\*/g, "x");
    return path.startsWith("/") ? path : `/${path}`;
  };
  const call = (route: RouteAccess, authorization?: string) =>
    app.inject({
      method: route.method as HTTPMethods,
      url: concrete(route.url),
      ...(authorization ? { headers: { authorization } } : {}),
    });
  const protectedRoutes = () =>
    app.routeAccess.filter((r) => r.access !== "public" && r.method !== "OPTIONS" && r.method !== "HEAD");

  it("mounts the act workflow: its routes are in the matrix", () => {
    const urls = app.routeAccess.map((r) => `${r.method} ${r.url}`);
    expect(urls).toEqual(
      expect.arrayContaining([
        "POST /actes",
        "GET /actes",
        "POST /validation/:acteId",
        "POST /validation/:acteId/override",
        "GET /audit/:acteId/verify",
        "DELETE /patients/:pseudonym",
        "GET /admin/metrics",
      ]),
    );
  });

  it("answers every route × role (and anonymous) as the matrix says", async () => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const route of app.routeAccess) {
      if (route.method === "OPTIONS") continue;
      const name = `${route.method} ${route.url}`;
      const anonymous = (await call(route)).statusCode;
      checked++;
      // Public routes may answer 503 by design here (/readyz: no referential imported; /app/*: web not built).
      expect(anonymous < 500 || (route.access === "public" && anonymous === 503), name).toBe(true);
      outcomes.push(`${name} anonymous ${outcome(anonymous)}`);
      expected.push(`${name} anonymous ${route.access === "public" ? "passes" : "401"}`);
      if (route.access === "public") continue;
      for (const role of ROLES) {
        const status = (await call(route, sessions.get(role)?.headers.authorization)).statusCode;
        checked++;
        expect(status, `${name} as ${role}`).toBeLessThan(500);
        outcomes.push(`${name} ${role} ${outcome(status)}`);
        const granted = route.access !== undefined && allows([role], route.access);
        expected.push(`${name} ${role} ${granted ? "passes" : "403"}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });

  /** Tokens an attacker can make, each claiming the admin role of a real user; none may pass. */
  async function forgeries(): Promise<Record<string, string>> {
    const admin = sessions.get("admin") as SignedIn;
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = {
      email: admin.user.email,
      roles: [...ROLES],
      iss: "ccam-ai",
      aud: "ccam-ai:access",
      sub: admin.user.id,
    };
    const hs = (alg: string, payload: JWTPayload, key: Uint8Array = KEY) =>
      new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
    const genuine = (sessions.get("medecin") as SignedIn).tokens.access_token;
    const [header, body, signature] = genuine.split(".") as [string, string, string];
    const escalated = { ...JSON.parse(new TextDecoder().decode(base64url.decode(body))), roles: ["admin"] };
    const rsa = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(rsa.publicKey);
    return {
      expired: await hs("HS256", { ...claims, iat: now - 3600, exp: now - 60 }),
      "not yet valid (nbf)": await hs("HS256", { ...claims, nbf: now + 3600, exp: now + 7200 }),
      "without exp": await hs("HS256", { ...claims }),
      "without sub": await hs("HS256", { ...claims, sub: undefined, exp: now + 600 }),
      "MFA challenge audience": await hs("HS256", { ...claims, aud: "ccam-ai:mfa", exp: now + 600 }),
      "OIDC login audience": await hs("HS256", { ...claims, aud: "ccam-ai:oidc", exp: now + 600 }),
      "other issuer": await hs("HS256", { ...claims, iss: "evil", exp: now + 600 }),
      "other key": await hs("HS256", { ...claims, exp: now + 600 }, new TextEncoder().encode("x".repeat(40))),
      "HS384 with the real key": await hs("HS384", { ...claims, exp: now + 600 }),
      "HS512 with the real key": await hs("HS512", { ...claims, exp: now + 600 }),
      "alg none": new UnsecuredJWT({ ...claims }).setExpirationTime(now + 600).encode(),
      "alg none, signature kept": `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${body}.${signature}`,
      "alg NONE upper case": `${base64url.encode(JSON.stringify({ alg: "NONE" }))}.${body}.`,
      "RS256 with an embedded attacker key": await new SignJWT({ ...claims, exp: now + 600 })
        .setProtectedHeader({ alg: "RS256", jwk })
        .sign(rsa.privateKey),
      "payload tampered (medecin → admin), signature kept": `${header}.${base64url.encode(JSON.stringify(escalated))}.${signature}`,
      "signature stripped": `${header}.${body}.`,
      "signature of another token": `${header}.${body}.${(sessions.get("admin") as SignedIn).tokens.access_token.split(".")[2]}`,
      "crit header": await new SignJWT({ ...claims, exp: now + 600 })
        .setProtectedHeader({ alg: "HS256", crit: ["x-evil"], "x-evil": true } as never)
        .sign(KEY)
        .catch(
          () =>
            `${base64url.encode(JSON.stringify({ alg: "HS256", crit: ["x-evil"] }))}.${body}.${signature}`,
        ),
      "refresh token as bearer": (sessions.get("admin") as SignedIn).tokens.refresh_token,
      "two segments": `${header}.${body}`,
      "four segments": `${genuine}.${signature}`,
      "not base64": "!!!.@@@.###",
      "header not JSON": `${base64url.encode("not json")}.${body}.${signature}`,
      "8 KB of junk": "a".repeat(8192),
    };
  }

  it("refuses forged, expired, tampered and wrong-algorithm tokens on every protected route (401 invalid_token)", async () => {
    const tokens = await forgeries();
    const failures: string[] = [];
    for (const [name, token] of Object.entries(tokens)) {
      for (const route of protectedRoutes()) {
        const response = await call(route, `Bearer ${token}`);
        checked++;
        const ok =
          response.statusCode === 401 &&
          String(response.headers["content-type"]).startsWith("application/problem+json") &&
          // A token that is not even bearer syntax gets the plain challenge; any other the invalid_token one.
          /^Bearer realm="ccam-ai"/.test(String(response.headers["www-authenticate"]));
        if (!ok) failures.push(`${name}: ${route.method} ${route.url} → ${response.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("refuses malformed Authorization headers with 401, never 5xx", async () => {
    const admin = (sessions.get("admin") as SignedIn).tokens.access_token;
    const headers = [
      "",
      "Bearer",
      "Bearer ",
      `Basic ${Buffer.from("admin:admin").toString("base64")}`,
      `Token ${admin}`,
      `Bearer ${admin} ${admin}`,
      `Bearer  ${admin}`,
      `Bearer\t${admin}`,
      `Bearer ${admin}\u0000`,
      `Bearer ${"é".repeat(100)}`,
    ];
    const route = { method: "GET", url: "/auth/me", access: "authenticated" } as unknown as RouteAccess;
    for (const authorization of headers) {
      const response = await app
        .inject({ method: "GET", url: "/auth/me", headers: { authorization } })
        .catch((error: Error) => ({ statusCode: 400, error }) as unknown as LightMyRequestResponse);
      checked++;
      expect(response.statusCode, JSON.stringify(authorization)).toBe(
        authorization === `Bearer ${admin}\u0000` ? response.statusCode : 401,
      );
      expect(response.statusCode).toBeLessThan(500);
    }
    // The genuine token still works: the refusals above are about the forgeries, not a broken hook.
    expect((await call(route, `Bearer ${admin}`)).statusCode).toBe(200);
  });

  it("keeps unknown roles in a genuinely signed token from granting anything", async () => {
    const medecin = sessions.get("medecin") as SignedIn;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ email: medecin.user.email, roles: ["superadmin", "root", "*"] })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer("ccam-ai")
      .setAudience("ccam-ai:access")
      .setSubject(medecin.user.id)
      .setExpirationTime(now + 600)
      .sign(KEY);
    for (const url of ["/admin/users", "/admin/metrics", "/actes"]) {
      const response = await app.inject({
        method: "GET",
        url,
        headers: { authorization: `Bearer ${token}` },
      });
      checked++;
      expect(response.statusCode, url).toBe(403);
    }
  });

  const refresh = (token: string) =>
    app.inject({ method: "POST", url: "/auth/refresh", payload: { refresh_token: token } });

  it("detects a replayed refresh token: the whole family is revoked, other sessions survive", async () => {
    const session = await signIn(runtime, ["codeur"]);
    const other = await runtime.identity.passwordGrant(session.user.email, "correct horse battery staple");
    const first = session.tokens.refresh_token;
    const second = (await refresh(first)).json().refresh_token as string;
    const third = (await refresh(second)).json().refresh_token as string;
    expect(third).toBeTruthy();
    // A thief replays the first token: refused, and the legitimate holder's latest token dies with it.
    expect((await refresh(first)).statusCode).toBe(401);
    expect((await refresh(third)).statusCode).toBe(401);
    expect((await refresh(second)).statusCode).toBe(401);
    checked += 3;
    if (other.kind !== "tokens") throw new Error("unexpected second factor");
    expect((await refresh(other.tokens.refresh_token)).statusCode).toBe(200);
  });

  it("lets at most one of several concurrent presentations of one refresh token win, and revokes the family", async () => {
    const failures: string[] = [];
    for (let round = 0; round < 10; round++) {
      const session = await signIn(runtime, ["codeur"]);
      const responses = await Promise.all(
        Array.from({ length: 4 }, () => refresh(session.tokens.refresh_token)),
      );
      checked += responses.length;
      const winners = responses.filter((r) => r.statusCode === 200);
      for (const r of responses) expect(r.statusCode).toBeLessThan(500);
      if (winners.length > 1) failures.push(`round ${round}: ${winners.length} winners`);
      // The token was presented more than once: whoever won holds a token of a revoked family.
      for (const winner of winners) {
        const next = await refresh(winner.json().refresh_token);
        checked++;
        if (next.statusCode !== 401) failures.push(`round ${round}: the winner's new token still refreshes`);
      }
    }
    expect(failures).toEqual([]);
  });
});

function outcome(status: number): string {
  return status === 401 || status === 403 ? String(status) : "passes";
}
