import { ProofBundleSchema } from "@ccam/ledger";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { type WorkflowMetrics, WorkflowMetricsSchema } from "../acts/metrics.js";
import { SuggestionResultSchema } from "../acts/ports.js";
import {
  ActCreatedSchema,
  ActCreateSchema,
  ActFilterSchema,
  ActViewSchema,
  AuditTrailSchema,
  DecisionSchema,
  OverrideBodySchema,
  SuggestionPreviewSchema,
  ValidationBodySchema,
  VerificationSchema,
} from "../acts/schemas.js";
import type { ActService } from "../acts/service.js";
import { ProblemSchema } from "../problem.js";
import { requestContext } from "./context.js";

const ActIdParams = z.object({ acteId: z.uuid() });
const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

const PseudonymParams = z.object({
  pseudonym: z.string().regex(/^[A-Za-z0-9_-]{1,16}\.[0-9a-f]{64}$/, "not a pseudonym"),
});

/** The act workflow: thin handlers over ActService; each route declares the permission it needs. */
export const actRoutes: FastifyPluginAsyncZod<{
  acts: ActService;
  metrics: () => Promise<WorkflowMetrics>;
}> = async (app, { acts, metrics }) => {
  app.post(
    "/actes",
    {
      config: { permission: "act:create" },
      schema: {
        tags: ["actes"],
        summary: "Enter an act; answers with the act (pending) and its first suggestions",
        body: ActCreateSchema,
        response: {
          201: ActCreatedSchema,
          ...problems,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => reply.code(201).send(await acts.create(request.body, requestContext(request))),
  );

  app.get(
    "/actes",
    {
      config: { permission: ["act:read:own", "act:read:site"] },
      schema: {
        tags: ["actes"],
        summary: "Worklist, newest first, paginated with an opaque cursor",
        querystring: ActFilterSchema,
        response: {
          200: z.object({ items: z.array(ActViewSchema), nextCursor: z.string().nullable() }),
          ...problems,
        },
      },
    },
    async (request) => acts.list(request.query, requestContext(request)),
  );

  app.get(
    "/actes/:acteId",
    {
      config: { permission: ["act:read:own", "act:read:site"] },
      schema: {
        tags: ["actes"],
        summary: "One act; the clinical text only for roles allowed to read it (the reading is audited)",
        params: ActIdParams,
        response: { 200: ActViewSchema, ...problems },
      },
    },
    async (request) => acts.get(request.params.acteId, requestContext(request)),
  );

  app.get(
    "/suggestions/:acteId",
    {
      config: { permission: "act:code" },
      schema: {
        tags: ["actes"],
        summary: "Ranked suggestions with confidence, evidence spans, tariff and rule findings",
        params: ActIdParams,
        response: { 200: SuggestionResultSchema, ...problems, 410: ProblemSchema },
      },
    },
    async (request) => acts.suggestions(request.params.acteId, requestContext(request)),
  );

  app.post(
    "/suggestions/preview",
    {
      config: { permission: "act:create" },
      schema: {
        tags: ["actes"],
        summary: "Suggestions for a text being typed (nothing stored): same answer as GET /suggestions/{id}",
        body: SuggestionPreviewSchema,
        response: { 200: SuggestionResultSchema, ...problems, 422: ProblemSchema },
      },
    },
    async (request) => acts.preview(request.body),
  );

  app.post(
    "/validation/:acteId",
    {
      config: { permission: "act:validate" },
      schema: {
        tags: ["actes"],
        summary: "Validate codes: blocking findings → 422; otherwise recorded and queued for anchoring",
        params: ActIdParams,
        body: ValidationBodySchema,
        response: {
          200: DecisionSchema,
          ...problems,
          409: ProblemSchema,
          410: ProblemSchema,
          422: ProblemSchema,
          // The act's trail kept moving under the decision (decision 0007), or the database is unreachable.
          503: ProblemSchema,
        },
      },
    },
    async (request) => acts.validate(request.params.acteId, request.body.codes, requestContext(request)),
  );

  app.post(
    "/validation/:acteId/override",
    {
      config: { permission: "act:override" },
      schema: {
        tags: ["actes"],
        summary:
          "Override the suggestion with other codes and a mandatory justification (signed, learned from)",
        params: ActIdParams,
        body: OverrideBodySchema,
        response: {
          200: DecisionSchema,
          ...problems,
          409: ProblemSchema,
          410: ProblemSchema,
          422: ProblemSchema,
          // The act's trail kept moving under the decision (decision 0007), or the database is unreachable.
          503: ProblemSchema,
        },
      },
    },
    async (request) =>
      acts.override(
        request.params.acteId,
        request.body.codes,
        request.body.justification,
        requestContext(request),
      ),
  );

  app.get(
    "/audit/:acteId",
    {
      config: { permission: "audit:read" },
      schema: {
        tags: ["audit"],
        summary: "The act's audit trail, with anchoring proofs",
        params: ActIdParams,
        response: { 200: AuditTrailSchema, ...problems },
      },
    },
    async (request) => acts.trail(request.params.acteId, requestContext(request)),
  );

  app.get(
    "/audit/:acteId/proofs",
    {
      config: { permission: "audit:verify" },
      schema: {
        tags: ["audit"],
        summary:
          "Export the act's anchored entries as self-contained proofs (ccam verify --proof FILE --rpc URL, no database)",
        params: ActIdParams,
        response: { 200: ProofBundleSchema, ...problems, 409: ProblemSchema },
      },
    },
    async (request) => acts.exportProofs(request.params.acteId, requestContext(request)),
  );

  app.get(
    "/audit/:acteId/verify",
    {
      config: { permission: "audit:verify" },
      schema: {
        tags: ["audit"],
        summary: "Recompute the hash chain and every proof against the chain; says exactly what differs",
        params: ActIdParams,
        response: { 200: VerificationSchema, ...problems },
      },
    },
    async (request) => acts.verify(request.params.acteId, requestContext(request)),
  );

  app.get(
    "/admin/metrics",
    {
      config: { permission: "metrics:read" },
      schema: {
        tags: ["admin"],
        summary: "Workflow metrics and alerts",
        response: { 200: WorkflowMetricsSchema, ...problems },
      },
    },
    async () => metrics(),
  );

  app.delete(
    "/patients/:pseudonym",
    {
      config: { permission: "patient:erase" },
      schema: {
        tags: ["patients"],
        summary:
          "Right to erasure: destroys the patient's data key (crypto-shredding); proofs stay verifiable",
        params: PseudonymParams,
        response: {
          200: z.object({ pseudonym: z.string(), acts: z.number().int(), erasedAt: z.string() }),
          ...problems,
          409: ProblemSchema,
        },
      },
    },
    async (request) => acts.erasePatient(request.params.pseudonym, requestContext(request)),
  );

  app.get(
    "/patients/:pseudonym/export",
    {
      config: { permission: "patient:export" },
      schema: {
        tags: ["patients"],
        summary: "Right of access: every act of the patient with its decisions",
        params: PseudonymParams,
        response: {
          200: z.object({
            pseudonym: z.string(),
            erased: z.boolean(),
            exportedAt: z.string(),
            acts: z.array(ActViewSchema),
          }),
          ...problems,
        },
      },
    },
    async (request) => acts.exportPatient(request.params.pseudonym, requestContext(request)),
  );
};
