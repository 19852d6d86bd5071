import type { Ledger } from "@ccam/ledger";
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CacheProbe } from "./cache-probe.js";

/** Buckets (seconds) for request-scale latencies: 5 ms … 10 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];

/**
 * What other modules feed at scrape time. Each is called once per scrape (all in parallel, bounded by
 * `SOURCE_TIMEOUT_MS`); a failing or slow source leaves its gauges unset for that scrape and counts in
 * `ccam_metrics_source_errors_total`, it never fails the scrape.
 */
export interface MetricsSources {
  /** Acts per workflow status (`pending`, `validated`, `overridden`, …), e.g. `select status, count(*)`. */
  actsByStatus?: () => Promise<Record<string, number>>;
  /** The optional LLM: `off` = not configured, `ok` = configured and answering, `degraded` = configured, down. */
  llm?: () => { state: "off" | "ok" | "degraded" } | Promise<{ state: "off" | "ok" | "degraded" }>;
  /** Anchoring ledger (queue depth, lag, chain up). Set by `registerObservability` from the runtime. */
  ledger?: () => ReturnType<Ledger["status"]>;
  /** Shared cache reachability (Redis ping, or always up in memory). */
  cache?: () => Promise<{ ok: boolean }>;
  /** Database reachability (`select 1`). */
  database?: () => Promise<unknown>;
  /** Number of CCAM versions loaded in memory. */
  referentialVersions?: () => number;
  /** Whether this instance hears the learning table's notifications (so keeps the learned rows it reads). */
  learningListening?: () => boolean;
}

export const SOURCE_TIMEOUT_MS = 2000;

/**
 * The process's Prometheus registry and the metrics of CCAM AI. One instance per process (or per app in tests:
 * each has its own registry, so two apps never clash on metric names). Modules record through the typed
 * helpers; any module may add its own metric with `registers: [metrics.registry]`.
 *
 * Names are documented in docs/runbook.md (Metrics) and used by deploy/grafana/ccam-ai.json.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly sources: MetricsSources = {};

  readonly httpDuration = new Histogram({
    name: "ccam_http_request_duration_seconds",
    help: "HTTP request duration by method, route pattern and status code",
    labelNames: ["method", "route", "status"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly suggestionDuration = new Histogram({
    name: "ccam_suggestion_duration_seconds",
    help: "Time to compute the coding suggestions of one clinical text",
    labelNames: ["engine"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: "ccam_cache_requests_total",
    help: "Cache look-ups by cache name and result (hit or miss)",
    labelNames: ["cache", "result"] as const,
    registers: [this.registry],
  });

  private readonly sourceErrors = new Counter({
    name: "ccam_metrics_source_errors_total",
    help: "Scrape-time sources that failed or timed out",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });

  private readonly acts = this.gauge("ccam_acts", "Acts by workflow status (from the database)", ["status"]);
  private readonly queueDepth = this.gauge(
    "ccam_anchoring_queue_depth",
    "Ledger leaves accepted but not yet anchored on chain",
  );
  private readonly anchoringLag = this.gauge(
    "ccam_anchoring_lag_seconds",
    "Age of the oldest leaf not yet anchored (0 when the queue is empty)",
  );
  private readonly treeSize = this.gauge("ccam_ledger_tree_size", "Leaves in the Merkle log");
  private readonly anchoredSize = this.gauge(
    "ccam_ledger_anchored_size",
    "Leaves covered by the latest anchored tree head",
  );
  private readonly chainUp = this.gauge(
    "ccam_chain_up",
    "1 when the anchoring worker reaches the chain, 0 when degraded (absent when the ledger is off)",
    ["mode"],
  );
  private readonly llmConfigured = this.gauge("ccam_llm_configured", "1 when an LLM is configured");
  private readonly llmUp = this.gauge("ccam_llm_up", "1 when the configured LLM answers");
  private readonly cacheUp = this.gauge("ccam_cache_up", "1 when the cache (Redis, or in memory) answers");
  private readonly databaseUp = this.gauge("ccam_database_up", "1 when the database answers select 1");
  private readonly referentials = this.gauge(
    "ccam_referential_versions",
    "CCAM versions loaded in memory (0 = not ready)",
  );
  private readonly learningListening = this.gauge(
    "ccam_learning_listening",
    "1 while this instance hears the learning table's notifications; 0 while it reads the table for every text",
  );

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Plugs scrape-time sources in (later calls add to or replace earlier ones). */
  provide(sources: MetricsSources): void {
    Object.assign(this.sources, sources);
  }

  /** Records one suggestion computation. */
  observeSuggestion(seconds: number, engine = "coder"): void {
    this.suggestionDuration.observe({ engine }, seconds);
  }

  cacheHit(cache: string): void {
    this.cacheRequests.inc({ cache, result: "hit" });
  }

  cacheMiss(cache: string): void {
    this.cacheRequests.inc({ cache, result: "miss" });
  }

  /** Runs every source and sets the gauges; called before each scrape. */
  async refresh(): Promise<void> {
    const s = this.sources;
    await Promise.all([
      this.run("acts", s.actsByStatus, (counts) => {
        this.acts.reset();
        for (const [status, n] of Object.entries(counts)) this.acts.set({ status }, n);
      }),
      this.run("ledger", s.ledger, (status) => {
        this.queueDepth.set(status.queueDepth);
        this.anchoringLag.set(status.lagMs / 1000);
        this.treeSize.set(status.treeSize);
        this.anchoredSize.set(status.anchoredSize);
        this.chainUp.reset();
        if (status.state !== "disabled")
          this.chainUp.set({ mode: status.mode }, status.state === "ok" ? 1 : 0);
      }),
      this.run("llm", s.llm && (async () => s.llm?.()), (llm) => {
        if (!llm) return;
        this.llmConfigured.set(llm.state === "off" ? 0 : 1);
        this.llmUp.set(llm.state === "ok" ? 1 : 0);
      }),
      this.run(
        "cache",
        s.cache,
        (cache) => this.cacheUp.set(cache.ok ? 1 : 0),
        () => this.cacheUp.set(0),
      ),
      this.run(
        "database",
        s.database,
        () => this.databaseUp.set(1),
        () => this.databaseUp.set(0),
      ),
      this.run("referential", s.referentialVersions && (async () => s.referentialVersions?.() ?? 0), (n) =>
        this.referentials.set(n),
      ),
      this.run("learning", s.learningListening && (async () => s.learningListening?.() ?? false), (up) =>
        this.learningListening.set(up ? 1 : 0),
      ),
    ]);
  }

  /** The exposition text (refreshes first). */
  async scrape(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private async run<T>(
    name: string,
    source: (() => Promise<T>) | undefined,
    apply: (value: T) => void,
    onError?: () => void,
  ): Promise<void> {
    if (!source) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        source(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${name} timed out`)), SOURCE_TIMEOUT_MS);
        }),
      ]);
      apply(value);
    } catch {
      this.sourceErrors.inc({ source: name });
      onError?.();
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Route label of a request: the registered pattern (`/ccam/acts/:code`), never the raw URL with its ids. */
export function routeLabel(routeUrl: string | undefined): string {
  return routeUrl ?? "unmatched";
}

/**
 * Wires the metrics into the app: the request duration histogram (every route, by pattern), the public
 * `/metrics` route for the scraper, and the runtime's own sources (ledger, cache, database, referential).
 */
export function registerMetrics(
  app: FastifyInstance,
  metrics: Metrics,
  sources: MetricsSources,
  cache: CacheProbe,
): void {
  metrics.provide({ ...sources, cache: () => cache.check() });
  app.addHook("onResponse", async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: routeLabel(request.routeOptions.url),
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.scrape();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
