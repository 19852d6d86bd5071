import type { Database } from "@ccam/db";
import type { Ledger } from "@ccam/ledger";
import { sql } from "drizzle-orm";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { CacheProbe } from "../observability/cache-probe.js";
import type { ReferentialService } from "../services/referential-service.js";
import { type Check, type LlmCheck, ReadinessSchema } from "./health-schemas.js";

/** What the suggester reports of its optional LLM (acts/suggester.ts `llmStatus()`). */
export type LlmStatus = () => { state: "off" | "ok" | "degraded"; detail: string | null };

/**
 * Liveness (the process answers) and readiness (database reachable, a referential loaded; cache, chain and LLM
 * state, which degrade but do not stop the service; no LLM configured is not a failure).
 */
export const healthRoutes: FastifyPluginAsyncZod<{
  db: Database;
  referentials: ReferentialService;
  ledger: Ledger | undefined;
  cache?: CacheProbe | undefined;
  /** Absent when the process runs no act workflow (no suggester): the check is then left out. */
  llm?: LlmStatus | undefined;
}> = async (app, { db, referentials, ledger, cache, llm }) => {
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
        // The ledger's status reads the database too: when that fails, readiness says so instead of a 500.
        ledger
          ? chainCheck(ledger).catch((error: Error) => ({
              ok: false,
              detail: `ledger status unavailable: ${error.message}`,
            }))
          : undefined,
        cache?.check(),
      ]);
      const llmState = llm && llmCheck(llm());
      const ready = database.ok && referential.ok;
      const degraded = (chain && !chain.ok) || (cacheState && !cacheState.ok) || (llmState && !llmState.ok);
      const status = !ready ? "not_ready" : degraded ? "degraded" : "ready";
      return reply.code(ready ? 200 : 503).send({
        status,
        checks: {
          database,
          referential,
          ...(cacheState ? { cache: cacheState } : {}),
          ...(chain ? { chain } : {}),
          ...(llmState ? { llm: llmState } : {}),
        },
      });
    },
  );
};

function llmCheck(status: ReturnType<LlmStatus>): LlmCheck {
  const detail =
    status.detail ??
    (status.state === "off"
      ? "no LLM configured: offline engine"
      : status.state === "ok"
        ? "answering"
        : "not answering: offline order served");
  return { ok: status.state !== "degraded", state: status.state, detail };
}

async function chainCheck(ledger: Ledger): Promise<Check> {
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
