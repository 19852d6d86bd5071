import type { Database } from "@ccam/db";
import type { Ledger } from "@ccam/ledger";
import { sql } from "drizzle-orm";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { CacheProbe } from "../observability/cache-probe.js";
import type { ReferentialService } from "../services/referential-service.js";

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const ReadinessSchema = z.object({
  /**
   * `degraded`: serving, but decisions wait to be anchored (chain unreachable) or the shared cache is down
   * (rate limits and cached suggestions fall back per instance).
   */
  status: z.enum(["ready", "degraded", "not_ready"]),
  checks: z.object({
    database: CheckSchema,
    referential: CheckSchema,
    cache: CheckSchema.optional(),
    chain: CheckSchema.optional(),
  }),
});

/**
 * Liveness (the process answers) and readiness (database reachable, a referential loaded; cache and chain
 * state, which degrade but do not stop the service).
 */
export const healthRoutes: FastifyPluginAsyncZod<{
  db: Database;
  referentials: ReferentialService;
  ledger: Ledger | undefined;
  cache?: CacheProbe | undefined;
}> = async (app, { db, referentials, ledger, cache }) => {
  app.get(
    "/healthz",
    { schema: { tags: ["health"], response: { 200: z.object({ status: z.literal("ok") }) } } },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/readyz",
    { schema: { tags: ["health"], response: { 200: ReadinessSchema, 503: ReadinessSchema } } },
    async (_request, reply) => {
      const database = await db.execute(sql`select 1`).then(
        () => ({ ok: true }),
        (error: Error) => ({ ok: false, detail: `database unreachable: ${error.message}` }),
      );
      const versions = referentials.versions.map((r) => r.version.version);
      const referential = versions.length
        ? { ok: true, detail: `loaded: ${versions.join(", ")}` }
        : {
            ok: false,
            detail: "no CCAM version imported: put the official export in CCAM_SOURCE_DIR and restart",
          };
      const [chain, cacheState] = await Promise.all([
        ledger ? chainCheck(ledger) : undefined,
        cache?.check(),
      ]);
      const ready = database.ok && referential.ok;
      const degraded = (chain && !chain.ok) || (cacheState && !cacheState.ok);
      const status = !ready ? "not_ready" : degraded ? "degraded" : "ready";
      return reply.code(ready ? 200 : 503).send({
        status,
        checks: {
          database,
          referential,
          ...(cacheState ? { cache: cacheState } : {}),
          ...(chain ? { chain } : {}),
        },
      });
    },
  );
};

async function chainCheck(ledger: Ledger): Promise<z.infer<typeof CheckSchema>> {
  const status = await ledger.status();
  const queue = `${status.queueDepth} leaf(s) waiting, anchored tree size ${status.anchoredSize}`;
  if (status.state === "degraded") {
    return {
      ok: false,
      detail: `degraded (decisions queued): ${status.lastError ?? "chain unreachable"}; ${queue}`,
    };
  }
  return { ok: true, detail: `${status.mode}${status.state === "disabled" ? " (no chain)" : ""}; ${queue}` };
}
