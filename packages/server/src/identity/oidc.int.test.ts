import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { openTestRuntime } from "../test-support/runtime.js";

const REDIRECT_URI = "http://127.0.0.1:8080/auth/oidc/callback";
const CLIENT = { client_id: "ccam-ai", client_secret: "a client secret for the loopback provider" };

/** What the provider's users claim; the test picks who signs in. */
const accounts: Record<string, Record<string, unknown>> = {
  "dr-martin": { email: "martin@chu.example", email_verified: true, roles: ["10"] },
  "dim-durand": { email: "durand@chu.example", email_verified: true, roles: ["DIM", "unmapped"] },
  stranger: { email: "stranger@elsewhere.example", email_verified: true, roles: ["99"] },
};

/**
 * A real OpenID Connect provider (oidc-provider) on loopback. Its login step is answered by the test in place
 * of a person: the interaction is finished for the chosen account; consent is implied for our client.
 */
async function startProvider(signInAs: () => string): Promise<{ server: Server; issuer: string }> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        ...CLIENT,
        redirect_uris: [REDIRECT_URI],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: "RS256", use: "sig", kid: "test" }] },
    cookies: { keys: ["a cookie signing key for the loopback provider"] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], roles: ["roles"] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, ...accounts[id] }) }),
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (!accountId || !clientId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope("openid email roles");
      await grant.save();
      return grant;
    },
  });
  const handle = provider.callback();
  server.on("request", (req, res) => {
    if (req.url?.startsWith("/interaction/")) {
      provider
        .interactionFinished(
          req,
          res,
          { login: { accountId: signInAs() } },
          { mergeWithLastSubmission: false },
        )
        .catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    handle(req, res);
  });
  return { server, issuer };
}

/** A browser at the provider: follows redirects with its cookies until sent back to our redirect URI. */
async function browseProvider(start: string): Promise<URL> {
  const jar = new Map<string, string>();
  let next = start;
  for (let hop = 0; hop < 10; hop++) {
    if (next.startsWith(REDIRECT_URI)) return new URL(next);
    const response = await fetch(next, {
      redirect: "manual",
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const [name = "", ...value] = pair.split("=");
      jar.set(name, value.join("="));
    }
    const location = response.headers.get("location");
    if (!location) throw new Error(`provider stopped at ${response.status}: ${await response.text()}`);
    next = new URL(location, next).href;
  }
  throw new Error("too many redirects");
}

describe("OpenID Connect sign-in (authorisation code + PKCE) against a real provider on loopback", () => {
  let provider: { server: Server; issuer: string };
  let runtime: Runtime;
  let app: FastifyInstance;
  let account = "dr-martin";

  beforeAll(async () => {
    provider = await startProvider(() => account);
    runtime = await openTestRuntime([], {
      CCAM_OIDC_ISSUER: provider.issuer,
      CCAM_OIDC_CLIENT_ID: CLIENT.client_id,
      CCAM_OIDC_CLIENT_SECRET: CLIENT.client_secret,
      CCAM_OIDC_REDIRECT_URI: REDIRECT_URI,
      CCAM_OIDC_SCOPES: "openid email roles",
      CCAM_OIDC_ROLE_CLAIM: "roles",
      CCAM_OIDC_ROLE_MAP: JSON.stringify({ "10": "medecin", DIM: ["superviseur_dim", "codeur"] }),
      CCAM_AUTH_RATE_LIMIT: "1000",
    });
    app = await buildApp(runtime, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    provider?.server.closeAllConnections();
    await new Promise((resolve) => provider?.server.close(resolve));
  });

  /** GET /auth/oidc/login, the provider, then our callback: what the browser would do. */
  const signInThroughProvider = async () => {
    const login = await app.inject("/auth/oidc/login");
    expect(login.statusCode).toBe(302);
    const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
    const callback = await browseProvider(String(login.headers.location));
    const answer = await app.inject({ url: `${callback.pathname}${callback.search}`, headers: { cookie } });
    return { login, cookie, callback, answer };
  };
  const me = (accessToken: string) =>
    app.inject({ url: "/auth/me", headers: { authorization: `Bearer ${accessToken}` } });

  it("redirects to the provider with PKCE S256, state and nonce, kept in an HttpOnly cookie", async () => {
    const login = await app.inject("/auth/oidc/login");
    const location = new URL(String(login.headers.location));
    expect(location.origin).toBe(provider.issuer);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: CLIENT.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "openid email roles",
      code_challenge_method: "S256",
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.any(String),
      nonce: expect.any(String),
    });
    expect(String(login.headers["set-cookie"])).toMatch(
      /^ccam_oidc=.+; Path=\/auth\/oidc; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );
  });

  it("signs in, maps the provider's claims to roles, and updates them at each sign-in", async () => {
    account = "dr-martin";
    const first = await signInThroughProvider();
    expect(first.answer.statusCode, first.answer.body).toBe(200);
    const tokens = first.answer.json();
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    const user = (await me(tokens.access_token)).json();
    expect(user).toMatchObject({ email: "martin@chu.example", roles: ["medecin"] });
    // Our own session: the refresh token rotates like any other.
    const refreshed = await app.inject({
      method: "POST",
      url: "/auth/refresh",
      payload: { refresh_token: tokens.refresh_token },
    });
    expect(refreshed.statusCode).toBe(200);

    accounts["dr-martin"] = { ...accounts["dr-martin"], roles: ["10", "DIM"] };
    const again = await signInThroughProvider();
    const updated = (await me(again.answer.json().access_token)).json();
    expect(updated).toMatchObject({ id: user.id, roles: ["medecin", "codeur", "superviseur_dim"] });
  });

  it("refuses a replayed code, a callback without our cookie, and one from another attempt", async () => {
    account = "dim-durand";
    const { answer, callback, cookie } = await signInThroughProvider();
    expect(answer.statusCode).toBe(200);
    expect((await me(answer.json().access_token)).json().roles).toEqual(["codeur", "superviseur_dim"]);
    const url = `${callback.pathname}${callback.search}`;
    const replay = await app.inject({ url, headers: { cookie } });
    expect(replay.statusCode).toBe(401);
    expect((await app.inject({ url })).statusCode).toBe(400);
    const other = await app.inject("/auth/oidc/login");
    const otherCookie = String(other.headers["set-cookie"]).split(";")[0] ?? "";
    const mismatch = await app.inject({ url, headers: { cookie: otherCookie } });
    expect(mismatch.statusCode).toBe(401);
    expect(mismatch.json().detail).toMatch(/state/);
  });

  it("refuses a user none of whose claim values maps to a role", async () => {
    account = "stranger";
    const { answer } = await signInThroughProvider();
    expect(answer.statusCode).toBe(403);
    expect(answer.json().title).toBe("Aucun rôle attribué");
  });
});
