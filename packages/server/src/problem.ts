import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";

/** RFC 9457 problem details; `errors` lists each invalid field. */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** An error a service throws to answer with a given status; anything else is a 500 with no detail. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: Problem["errors"],
    /** Extension members (RFC 9457 §3.2), e.g. the rule engine's findings. */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail ?? title);
    this.name = "HttpProblem";
  }
}

export function sendProblem(
  reply: FastifyReply,
  problem: {
    status: number;
    title: string;
    type?: string;
    detail?: string;
    instance?: string;
    errors?: Problem["errors"];
    /** RFC 9457 extension members. */
    [extension: string]: unknown;
  },
): FastifyReply {
  return reply
    .code(problem.status)
    .type("application/problem+json")
    .send({
      type: problem.type ?? "about:blank",
      ...problem,
      instance: problem.instance ?? reply.request.url,
    });
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any hook (a malformed URL, a path parameter over
 * `maxParamLength`) leaves as problem+json too.
 */
export function frameworkErrorHandler(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  sendProblem(reply, {
    status: error.statusCode ?? 400,
    title: error.statusCode === 414 ? "URI Too Long" : "Bad Request",
    detail: error.message,
  });
}

/** Every error leaves as problem+json; validation errors name the field; stack traces never leave the server. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return sendProblem(reply, {
        status: 400,
        title: "Requête invalide",
        detail: `The ${error.validationContext ?? "request"} does not match the schema.`,
        errors: error.validation.map((issue) => ({
          field: [
            error.validationContext,
            ...(issue.instancePath ? issue.instancePath.split("/").filter(Boolean) : []),
          ]
            .filter(Boolean)
            .join("."),
          message: issue.message ?? "invalid",
        })),
      });
    }
    if (error instanceof HttpProblem) {
      return sendProblem(reply, {
        status: error.status,
        title: error.title,
        ...(error.detail ? { detail: error.detail } : {}),
        ...(error.errors ? { errors: error.errors } : {}),
        ...error.extensions,
      });
    }
    if (isDatabaseUnavailable(error)) {
      // A lost or refused database connection: a clear, retryable answer (the pool reconnects by itself).
      request.log.warn({ err: error }, "database unavailable");
      reply.header("retry-after", "5");
      return sendProblem(reply, {
        status: 503,
        title: "Service indisponible",
        detail: "The database is unreachable; nothing was recorded. Retry shortly.",
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (malformed JSON, body too large, unsupported media type).
      return sendProblem(reply, { status, title: error.code ?? "Bad Request", detail: error.message });
    }
    request.log.error({ err: error }, "unhandled error");
    return sendProblem(reply, { status: 500, title: "Internal Server Error" });
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      status: 404,
      title: "Not Found",
      detail: `No route ${request.method} ${request.url}`,
    }),
  );
}

/**
 * SQLSTATE classes 08 (connection exception), 57P0x (server shutting down / backend terminated), 53300 (too many
 * connections), 55P03 (lock wait past `lock_timeout`), 57014 (statement past `statement_timeout`).
 */
const UNAVAILABLE_SQLSTATE = /^(08\d{3}|57P0[1-3]|53300|55P03|57014)$/;
const UNAVAILABLE_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|Client was closed/i;

/** Whether an error (or one it wraps, e.g. Drizzle's DrizzleQueryError) says the database cannot be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)))
      return true;
    if (UNAVAILABLE_MESSAGE.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
