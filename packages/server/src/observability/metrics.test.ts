import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Metrics, routeLabel } from "./metrics.js";

/** Value of one sample line of the exposition text, e.g. `ccam_acts{status="pending"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("Metrics", () => {
  it("sets the scrape-time gauges from the sources plugged in", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.provide({
      actsByStatus: async () => ({ pending: 3, validated: 5 }),
      llm: () => ({ state: "degraded" }),
      ledger: async () => ({
        mode: "embedded",
        state: "ok",
        lastError: null,
        queueDepth: 7,
        lagMs: 1500,
        treeSize: 10,
        anchoredSize: 3,
        chain: null,
      }),
      cache: async () => ({ ok: true }),
      database: async () => undefined,
      referentialVersions: () => 2,
      learningListening: () => false,
    });
    const text = await metrics.scrape();
    expect(sample(text, 'ccam_acts{status="pending"}')).toBe(3);
    expect(sample(text, 'ccam_acts{status="validated"}')).toBe(5);
    expect(sample(text, "ccam_anchoring_queue_depth")).toBe(7);
    expect(sample(text, "ccam_anchoring_lag_seconds")).toBe(1.5);
    expect(sample(text, "ccam_ledger_tree_size")).toBe(10);
    expect(sample(text, "ccam_ledger_anchored_size")).toBe(3);
    expect(sample(text, 'ccam_chain_up{mode="embedded"}')).toBe(1);
    expect(sample(text, "ccam_llm_configured")).toBe(1);
    expect(sample(text, "ccam_llm_up")).toBe(0);
    expect(sample(text, "ccam_cache_up")).toBe(1);
    expect(sample(text, "ccam_database_up")).toBe(1);
    expect(sample(text, "ccam_referential_versions")).toBe(2);
    expect(sample(text, "ccam_learning_listening")).toBe(0);
  });

  it("drops statuses that disappeared and never fails the scrape on a failing source", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    let counts: Record<string, number> = { pending: 1, overridden: 2 };
    metrics.provide({
      actsByStatus: async () => counts,
      database: async () => {
        throw new Error("connection refused");
      },
    });
    await metrics.scrape();
    counts = { pending: 4 };
    const text = await metrics.scrape();
    expect(sample(text, 'ccam_acts{status="pending"}')).toBe(4);
    expect(sample(text, 'ccam_acts{status="overridden"}')).toBeUndefined();
    expect(sample(text, "ccam_database_up")).toBe(0);
    expect(sample(text, 'ccam_metrics_source_errors_total{source="database"}')).toBe(2);
  });

  it("reports chain down when the ledger is degraded and no chain gauge when it is off", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    let state: "ok" | "degraded" | "disabled" = "degraded";
    const status = () => ({
      mode: "rpc" as const,
      state,
      lastError: null,
      queueDepth: 0,
      lagMs: 0,
      treeSize: 0,
      anchoredSize: 0,
      chain: null,
    });
    metrics.provide({ ledger: async () => status() });
    expect(sample(await metrics.scrape(), 'ccam_chain_up{mode="rpc"}')).toBe(0);
    state = "disabled";
    expect(await metrics.scrape()).not.toMatch(/^ccam_chain_up/m);
  });

  it("counts cache hits and misses and observes suggestion latency", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.cacheHit("suggestions");
    metrics.cacheHit("suggestions");
    metrics.cacheMiss("suggestions");
    metrics.observeSuggestion(0.042);
    const text = await metrics.scrape();
    expect(sample(text, 'ccam_cache_requests_total{cache="suggestions",result="hit"}')).toBe(2);
    expect(sample(text, 'ccam_cache_requests_total{cache="suggestions",result="miss"}')).toBe(1);
    expect(sample(text, 'ccam_suggestion_duration_seconds_bucket{le="0.05",engine="coder"}')).toBe(1);
    expect(sample(text, 'ccam_suggestion_duration_seconds_bucket{le="0.025",engine="coder"}')).toBe(0);
  });

  it("labels unmatched requests without their raw URL", () => {
    expect(routeLabel(undefined)).toBe("unmatched");
    expect(routeLabel("/ccam/acts/:code")).toBe("/ccam/acts/:code");
  });
});

describe("deploy/grafana/ccam-ai.json", () => {
  it("queries only metrics this registry exposes", () => {
    const dashboard = JSON.parse(
      readFileSync(new URL("../../../../deploy/grafana/ccam-ai.json", import.meta.url), "utf8"),
    ) as { panels: { targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const names = new Set(exprs.flatMap((e) => e.match(/\b(ccam|process|nodejs)_[a-z0-9_]+/g) ?? []));
    const registry = new Metrics().registry;
    const exposed = (name: string) =>
      registry.getSingleMetric(name) !== undefined ||
      registry.getSingleMetric(name.replace(/_(bucket|count|sum)$/, "")) !== undefined;
    expect(names.size).toBeGreaterThan(15);
    expect([...names].filter((name) => !exposed(name))).toEqual([]);
  });
});
