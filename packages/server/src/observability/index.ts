import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { Runtime } from "../bootstrap.js";
import { type CacheProbe, createCacheProbe } from "./cache-probe.js";
import { Metrics, registerMetrics } from "./metrics.js";

export { type CacheCheck, type CacheProbe, createCacheProbe } from "./cache-probe.js";
export { LATENCY_BUCKETS, Metrics, type MetricsSources, routeLabel } from "./metrics.js";

export interface Observability {
  metrics: Metrics;
  cache: CacheProbe;
}

/**
 * Metrics (`/metrics`, request histogram, runtime sources) and the cache probe used by `/readyz`. Pass the
 * process's `metrics` when other parts (the act workflow) record into it; a fresh one is made otherwise.
 * The app exposes it as `app.metrics` so later modules can `provide()` their sources.
 */
export async function registerObservability(
  app: FastifyInstance,
  runtime: Runtime,
  metrics: Metrics = new Metrics(),
): Promise<Observability> {
  const cache = createCacheProbe(runtime.config.redisUrl);
  app.addHook("onClose", async () => cache.close());
  app.decorate("metrics", metrics);
  const { ledger } = runtime;
  registerMetrics(
    app,
    metrics,
    {
      database: () => runtime.database.db.execute(sql`select 1`),
      referentialVersions: () => runtime.referentials.versions.length,
      ...(ledger ? { ledger: () => ledger.status() } : {}),
    },
    cache,
  );
  return { metrics, cache };
}

declare module "fastify" {
  interface FastifyInstance {
    /** Prometheus metrics of this process (see observability/metrics.ts). */
    metrics: Metrics;
  }
}
