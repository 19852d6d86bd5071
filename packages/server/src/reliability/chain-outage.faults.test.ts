import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { registryAbi } from "@ccam/ledger";
import { createPublicClient, type Hex, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  checkAcknowledged,
  embeddedChain,
  freshFolders,
  type LoadReport,
  runLoad,
  type ServerProcess,
  sleep,
  startServer,
  type Team,
  team,
} from "./harness.js";
import { recordResult } from "./results.js";

/**
 * The embedded chain node is frozen (SIGSTOP: it neither answers nor exits, like a hung or partitioned node) for
 * 60 s under load. The API keeps answering and says `degraded` in /readyz and the workflow metrics; once the node
 * is back the outbox drains and every decision is anchored exactly once.
 */

const OUTAGE_MS = Number(process.env.CCAM_FAULTS_CHAIN_OUTAGE_MS ?? 60_000);

describe("chain outage: the node stops for 60 s under load", () => {
  const folders = freshFolders("chain");
  let server: ServerProcess;
  let tokens: Team;
  let anvilPid: number | undefined;
  let frozen = false;

  beforeAll(async () => {
    server = await startServer({
      dataDir: folders.dataDir,
      sourceDir: folders.sourceDir,
      env: { DATABASE_URL: undefined },
    });
    tokens = await team(server.url);
  });
  afterAll(async () => {
    // Never leave the node frozen, whatever happened.
    if (frozen && anvilPid) process.kill(anvilPid, "SIGCONT");
    await server?.stop();
    rmSync(folders.root, { recursive: true, force: true });
  });

  it("keeps answering in degraded mode, then drains the backlog and anchors every decision once", async () => {
    const startedAt = Date.now();
    const report: LoadReport = { acks: new Map(), requests: 0, outcomes: new Map(), latenciesMs: [] };
    // Before: anchoring works.
    await runLoad({
      base: () => server.url,
      tokens: () => tokens,
      workers: 2,
      maxActs: 10,
      maxMs: 30_000,
      report,
    });
    const before = await call(server.url, "GET", "/readyz");
    expect(before.body).toMatchObject({ status: "ready" });

    const chain = embeddedChain(folders.dataDir);
    anvilPid = chain.pid;
    const readiness: string[] = [];
    let metricsDegraded = false;
    let outageEnds = 0;
    let stopLoad = false;
    const duringOutage: LoadReport = { acks: new Map(), requests: 0, outcomes: new Map(), latenciesMs: [] };
    process.kill(chain.pid, "SIGSTOP");
    frozen = true;
    outageEnds = Date.now() + OUTAGE_MS;
    const load = runLoad({
      base: () => server.url,
      tokens: () => tokens,
      workers: 2,
      maxActs: 2000,
      maxMs: OUTAGE_MS + 10_000,
      stop: () => stopLoad,
      firstPatient: 10,
      report: duringOutage,
      pauseMs: 100,
    });
    while (Date.now() < outageEnds) {
      const ready = await call(server.url, "GET", "/readyz", { timeoutMs: 10_000 }).catch((e: Error) => ({
        status: 0,
        body: { status: `no answer: ${e.message}` },
      }));
      readiness.push(`${ready.status} ${(ready.body as { status: string }).status}`);
      const metrics = await call(server.url, "GET", "/admin/metrics", {
        token: tokens.dim,
        timeoutMs: 10_000,
      }).catch(() => undefined);
      if (metrics?.status === 200 && /degraded/.test(JSON.stringify(metrics.body))) metricsDegraded = true;
      await sleep(2000);
    }
    process.kill(chain.pid, "SIGCONT");
    frozen = false;
    stopLoad = true;
    await load;
    const resumedAt = Date.now();

    // The API answered throughout: every request of the load got an answer, and every act a 2xx.
    const outcomes = Object.fromEntries(duringOutage.outcomes);
    const failed = [...duringOutage.outcomes.entries()].filter(([status]) => !/^2/.test(status));
    const p99 = [...duringOutage.latenciesMs].sort((a, b) => a - b)[
      Math.floor(duringOutage.latenciesMs.length * 0.99)
    ];
    console.info(
      `chain outage: ${duringOutage.requests} requests ${JSON.stringify(outcomes)}, p99 ${Math.round(p99 ?? 0)} ms; readiness ${readiness.join(" | ")}`,
    );
    expect(failed).toEqual([]);
    expect(duringOutage.acks.size).toBeGreaterThan(20);
    // Degraded, never down: /readyz answers 200 "degraded" while the node is away, and the metrics say so too.
    expect(readiness.some((r) => r === "200 degraded")).toBe(true);
    expect(readiness.every((r) => r.startsWith("200 "))).toBe(true);
    expect(metricsDegraded).toBe(true);

    // After: the backlog drains; every acknowledged act is verified and anchored.
    const all = [...report.acks.values(), ...duringOutage.acks.values()];
    const { lost } = await checkAcknowledged(server.url, tokens, all, 180_000);
    const drainedMs = Date.now() - resumedAt;
    let ready = await call(server.url, "GET", "/readyz");
    for (let i = 0; i < 60 && (ready.body as { status: string }).status !== "ready"; i++) {
      await sleep(500);
      ready = await call(server.url, "GET", "/readyz");
    }
    expect(ready.body).toMatchObject({ status: "ready" });

    // Exactly once: each BatchAnchored extends the previous head; no tree size twice.
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const { address } = JSON.parse(readFileSync(join(folders.dataDir, "chain", "registry.json"), "utf8"));
    const events = await client.getContractEvents({
      address: address as Hex,
      abi: registryAbi,
      eventName: "BatchAnchored",
      fromBlock: 0n,
    });
    const sizes = events.map((e) => Number(e.args.treeSize));
    const counts = events.map((e) => Number(e.args.leafCount));
    expect(new Set(sizes).size).toBe(sizes.length);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(sizes.at(-1));

    const acknowledged = all.length + all.filter((a) => a.validated).length;
    recordResult("chain-outage", {
      scenario: `Chain outage: embedded node frozen (SIGSTOP) ${OUTAGE_MS / 1000} s under load`,
      load: `2 clients creating + validating acts; ${duringOutage.requests} requests during the outage`,
      faults: `chain node stopped ${OUTAGE_MS / 1000} s, then resumed`,
      acknowledged,
      lost: lost.length,
      notes: `API answered every request (${JSON.stringify(outcomes)}, p99 ${Math.round(p99 ?? 0)} ms); /readyz 200 degraded; every acknowledged act verified and anchored within ${Math.round(drainedMs / 1000)} s of the node returning; ${events.length} batches, each tree size once`,
      durationMs: Date.now() - startedAt,
    });
    expect(lost).toEqual([]);
  });
});
