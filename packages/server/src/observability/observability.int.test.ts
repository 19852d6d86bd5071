import { enqueueLeaf } from "@ccam/ledger";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { openTestRuntime } from "../test-support/runtime.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics and /readyz on a real runtime (embedded chain, Redis)", () => {
  let runtime: Runtime;
  let app: FastifyInstance;

  beforeAll(async () => {
    runtime = await openTestRuntime([], { REDIS_URL }, { ledger: true });
    app = await buildApp(runtime, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  it("serves Prometheus text anonymously, with default process metrics", async () => {
    const response = await app.inject("/metrics");
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(response.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(sample(response.body, "ccam_database_up")).toBe(1);
    expect(sample(response.body, "ccam_cache_up")).toBe(1);
    expect(sample(response.body, "ccam_referential_versions")).toBe(0);
  });

  it("reports whether the instance hears the learning table's notifications", async () => {
    // On PostgreSQL the listening connection opens beside the start: live within moments.
    let listening: number | undefined;
    for (let i = 0; i < 100 && listening !== 1; i++) {
      listening = sample((await app.inject("/metrics")).body, "ccam_learning_listening");
      if (listening !== 1) await new Promise((r) => setTimeout(r, 50));
    }
    expect(listening).toBe(1);
  });

  it("labels request durations by route pattern, never by the raw URL", async () => {
    await app.inject("/ccam/acts/HHFA016");
    await app.inject("/ccam/acts/ZZZZ999");
    await app.inject("/no/such/route/42");
    const text = (await app.inject("/metrics")).body;
    expect(
      sample(
        text,
        'ccam_http_request_duration_seconds_count{method="GET",route="/ccam/acts/:code",status="401"}',
      ),
    ).toBe(2);
    expect(
      sample(text, 'ccam_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}'),
    ).toBe(1);
    expect(text).not.toContain("HHFA016");
    expect(text).not.toContain("/no/such/route");
  });

  it("follows the anchoring queue and the chain", async () => {
    const ledger = runtime.ledger;
    if (!ledger) throw new Error("ledger expected");
    await runtime.database.db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++)
        await enqueueLeaf(tx, { kind: "decision", payload: { actId: `m-${i}`, decision: "validated" } });
    });
    const before = (await app.inject("/metrics")).body;
    expect(sample(before, "ccam_anchoring_queue_depth")).toBeGreaterThan(0);
    ledger.worker.notify();
    const deadline = Date.now() + 60_000;
    let text = before;
    while (Date.now() < deadline) {
      text = (await app.inject("/metrics")).body;
      if (
        sample(text, "ccam_ledger_anchored_size") === 3 &&
        sample(text, 'ccam_chain_up{mode="embedded"}') === 1
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sample(text, "ccam_ledger_anchored_size")).toBe(3);
    expect(sample(text, "ccam_ledger_tree_size")).toBe(3);
    expect(sample(text, "ccam_anchoring_queue_depth")).toBe(0);
    expect(sample(text, "ccam_anchoring_lag_seconds")).toBe(0);
    expect(sample(text, 'ccam_chain_up{mode="embedded"}')).toBe(1);
  });

  it("reports the Redis cache in /readyz", async () => {
    const ready = (await app.inject("/readyz")).json();
    expect(ready.checks.cache).toEqual({ ok: true, detail: "redis 127.0.0.1:6379" });
  });
});

describe("an unreachable Redis degrades readiness without failing it", () => {
  let runtime: Runtime;
  let app: FastifyInstance;

  beforeAll(async () => {
    runtime = await openTestRuntime(["CCAM_V81_2026-01-01.csv"], { REDIS_URL: "redis://127.0.0.1:1" });
    app = await buildApp(runtime, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  it("answers 200 degraded with the cache check failing, and ccam_cache_up 0", async () => {
    const response = await app.inject("/readyz");
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe("degraded");
    expect(body.checks.cache.ok).toBe(false);
    expect(body.checks.cache.detail).toMatch(/^redis 127\.0\.0\.1:1 unreachable: /);
    const text = (await app.inject("/metrics")).body;
    expect(sample(text, "ccam_cache_up")).toBe(0);
    expect(sample(text, "ccam_referential_versions")).toBe(1);
  });
});
