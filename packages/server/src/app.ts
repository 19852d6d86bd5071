import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { pino } from "pino";
import type { Runtime } from "./bootstrap.js";
import { registerAuth, registerHardening } from "./identity/http.js";
import { OidcLogin } from "./identity/oidc.js";
import { type Metrics, registerObservability } from "./observability/index.js";
import { frameworkErrorHandler, registerProblemHandlers } from "./problem.js";
import { actRoutes } from "./routes/acts.js";
import { adminUserRoutes } from "./routes/admin-users.js";
import { authRoutes } from "./routes/auth.js";
import { ccamRoutes } from "./routes/ccam.js";
import { ccamImportRoutes } from "./routes/ccam-import.js";
import { healthRoutes } from "./routes/health.js";
import { webRoutes } from "./routes/web.js";

export interface AppOptions {
  /** pino logger options, or false to disable logging (tests). */
  logger?: boolean | { level: string };
  /** The process's metrics (default: the runtime's, fed by the workflow); a fresh registry without one. */
  metrics?: Metrics;
}

/** Builds the HTTP application over an opened runtime. Routes are thin: they call services. */
export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? {
      level: runtime.config.logLevel,
      // Asynchronous: the lines logged while a write is in flight go out together, one write under load instead
      // of one per request; what is left is flushed when the process exits.
      stream: pino.destination({ dest: 1, sync: false }),
    },
    bodyLimit: runtime.config.bodyLimit,
    // Correlates log lines of one request; honours an upstream proxy's id.
    requestIdHeader: "x-request-id",
    genReqId: () => crypto.randomUUID(),
    // One line per request (below) instead of Fastify's two: logging was a tenth of the CPU under load.
    logController: new LogController({ disableRequestLogging: true }),
    // A malformed URL or an over-long path parameter is refused before any hook: problem+json too.
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
  });
  await registerHardening(app, runtime.config);
  registerAuth(app, runtime.identity);
  const { cache } = await registerObservability(app, runtime, options.metrics ?? runtime.metrics);

  await app.register(swagger, {
    openapi: {
      info: {
        title: "CCAM AI API",
        description: "Codage CCAM assisté, règles de facturation et piste d'audit vérifiable.",
        version: "0.1.0",
      },
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true });

  await app.register(healthRoutes, {
    db: runtime.database.db,
    referentials: runtime.referentials,
    ledger: runtime.ledger,
    cache,
    llm: runtime.suggester?.llmStatus.bind(runtime.suggester),
  });
  await app.register(ccamRoutes, { referentials: runtime.referentials });
  await app.register(ccamImportRoutes, { runtime });
  const { identity } = runtime;
  const settings = runtime.config.identity;
  const oidc = settings.oidc && new OidcLogin(settings.oidc, identity);
  await app.register(authRoutes, { identity, settings, oidc });
  await app.register(adminUserRoutes, { identity });
  await app.register(webRoutes, { oidc: Boolean(oidc) });
  if (runtime.workflow) {
    await app.register(actRoutes, { acts: runtime.workflow.acts, metrics: runtime.workflow.metrics });
  }
  return app;
}
