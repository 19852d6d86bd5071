import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { IdentityConfig } from "../config.js";
import { currentUser } from "../identity/http.js";
import { OIDC_LOGIN_TTL_SECONDS, type OidcLogin } from "../identity/oidc.js";
import { PASSWORD_MAX_LENGTH } from "../identity/passwords.js";
import { AUTHENTICATED, permissionsOf } from "../identity/permissions.js";
import { MeSchema, TokenResponseSchema } from "../identity/schemas.js";
import type { IdentityService } from "../identity/service.js";
import { HttpProblem, ProblemSchema } from "../problem.js";

/** Grant type of the second step of a sign-in with a second factor (the answer to `mfa_required`). */
export const MFA_OTP_GRANT = "urn:ccam:params:oauth:grant-type:mfa-otp";

const RefreshToken = z.string().min(20).max(200);

const TokenRequestSchema = z.discriminatedUnion("grant_type", [
  z.object({
    grant_type: z.literal("password"),
    username: z.string().min(1).max(320),
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  }),
  z.object({ grant_type: z.literal("refresh_token"), refresh_token: RefreshToken }),
  z.object({
    grant_type: z.literal(MFA_OTP_GRANT),
    mfa_token: z.string().min(1).max(2000),
    /** A 6-digit TOTP code, or one of the recovery codes. */
    otp: z.string().min(1).max(32),
  }),
]);

/** 403 on /auth/token: a second factor is needed (`mfa_token`), or the account is disabled. */
const MfaRequiredSchema = ProblemSchema.extend({
  error: z.literal("mfa_required").optional(),
  mfa_token: z.string().optional(),
  expires_in: z.number().int().optional(),
});

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema };

const OIDC_COOKIE = "ccam_oidc";

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

export interface AuthRoutesOptions {
  identity: IdentityService;
  settings: IdentityConfig;
  oidc: OidcLogin | undefined;
}

/**
 * Sign-in (OAuth2 token endpoint: password, refresh_token and MFA grants, urlencoded or JSON), session, password,
 * TOTP enrolment and OpenID Connect. Every route is rate limited per client address.
 */
export const authRoutes: FastifyPluginAsyncZod<AuthRoutesOptions> = async (
  app,
  { identity, settings, oidc },
) => {
  const rateLimit = { max: settings.authRateLimit, timeWindow: "1 minute" };

  app.post(
    "/auth/token",
    {
      config: { rateLimit },
      schema: {
        tags: ["auth"],
        summary: "Sign in (OAuth2 password grant), refresh, or answer the second-factor challenge",
        description:
          "application/x-www-form-urlencoded (or JSON). With TOTP enrolled, the password grant answers 403 " +
          `{error: "mfa_required", mfa_token}; send grant_type=${MFA_OTP_GRANT}&mfa_token=…&otp=<code or recovery code>.`,
        body: TokenRequestSchema,
        response: { 200: TokenResponseSchema, ...problems, 403: MfaRequiredSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.grant_type === "refresh_token") return identity.refresh(body.refresh_token);
      if (body.grant_type === MFA_OTP_GRANT) return identity.mfaGrant(body.mfa_token, body.otp);
      const result = await identity.passwordGrant(body.username, body.password);
      if (result.kind === "tokens") return result.tokens;
      return reply
        .code(403)
        .type("application/problem+json")
        .send({
          type: "urn:ccam:problem:mfa-required",
          title: "Second facteur requis",
          status: 403,
          detail: `Send grant_type=${MFA_OTP_GRANT} with this mfa_token and a TOTP or recovery code.`,
          instance: request.url,
          error: "mfa_required",
          mfa_token: result.mfaToken,
          expires_in: result.expiresIn,
        });
    },
  );

  app.post(
    "/auth/refresh",
    {
      config: { rateLimit },
      schema: {
        tags: ["auth"],
        summary: "New access token; the refresh token is rotated (a reused one revokes its whole family)",
        body: z.object({ refresh_token: RefreshToken }),
        response: { 200: TokenResponseSchema, ...problems },
      },
    },
    async (request) => identity.refresh(request.body.refresh_token),
  );

  app.post(
    "/auth/logout",
    {
      config: { permission: AUTHENTICATED, rateLimit },
      schema: {
        tags: ["auth"],
        summary:
          "Revoke this session's refresh tokens, or all of the user's sessions without a refresh_token",
        body: z.object({ refresh_token: RefreshToken.optional() }).optional(),
        response: { 204: z.null(), ...problems },
      },
    },
    async (request, reply) => {
      await identity.logout(currentUser(request).id, request.body?.refresh_token);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/auth/me",
    {
      config: { permission: AUTHENTICATED },
      schema: {
        tags: ["auth"],
        summary: "The signed-in user, roles and effective permissions",
        response: {
          200: MeSchema,
          ...problems,
        },
      },
    },
    async (request) => {
      const user = currentUser(request);
      return { ...user, permissions: [...permissionsOf(user.roles)] };
    },
  );

  app.post(
    "/auth/password",
    {
      config: { permission: AUTHENTICATED, rateLimit },
      schema: {
        tags: ["auth"],
        summary: "Change one's password (required after a one-time password); signs out every session",
        body: z.object({
          current_password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
          new_password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
        }),
        response: { 204: z.null(), ...problems },
      },
    },
    async (request, reply) => {
      const { current_password, new_password } = request.body;
      await identity.changePassword(currentUser(request).id, current_password, new_password);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auth/mfa/enroll",
    {
      config: { permission: AUTHENTICATED, rateLimit },
      schema: {
        tags: ["auth"],
        summary: "Start TOTP enrolment: secret, otpauth URI and its QR code (PNG data URL)",
        response: {
          200: z.object({ secret: z.string(), otpauth_uri: z.string(), qr_code: z.string() }),
          409: ProblemSchema,
          ...problems,
        },
      },
    },
    async (request) => {
      const enrolment = await identity.enrollTotp(currentUser(request).id);
      return { secret: enrolment.secret, otpauth_uri: enrolment.otpauthUri, qr_code: enrolment.qrCode };
    },
  );

  app.post(
    "/auth/mfa/verify",
    {
      config: { permission: AUTHENTICATED, rateLimit },
      schema: {
        tags: ["auth"],
        summary: "Confirm enrolment with a first code; answers the recovery codes, shown only this once",
        description: "A session restricted to MFA enrolment then calls POST /auth/refresh for a full token.",
        body: z.object({ code: z.string().regex(/^\d{6}$/) }),
        response: { 200: z.object({ recovery_codes: z.array(z.string()) }), 409: ProblemSchema, ...problems },
      },
    },
    async (request) => {
      const { recoveryCodes } = await identity.confirmTotp(currentUser(request).id, request.body.code);
      return { recovery_codes: recoveryCodes };
    },
  );

  app.get(
    "/auth/oidc/login",
    {
      config: { rateLimit },
      schema: {
        tags: ["auth"],
        summary: "Start an OpenID Connect sign-in (e.g. Pro Santé Connect): redirect to the provider",
        response: { 302: z.null(), 404: ProblemSchema, 429: ProblemSchema, 502: ProblemSchema },
      },
    },
    async (_request, reply) => {
      const { location, attempt } = await requireOidc(oidc).start();
      const secure = new URL(settings.oidc?.redirectUri ?? "http://localhost").protocol === "https:";
      return reply
        .header(
          "set-cookie",
          `${OIDC_COOKIE}=${attempt}; Path=/auth/oidc; Max-Age=${OIDC_LOGIN_TTL_SECONDS}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`,
        )
        .redirect(location, 302);
    },
  );

  app.get(
    "/auth/oidc/callback",
    {
      config: { rateLimit },
      schema: {
        tags: ["auth"],
        summary:
          "The provider's redirect: checks state, nonce and PKCE, maps claims to roles, answers our tokens",
        querystring: z.object({ code: z.string().optional(), state: z.string().optional() }).loose(),
        response: { 200: TokenResponseSchema, ...problems, 404: ProblemSchema, 502: ProblemSchema },
      },
    },
    async (request, reply) => {
      const query = request.url.slice(request.url.indexOf("?") + 1);
      const tokens = await requireOidc(oidc).finish(
        request.url.includes("?") ? query : "",
        readCookie(request.headers.cookie, OIDC_COOKIE),
      );
      return reply
        .header("set-cookie", `${OIDC_COOKIE}=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax`)
        .send(tokens);
    },
  );
};

function requireOidc(oidc: OidcLogin | undefined): OidcLogin {
  if (!oidc)
    throw new HttpProblem(404, "OIDC non configuré", "Set CCAM_OIDC_ISSUER, CLIENT_ID and REDIRECT_URI.");
  return oidc;
}
