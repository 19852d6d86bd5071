import cors from "@fastify/cors";
import formbody from "@fastify/formbody";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest, FastifySchema } from "fastify";
import { Redis } from "ioredis";
import type { Config } from "../config.js";
import { HttpProblem } from "../problem.js";
import { type Access, AUTHENTICATED, allows, isPublicRoute } from "./permissions.js";
import type { AuthUser, IdentityService } from "./service.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** What the route needs (see identity/permissions.ts); a route without it is refused to everyone. */
    permission?: Access;
  }
  interface FastifyInstance {
    /** Every route with its declared access, in registration order (the route × role test walks it). */
    routeAccess: RouteAccess[];
  }
  interface FastifyRequest {
    /** The caller, set on every non-public route before its handler runs. */
    user?: AuthUser;
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  /** `"public"` for PUBLIC_ROUTES; undefined when the route declares nothing (refused to everyone). */
  access: Access | "public" | undefined;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * Authentication and authorisation of every route, in one hook: public routes pass; any other needs a valid
 * access token, a declared permission, and a role granting it.
 */
export function registerAuth(app: FastifyInstance, identity: IdentityService): void {
  app.decorateRequest("user", undefined);
  const catalogue: RouteAccess[] = [];
  app.decorate("routeAccess", catalogue);
  app.addHook("onRoute", (route) => {
    const isPublic = isPublicRoute(route.url);
    for (const method of [route.method].flat()) {
      catalogue.push({ method, url: route.url, access: isPublic ? "public" : route.config?.permission });
    }
    if (!isPublic && route.schema) {
      // Documents the bearer requirement and the permission in the OpenAPI operation.
      const permission = route.config?.permission;
      const documented: FastifySchema & Record<string, unknown> = {
        ...route.schema,
        security: [{ bearer: [] }],
        "x-permission": permission === undefined ? "none declared: refused" : [permission].flat().join(" | "),
      };
      route.schema = documented;
    }
  });
  app.addHook("onRequest", async (request, reply) => {
    const url = request.routeOptions.url;
    // No route matched: the not-found handler answers, there is nothing to protect.
    if (url === undefined || isPublicRoute(url)) return;
    const token = BEARER.exec(request.headers.authorization ?? "")?.[1];
    if (!token) {
      reply.header("www-authenticate", 'Bearer realm="ccam-ai"');
      throw new HttpProblem(
        401,
        "Authentification requise",
        "Send Authorization: Bearer <token> (POST /auth/token).",
      );
    }
    request.user = await identity.authenticate(token).catch((error: unknown) => {
      reply.header("www-authenticate", 'Bearer realm="ccam-ai", error="invalid_token"');
      throw error;
    });
    const access = request.routeOptions.config.permission;
    if (access === undefined) {
      throw new HttpProblem(403, "Accès refusé", "This route declares no permission: refused to everyone.");
    }
    if (request.user.pending && access !== AUTHENTICATED) {
      throw new HttpProblem(
        403,
        request.user.pending === "password_change"
          ? "Changement de mot de passe requis"
          : "Inscription MFA requise",
        request.user.pending === "password_change"
          ? "Replace the one-time password first (POST /auth/password)."
          : "Your role requires a second factor: POST /auth/mfa/enroll, then /auth/mfa/verify, then /auth/refresh.",
      );
    }
    if (!allows(request.user.roles, access)) {
      throw new HttpProblem(403, "Accès refusé", `Requires ${[access].flat().join(" or ")}.`);
    }
  });
}

/**
 * Security headers, CORS allow-list, the OAuth2 form body, and the rate-limit store (routes opt in with
 * `config: { rateLimit }`): in memory, or in Redis when REDIS_URL is set so every instance shares the counters.
 */
export async function registerHardening(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(helmet, {
    // Swagger UI at /docs sets its own policy (staticCSP); the API answers JSON only.
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: false,
    maxAge: 600,
  });
  await app.register(formbody);
  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
    // Without a listener ioredis prints "Unhandled error event" on every reconnection attempt. Reported once
    // per outage; meanwhile the limiter skips (skipOnError) and /readyz says the cache is degraded.
    let down = false;
    redis.on("error", (error: Error) => {
      if (!down) app.log.warn({ err: error.message }, "rate-limit store (Redis) unreachable: limits skipped");
      down = true;
    });
    redis.on("ready", () => {
      if (down) app.log.info("rate-limit store (Redis) reachable again");
      down = false;
    });
    app.addHook("onClose", async () => {
      await redis?.quit();
    });
  }
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: `ccam:${config.databaseSchema ?? "public"}:rate-limit:` } : {}),
    // A Redis outage must not lock everyone out: the account lockout still bounds password guessing.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(429, "Trop de requêtes", `Retry in ${Math.ceil(context.ttl / 1000)} s.`),
  });
}

/** The caller of a route that declares a permission (the hook guarantees it; its absence is a wiring bug). */
export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new Error(`${request.routeOptions.url} reached without an authenticated user`);
  return request.user;
}
