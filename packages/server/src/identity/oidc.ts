import type * as OpenId from "openid-client";
import type { OidcConfig } from "../config.js";
import { HttpProblem } from "../problem.js";
import { ROLES, type Role } from "./permissions.js";
import type { IdentityService, TokenResponse } from "./service.js";

/** Lifetime of a login attempt (state, nonce and PKCE verifier, kept in a signed cookie). */
export const OIDC_LOGIN_TTL_SECONDS = 600;

/**
 * The string values at a dot path of the claims; arrays are walked at any level, so
 * `SubjectRefPro.exercices.codeProfession` collects every profession code of a Pro Santé Connect user.
 */
export function claimValues(value: unknown, path: readonly string[]): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => claimValues(item, path));
  const [head, ...rest] = path;
  if (head === undefined)
    return typeof value === "string" || typeof value === "number" ? [String(value)] : [];
  if (value === null || typeof value !== "object") return [];
  return claimValues((value as Record<string, unknown>)[head], rest);
}

/** Roles granted by the claim values through CCAM_OIDC_ROLE_MAP; unknown values grant nothing. */
export function mapRoles(values: readonly string[], map: OidcConfig["roleMap"]): Role[] {
  const granted = new Set(values.flatMap((value) => map[value] ?? []));
  return ROLES.filter((role) => granted.has(role));
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** openid-client, loaded by the first login: a site without OIDC never holds it in memory. */
const openId = (): Promise<typeof OpenId> => import("openid-client");

/**
 * OpenID Connect sign-in (authorisation code + PKCE S256, state and nonce) with any compliant provider, Pro
 * Santé Connect included. The provider's metadata is discovered once, on first use.
 */
export class OidcLogin {
  private configuration: Promise<OpenId.Configuration> | undefined;

  constructor(
    private readonly settings: OidcConfig,
    private readonly identity: IdentityService,
  ) {}

  private discover(): Promise<OpenId.Configuration> {
    const issuer = new URL(this.settings.issuer);
    // Plain HTTP only to a provider on this machine (tests, a local IdP); anything else must be HTTPS.
    const insecure = issuer.protocol === "http:" && LOOPBACK.has(issuer.hostname);
    const secret = this.settings.clientSecret;
    this.configuration ??= openId()
      .then((client) =>
        client.discovery(
          issuer,
          this.settings.clientId,
          undefined,
          secret ? client.ClientSecretBasic(secret) : client.None(),
          insecure ? { execute: [client.allowInsecureRequests] } : undefined,
        ),
      )
      .catch((error: unknown) => {
        this.configuration = undefined; // retry on the next login
        throw new HttpProblem(502, "Fournisseur d'identité injoignable", String(error));
      });
    return this.configuration;
  }

  /** Where to send the browser, and the signed login attempt to keep in a cookie until the callback. */
  async start(): Promise<{ location: string; attempt: string }> {
    const configuration = await this.discover();
    const client = await openId();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const location = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    const attempt = await this.identity.tokens.sign(
      "oidc",
      state,
      { verifier, nonce },
      OIDC_LOGIN_TTL_SECONDS,
    );
    return { location: location.href, attempt };
  }

  /** Exchanges the code of the callback (its query string) for the user's claims, then opens our session. */
  async finish(query: string, attempt: string | undefined): Promise<TokenResponse> {
    const pending = attempt
      ? await this.identity.tokens.verify("oidc", attempt).catch(() => undefined)
      : undefined;
    if (!pending || typeof pending.verifier !== "string" || typeof pending.nonce !== "string") {
      throw new HttpProblem(400, "Tentative de connexion inconnue", "Start again from GET /auth/oidc/login.");
    }
    const configuration = await this.discover();
    const client = await openId();
    const currentUrl = new URL(this.settings.redirectUri);
    currentUrl.search = query;
    const tokens = await client
      .authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.sub,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      })
      .catch((error: unknown) => {
        throw new HttpProblem(401, "Connexion refusée par le fournisseur", describe(error));
      });
    const idToken = tokens.claims();
    if (!idToken) throw new HttpProblem(401, "Connexion refusée par le fournisseur", "No ID token.");
    const path = this.settings.roleClaim.split(".");
    let claims: Record<string, unknown> = idToken;
    if (claimValues(claims, path).length === 0 || typeof claims.email !== "string") {
      // Providers often put profile and professional claims only in userinfo (Pro Santé Connect does).
      const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
      claims = { ...userinfo, ...idToken };
    }
    const roles = mapRoles(claimValues(claims, path), this.settings.roleMap);
    if (roles.length === 0) {
      throw new HttpProblem(
        403,
        "Aucun rôle attribué",
        `No value of the claim ${this.settings.roleClaim} maps to a role (CCAM_OIDC_ROLE_MAP).`,
      );
    }
    const email =
      typeof claims.email === "string" && claims.email_verified !== false ? claims.email : undefined;
    return this.identity.externalSignIn(`${idToken.iss}|${idToken.sub}`, email, roles);
  }
}

/** openid-client's message and its cause ("invalid response encountered: unexpected \"state\"…"). */
function describe(error: unknown): string {
  const { message, cause } = error as Error;
  return cause instanceof Error ? `${message}: ${cause.message}` : message;
}
