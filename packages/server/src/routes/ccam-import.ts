import { existsSync } from "node:fs";
import { join } from "node:path";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Runtime } from "../bootstrap.js";
import { HttpProblem, ProblemSchema } from "../problem.js";
import { ImportJobs } from "../services/import-jobs.js";
import { ImportJobSchema } from "./ccam-schemas.js";

/** The official export is about 2.5 MB (CSV) or less (XLSX); the app's default body limit is 1 MiB. */
export const IMPORT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;
export const XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const UPLOAD_TYPES = ["text/csv", XLSX_MIME, "application/octet-stream"];

const FileName = z
  .string()
  .trim()
  .max(200)
  .regex(
    /^[\p{L}\p{N} ._()+-]*[\p{L}\p{N}_()+-]\.(csv|xlsx)$/iu,
    "a file name ending in .csv or .xlsx (letters, digits, spaces and . _ ( ) + - only)",
  );

const problems = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  413: ProblemSchema,
  415: ProblemSchema,
};
const config = { permission: "referential:manage" as const };

/**
 * Import of a new CCAM version from an upload (the admin UI): the raw file as the request body, imported in the
 * background by this process, its progress polled. Same import as at start and as `ccam import`.
 */
export const ccamImportRoutes: FastifyPluginAsyncZod<{ runtime: Runtime }> = async (app, { runtime }) => {
  const { config: settings } = runtime;
  const jobs = new ImportJobs({
    referentials: runtime.referentials,
    ledger: runtime.ledger,
    workDir: join(settings.dataDir, "imports"),
    nomenslandDir: existsSync(settings.nomenslandDir) ? settings.nomenslandDir : undefined,
    onError: (job, error) => app.log.error({ err: error, importJob: job.id }, "CCAM import error"),
  });
  // The server closes the database after the app: let a running import finish its transaction first.
  app.addHook("onClose", () => jobs.idle());
  // Scoped to this plugin: only these routes take a raw file.
  app.addContentTypeParser(
    UPLOAD_TYPES,
    { parseAs: "buffer", bodyLimit: IMPORT_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.post(
    "/ccam/imports",
    {
      config,
      bodyLimit: IMPORT_BODY_LIMIT_BYTES,
      schema: {
        tags: ["ccam"],
        summary: "Import a CCAM version from the official export (CSV or XLSX) sent as the request body",
        description:
          `The raw file as the body, \`content-type: text/csv\`, \`${XLSX_MIME}\` or \`application/octet-stream\` ` +
          `(at most ${IMPORT_BODY_LIMIT_BYTES / 1024 / 1024} MiB); \`filename\` is recorded as the version's source ` +
          "file. Answers 202 with the job; poll GET /ccam/imports/{id}. A file already imported (same sha256) ends " +
          "`skipped`; a malformed one `failed` with the line, and nothing is written. After an import the version's " +
          "sha256 is queued for registration on chain. Jobs live in the memory of the process that took the upload.",
        querystring: z.object({ filename: FileName.optional() }),
        response: { 202: ImportJobSchema, ...problems },
      },
    },
    async (request, reply) => {
      const body: unknown = request.body;
      if (body !== undefined && body !== null && !Buffer.isBuffer(body)) {
        throw new HttpProblem(
          415,
          "Type de contenu non pris en charge",
          `Send the file itself as the body, with content-type ${UPLOAD_TYPES.join(", ")}.`,
          [{ field: "headers.content-type", message: `expected one of ${UPLOAD_TYPES.join(", ")}` }],
        );
      }
      if (!body || body.length === 0) {
        throw new HttpProblem(400, "Fichier vide", "The request body must be the official export file.", [
          { field: "body", message: "the file is empty" },
        ]);
      }
      const xlsx = body.length >= 4 && body.readUInt32BE(0) === 0x504b0304;
      const fileName =
        request.query.filename ?? `import-${new Date().toISOString().slice(0, 10)}.${xlsx ? "xlsx" : "csv"}`;
      const job = await jobs.start(body, fileName);
      return reply.code(202).header("location", `/ccam/imports/${job.id}`).send(job);
    },
  );

  app.get(
    "/ccam/imports/:id",
    {
      config,
      schema: {
        tags: ["ccam"],
        summary: "An import's state: running (phase, rows written of total), imported, skipped or failed",
        params: z.object({ id: z.uuid() }),
        response: { 200: ImportJobSchema, ...problems },
      },
    },
    async (request) => {
      const job = jobs.get(request.params.id);
      if (!job) {
        throw new HttpProblem(
          404,
          "Import inconnu",
          `No import ${request.params.id} in this process (jobs are kept in memory, the last ones only).`,
        );
      }
      return job;
    },
  );
};
