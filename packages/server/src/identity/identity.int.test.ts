import { randomInt } from "node:crypto";
import { eq } from "drizzle-orm";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadApplicationKeys } from "../acts/keys.js";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { TEST_PASSWORD } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import type { Role } from "./permissions.js";
import { recoveryCodes, users } from "./schema.js";
import { IdentityService } from "./service.js";
import { totpAt } from "./totp.js";

const MFA_GRANT = "urn:ccam:params:oauth:grant-type:mfa-otp";
const ADMIN = { email: "root@chu.example", password: "first admin password" };

describe("identity over HTTP: sign-in, sessions, lockout, MFA, users API, hardening", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  // Every expiry (tokens, lockout, TOTP steps) is decided by this clock, moved by the tests.
  let now = new Date("2026-03-02T08:00:00Z");
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };

  beforeAll(async () => {
    const opened = await openTestRuntime([], {
      CCAM_ADMIN_EMAIL: ADMIN.email,
      CCAM_ADMIN_PASSWORD: ADMIN.password,
      CCAM_MFA_REQUIRED_ROLES: "superviseur_dim",
      CCAM_CORS_ORIGINS: "https://codage.chu.example",
      CCAM_AUTH_RATE_LIMIT: "1000",
      CCAM_BODY_LIMIT_BYTES: "4096",
    });
    const { master } = loadApplicationKeys(opened.config.keys, opened.config.dataDir);
    runtime = {
      ...opened,
      identity: new IdentityService(opened.database.db, opened.config, () => now, master),
    };
    app = await buildApp(runtime, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  const form = (fields: Record<string, string>, url = "/auth/token") =>
    app.inject({
      method: "POST",
      url,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams(fields).toString(),
    });
  const login = (username: string, password: string) => form({ grant_type: "password", username, password });
  const refresh = (token: string) =>
    app.inject({ method: "POST", url: "/auth/refresh", payload: { refresh_token: token } });
  const bearer = (response: LightMyRequestResponse) => ({
    authorization: `Bearer ${response.json().access_token}`,
  });
  const call = (method: "GET" | "POST" | "PATCH", url: string, headers: object, payload?: object) =>
    app.inject({ method, url, headers: { ...headers }, ...(payload ? { payload } : {}) });

  // The clock moves past token lifetimes: each admin call signs in afresh.
  const asAdmin = async () => bearer(await login(ADMIN.email, ADMIN.password));
  const createUser = async (email: string, roles: Role[], password: string | null = TEST_PASSWORD) => {
    const response = await call("POST", "/admin/users", await asAdmin(), {
      email,
      roles,
      ...(password === null ? {} : { password }),
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; oneTimePassword?: string };
  };

  it("creates the first administrator once, from CCAM_ADMIN_EMAIL and CCAM_ADMIN_PASSWORD", async () => {
    expect(await runtime.identity.ensureFirstAdmin()).toEqual({
      email: ADMIN.email,
      oneTimePassword: undefined,
    });
    expect(await runtime.identity.ensureFirstAdmin()).toBeNull();
    const response = await login(ADMIN.email, ADMIN.password);
    expect(response.statusCode).toBe(200);
    const [row] = await runtime.database.db.select().from(users).where(eq(users.email, ADMIN.email));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("answers the OAuth2 token response to the urlencoded password grant", async () => {
    await createUser("coder@chu.example", ["codeur"]);
    const response = await login("Coder@CHU.example", TEST_PASSWORD);
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.json()).toEqual({
      access_token: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: "Bearer",
      expires_in: 900,
      refresh_token: expect.stringMatching(/^[\w-]{43}$/),
    });
    const me = await call("GET", "/auth/me", bearer(response));
    expect(me.json()).toMatchObject({ email: "coder@chu.example", roles: ["codeur"] });
    expect(me.json().permissions).toContain("act:validate");
    expect((await call("GET", "/ccam/versions", bearer(response))).statusCode).toBe(200);
  });

  it("gives one answer for an unknown user and a wrong password, as problem+json", async () => {
    const unknown = await login("nobody@chu.example", TEST_PASSWORD);
    const wrong = await login("coder@chu.example", "not the password");
    for (const response of [unknown, wrong]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    }
    expect(unknown.json().detail).toBe(wrong.json().detail);
    const missing = await form({ grant_type: "password", username: "x" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors.map((e: { field: string }) => e.field)).toContain("body.password");
    expect((await form({ grant_type: "client_credentials" })).statusCode).toBe(400);
  });

  it("rotates refresh tokens, and a reused one revokes the whole family", async () => {
    const first = (await login("coder@chu.example", TEST_PASSWORD)).json();
    const second = await refresh(first.refresh_token);
    expect(second.statusCode).toBe(200);
    expect(second.json().refresh_token).not.toBe(first.refresh_token);
    // The token grant accepts refresh_token too, with the same rotation.
    const third = await form({ grant_type: "refresh_token", refresh_token: second.json().refresh_token });
    expect(third.statusCode).toBe(200);
    // A stolen copy of the first token is replayed: refused, and the legitimate latest token dies with it.
    expect((await refresh(first.refresh_token)).statusCode).toBe(401);
    expect((await refresh(third.json().refresh_token)).statusCode).toBe(401);
    // Another session of the same user is a different family and survives.
    const other = (await login("coder@chu.example", TEST_PASSWORD)).json();
    expect((await refresh(other.refresh_token)).statusCode).toBe(200);
  });

  it("expires access tokens after 15 minutes and refresh tokens after CCAM_REFRESH_TTL_HOURS", async () => {
    const session = await login("coder@chu.example", TEST_PASSWORD);
    advance(15 * 60 + 1);
    const expired = await call("GET", "/auth/me", bearer(session));
    expect(expired.statusCode).toBe(401);
    expect(expired.headers["www-authenticate"]).toMatch(/^Bearer .*error="invalid_token"/);
    const renewed = await refresh(session.json().refresh_token);
    expect((await call("GET", "/auth/me", bearer(renewed))).statusCode).toBe(200);
    advance(12 * 3600 + 1);
    expect((await refresh(renewed.json().refresh_token)).statusCode).toBe(401);
  });

  it("logs out: the session's refresh tokens are revoked", async () => {
    const session = await login("coder@chu.example", TEST_PASSWORD);
    const out = await call("POST", "/auth/logout", bearer(session), {
      refresh_token: session.json().refresh_token,
    });
    expect(out.statusCode).toBe(204);
    expect((await refresh(session.json().refresh_token)).statusCode).toBe(401);
    expect((await app.inject({ method: "POST", url: "/auth/logout" })).statusCode).toBe(401);
  });

  it("locks the account after 5 failed attempts, until the lockout ends or an admin unlocks it", async () => {
    const { id } = await createUser("locked@chu.example", ["medecin"]);
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await login("locked@chu.example", "wrong password!")).statusCode).toBe(401);
    }
    expect((await login("locked@chu.example", TEST_PASSWORD)).statusCode).toBe(401);
    const listed = (await call("GET", "/admin/users", await asAdmin())).json();
    expect(listed.find((u: { id: string }) => u.id === id)).toMatchObject({ locked: true });
    advance(15 * 60 + 1);
    expect((await login("locked@chu.example", TEST_PASSWORD)).statusCode).toBe(200);

    for (let attempt = 0; attempt < 5; attempt++) await login("locked@chu.example", "wrong password!");
    expect((await login("locked@chu.example", TEST_PASSWORD)).statusCode).toBe(401);
    const unlocked = await call("PATCH", `/admin/users/${id}`, await asAdmin(), { unlock: true });
    expect(unlocked.json()).toMatchObject({ locked: false });
    expect((await login("locked@chu.example", TEST_PASSWORD)).statusCode).toBe(200);
  });

  it("enrols TOTP with a QR code, then requires it at sign-in, with single-use recovery codes", async () => {
    const { id } = await createUser("mfa@chu.example", ["codeur"]);
    const session = await login("mfa@chu.example", TEST_PASSWORD);
    const enrolment = await call("POST", "/auth/mfa/enroll", bearer(session));
    expect(enrolment.statusCode).toBe(200);
    const { secret, otpauth_uri, qr_code } = enrolment.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\/CCAM%20AI%3Amfa%40chu\.example\?secret=/);
    expect(qr_code).toMatch(/^data:image\/png;base64,/);
    const wrong = await call("POST", "/auth/mfa/verify", bearer(session), { code: "000000" });
    expect(wrong.statusCode).toBe(400);
    const verified = await call("POST", "/auth/mfa/verify", bearer(session), { code: totpAt(secret, now) });
    expect(verified.statusCode).toBe(200);
    const codes: string[] = verified.json().recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const stored = await runtime.database.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, id));
    expect(stored.map((r) => r.codeHash)).not.toContain(codes[0]);
    // The seed is sealed at rest under the master key (AES-256-GCM, bound to the user): a dump yields no codes.
    const [row] = await runtime.database.db.select().from(users).where(eq(users.id, id));
    expect(row?.totpSecret).toMatch(/^[\w-]+:v1\./);
    expect(row?.totpSecret).not.toContain(secret);
    expect((await call("POST", "/auth/mfa/enroll", bearer(session))).statusCode).toBe(409);

    const challenge = await login("mfa@chu.example", TEST_PASSWORD);
    expect(challenge.statusCode).toBe(403);
    expect(challenge.json()).toMatchObject({
      error: "mfa_required",
      mfa_token: expect.any(String),
      status: 403,
    });
    const mfaToken = challenge.json().mfa_token;
    // The MFA challenge token is not an access token.
    expect((await call("GET", "/auth/me", { authorization: `Bearer ${mfaToken}` })).statusCode).toBe(401);
    // The code used for enrolment was spent; the next step's code is accepted once.
    expect(
      (await form({ grant_type: MFA_GRANT, mfa_token: mfaToken, otp: totpAt(secret, now) })).statusCode,
    ).toBe(401);
    advance(30);
    const code = totpAt(secret, now);
    const signedIn = await form({ grant_type: MFA_GRANT, mfa_token: mfaToken, otp: code });
    expect(signedIn.statusCode).toBe(200);
    expect((await form({ grant_type: MFA_GRANT, mfa_token: mfaToken, otp: code })).statusCode).toBe(401);

    const recovery = codes[3] ?? "";
    const withRecovery = await form({
      grant_type: MFA_GRANT,
      mfa_token: mfaToken,
      otp: recovery.toUpperCase(),
    });
    expect(withRecovery.statusCode).toBe(200);
    expect((await form({ grant_type: MFA_GRANT, mfa_token: mfaToken, otp: recovery })).statusCode).toBe(401);

    // An administrator resets the second factor: the password alone signs in again.
    await call("PATCH", `/admin/users/${id}`, await asAdmin(), { resetMfa: true, unlock: true });
    expect((await login("mfa@chu.example", TEST_PASSWORD)).statusCode).toBe(200);
  });

  it("restricts a role that requires MFA to enrolment until it is done", async () => {
    await createUser("dim@chu.example", ["superviseur_dim"]);
    const session = await login("dim@chu.example", TEST_PASSWORD);
    expect(session.statusCode).toBe(200);
    const refused = await call("GET", "/ccam/versions", bearer(session));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().title).toBe("Inscription MFA requise");
    expect((await call("GET", "/auth/me", bearer(session))).json().pending).toBe("mfa_enrolment");
    const { secret } = (await call("POST", "/auth/mfa/enroll", bearer(session))).json();
    await call("POST", "/auth/mfa/verify", bearer(session), { code: totpAt(secret, now) });
    const full = await refresh(session.json().refresh_token);
    expect((await call("GET", "/ccam/versions", bearer(full))).statusCode).toBe(200);
  });

  it("creates accounts with a one-time password that must be replaced first", async () => {
    const { id, oneTimePassword } = await createUser("new@chu.example", ["medecin"], null);
    expect(oneTimePassword).toMatch(/^[\w-]{20}$/);
    const session = await login("new@chu.example", oneTimePassword ?? "");
    expect((await call("GET", "/ccam/versions", bearer(session))).json().title).toBe(
      "Changement de mot de passe requis",
    );
    const weak = await call("POST", "/auth/password", bearer(session), {
      current_password: oneTimePassword,
      new_password: "short",
    });
    expect(weak.statusCode).toBe(400);
    const changed = await call("POST", "/auth/password", bearer(session), {
      current_password: oneTimePassword,
      new_password: "a much better passphrase",
    });
    expect(changed.statusCode).toBe(204);
    expect((await refresh(session.json().refresh_token)).statusCode).toBe(401);
    const fresh = await login("new@chu.example", "a much better passphrase");
    expect((await call("GET", "/ccam/versions", bearer(fresh))).statusCode).toBe(200);
    expect((await call("GET", "/admin/users", await asAdmin())).json()).toContainEqual(
      expect.objectContaining({ id, email: "new@chu.example", passwordChangeRequired: false }),
    );
  });

  it("lets admins change roles and disable accounts, and never removes the last admin", async () => {
    const { id } = await createUser("moving@chu.example", ["medecin"]);
    const session = await login("moving@chu.example", TEST_PASSWORD);
    const patched = await call("PATCH", `/admin/users/${id}`, await asAdmin(), {
      roles: ["codeur", "auditeur"],
    });
    expect(patched.json()).toMatchObject({ roles: ["codeur", "auditeur"] });
    // Sessions opened with the old roles cannot be refreshed.
    expect((await refresh(session.json().refresh_token)).statusCode).toBe(401);
    expect(
      (await call("GET", "/auth/me", bearer(await login("moving@chu.example", TEST_PASSWORD)))).json().roles,
    ).toEqual(["codeur", "auditeur"]);
    await call("PATCH", `/admin/users/${id}`, await asAdmin(), { disabled: true });
    const disabled = await login("moving@chu.example", TEST_PASSWORD);
    expect(disabled.statusCode).toBe(403);
    expect(disabled.json().title).toBe("Compte désactivé");

    const duplicate = await call("POST", "/admin/users", await asAdmin(), {
      email: "MOVING@chu.example",
      roles: ["medecin"],
    });
    expect(duplicate.statusCode).toBe(409);
    const invalid = await call("POST", "/admin/users", await asAdmin(), { email: "x", roles: ["chef"] });
    expect(invalid.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(["body.email", "body.roles.0"]),
    );
    const admins = (await call("GET", "/admin/users", await asAdmin()))
      .json()
      .filter((u: { roles: string[] }) => u.roles.includes("admin"));
    expect(admins).toHaveLength(1);
    const lastAdmin = await call("PATCH", `/admin/users/${admins[0].id}`, await asAdmin(), {
      disabled: true,
    });
    expect(lastAdmin.statusCode).toBe(409);
    expect(
      (await call("PATCH", `/admin/users/${crypto.randomUUID()}`, await asAdmin(), { unlock: true }))
        .statusCode,
    ).toBe(404);
  });

  it("sends security headers, honours the CORS allow-list, limits bodies, hides stack traces", async () => {
    const response = await app.inject({ url: "/healthz", headers: { origin: "https://codage.chu.example" } });
    expect(response.headers).toMatchObject({
      "x-content-type-options": "nosniff",
      "x-frame-options": "SAMEORIGIN",
      "strict-transport-security": expect.stringMatching(/max-age=/),
      "content-security-policy": expect.stringContaining("default-src 'none'"),
      "access-control-allow-origin": "https://codage.chu.example",
    });
    const foreign = await app.inject({ url: "/healthz", headers: { origin: "https://evil.example" } });
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await app.inject({
      method: "OPTIONS",
      url: "/auth/token",
      headers: { origin: "https://codage.chu.example", "access-control-request-method": "POST" },
    });
    expect(preflight.statusCode).toBe(204);

    const tooLarge = await form({ grant_type: "password", username: "x", password: "y".repeat(5000) });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const malformed = await app.inject({
      method: "POST",
      url: "/auth/refresh",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it("documents the bearer requirement and permission of every protected operation", async () => {
    const spec = (await app.inject("/docs/json")).json();
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(spec.paths["/admin/users"].get.security).toEqual([{ bearer: [] }]);
    expect(spec.paths["/admin/users"].get["x-permission"]).toBe("users:manage");
    expect(spec.paths["/auth/token"].post.security).toBeUndefined();
  });
});

describe("rate limits on /auth routes", () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await openTestRuntime([], { CCAM_AUTH_RATE_LIMIT: "3" });
  });
  afterAll(async () => {
    await runtime?.close();
  });

  // A random client address per run: Redis counters outlive the test (CI runs the suite twice in a minute).
  const exhaust = async (app: FastifyInstance) => {
    const remoteAddress = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    const attempt = () =>
      app.inject({
        method: "POST",
        url: "/auth/token",
        remoteAddress,
        payload: { grant_type: "password", username: "a@b.fr", password: "wrong" },
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).statusCode);
    const limited = await attempt();
    return { statuses, limited, remoteAddress };
  };

  it("answers 429 problem+json past CCAM_AUTH_RATE_LIMIT per minute (in memory)", async () => {
    const app = await buildApp(runtime, { logger: false });
    try {
      const { statuses, limited } = await exhaust(app);
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect(limited.statusCode).toBe(429);
      expect(limited.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(limited.headers["retry-after"]).toMatch(/^\d+$/);
      expect(limited.json().title).toBe("Trop de requêtes");
      // Other routes are not limited by it.
      expect((await app.inject("/healthz")).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("keeps the counters in Redis when REDIS_URL is set, shared by every instance", async () => {
    const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const config = { ...runtime.config, redisUrl };
    const first = await buildApp({ ...runtime, config }, { logger: false });
    const second = await buildApp({ ...runtime, config }, { logger: false });
    const redis = new Redis(redisUrl);
    try {
      const { statuses, remoteAddress } = await exhaust(first);
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Per deployment schema: two deployments sharing one Redis keep their own counters.
      const keys = await redis.keys(`ccam:${config.databaseSchema ?? "public"}:rate-limit:*${remoteAddress}`);
      expect(keys.length).toBeGreaterThan(0);
      // The second instance sees the same counter.
      const elsewhere = await second.inject({
        method: "POST",
        url: "/auth/token",
        remoteAddress,
        payload: { grant_type: "password", username: "a@b.fr", password: "wrong" },
      });
      expect(elsewhere.statusCode).toBe(429);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
      await first.close();
      await second.close();
    }
  });
});
