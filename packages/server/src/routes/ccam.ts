import {
  ActCodeSchema,
  ActSearchHitSchema,
  ReferentialDiffSchema,
  ValidationInputSchema,
  ValidationResultSchema,
  VersionIdSchema,
} from "@ccam/ccam";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { HttpProblem, ProblemSchema } from "../problem.js";
import type { ReferentialService } from "../services/referential-service.js";
import { ActDetailSchema, VersionListSchema } from "./ccam-schemas.js";

const VersionQuery = z.object({ version: VersionIdSchema.optional() });

const problems = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  422: ProblemSchema,
  503: ProblemSchema,
};
const config = { permission: "referential:read" as const };

/** The nomenclature, read-only: versions, diff, search and act detail; and the rule engine. */
export const ccamRoutes: FastifyPluginAsyncZod<{ referentials: ReferentialService }> = async (
  app,
  { referentials },
) => {
  app.get(
    "/ccam/versions",
    {
      config,
      schema: {
        tags: ["ccam"],
        summary: "Imported CCAM versions, oldest first",
        response: { 200: VersionListSchema },
      },
    },
    async () => referentials.versions.map((r) => r.version).reverse(),
  );

  app.get(
    "/ccam/versions/:from/diff/:to",
    {
      config,
      schema: {
        tags: ["ccam"],
        summary: "Acts added, removed and changed (field by field) between two versions",
        params: z.object({ from: VersionIdSchema, to: VersionIdSchema }),
        response: { 200: ReferentialDiffSchema, ...problems },
      },
    },
    async (request) => referentials.diff(request.params.from, request.params.to),
  );

  app.get(
    "/ccam/acts",
    {
      config,
      schema: {
        tags: ["ccam"],
        summary: "Search acts by code, code prefix or words of the label",
        querystring: VersionQuery.extend({
          q: z.string().trim().min(1).max(200),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: z.object({ version: z.string(), hits: z.array(ActSearchHitSchema) }), ...problems },
      },
    },
    async (request) => {
      const referential = referentials.resolve(request.query.version);
      const hits = referentials.searchIndex(referential).search(request.query.q, request.query.limit);
      return { version: referential.version.version, hits };
    },
  );

  app.get(
    "/ccam/acts/:code",
    {
      config,
      schema: {
        tags: ["ccam"],
        summary: "One act: lines with tariffs, modifiers, notes, complementary acts and chapter path",
        params: z.object({
          code: z
            .string()
            .transform((c) => c.toUpperCase())
            .pipe(ActCodeSchema),
        }),
        querystring: VersionQuery,
        response: { 200: ActDetailSchema, ...problems },
      },
    },
    async (request) => {
      const referential = referentials.resolve(request.query.version);
      const act = referential.act(request.params.code);
      if (!act) {
        throw new HttpProblem(
          404,
          "Acte inconnu",
          `${request.params.code} does not exist in CCAM ${referential.version.version}.`,
        );
      }
      return {
        ...act,
        version: referential.version.version,
        chapterPath: referential.chapterTrail(act.chapter),
        modifierDetails: act.modifiers.map((code) => ({
          code,
          label: referential.modifiers.get(code)?.label ?? null,
        })),
        complementaryActs: act.complementary.map((code) => ({
          code,
          label: referential.act(code)?.label ?? null,
        })),
      };
    },
  );

  app.post(
    "/ccam/validate",
    {
      config: { permission: "rules:validate" as const },
      schema: {
        tags: ["ccam"],
        summary: "Check the lines of one session against the CCAM rules and price them",
        description:
          "Pure rule engine (packages/ccam rules): code existence and dates, activity/phase, modifiers, " +
          "complementary acts, note exclusions, sex/age, AP/RC, association (article I-11). The version is " +
          "`version` or the one in force at `date`. Rules and sources: docs/rules.md.",
        body: ValidationInputSchema,
        response: { 200: ValidationResultSchema, ...problems },
      },
    },
    async (request) => referentials.validate(request.body),
  );
};
