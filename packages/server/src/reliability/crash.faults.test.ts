import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { registryAbi } from "@ccam/ledger";
import { createPublicClient, type Hex, http, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Ack,
  ADMIN,
  CLINICAL_TEXT,
  call,
  checkAcknowledged,
  embeddedChain,
  freshFolders,
  freshSecrets,
  type LoadReport,
  runLoad,
  type ServerProcess,
  sleep,
  startServer,
  stopLeftoverChain,
  type Team,
  team,
  USER_PASSWORD,
} from "./harness.js";
import { recordResult } from "./results.js";

/**
 * The built server as a child process on one data folder (embedded PGlite and chain), through three faults:
 * 1. kill -9 under a steady load of act creations and validations, twice, restart: every request that got a 2xx
 *    is still there, its audit chain verifies and it is anchored after recovery;
 * 2. its chain node frozen (SIGSTOP: neither answers nor exits, like a hung or partitioned node) for 60 s under
 *    load: the API keeps answering and says `degraded` in /readyz and the metrics; once the node is back the
 *    outbox drains and every decision is anchored exactly once;
 * 3. then the data folder, the logs and the chain are scanned for clear identifiers, clinical text and secrets.
 * One server for the three: its first start (the V81 import) is the suite's longest wait.
 */

const CYCLES = 2;
const OUTAGE_MS = Number(process.env.CCAM_FAULTS_CHAIN_OUTAGE_MS ?? 60_000);
const WORKERS = 4;

describe("the server process under faults: kill -9, chain outage, privacy scan", () => {
  const folders = freshFolders("crash");
  const secrets = freshSecrets();
  let server: ServerProcess | undefined;
  let tokens: Team;
  const logs: string[] = [];
  const report: LoadReport = { acks: new Map(), requests: 0, outcomes: new Map(), latenciesMs: [] };
  let lost: string[] = [];
  const killedAt: number[] = [];
  const restarts: number[] = [];
  let startedAt = 0;

  const start = async () => {
    server = await startServer({
      dataDir: folders.dataDir,
      sourceDir: folders.sourceDir,
      env: { ...secrets, DATABASE_URL: undefined },
      ...(server ? { port: server.port } : {}),
    });
    return server;
  };

  beforeAll(async () => {
    startedAt = Date.now();
    await start();
    tokens = await team((server as ServerProcess).url);
  });
  let anvilPid: number | undefined;
  let frozen = false;

  afterAll(async () => {
    // Never leave the chain node frozen, whatever happened.
    if (frozen && anvilPid) process.kill(anvilPid, "SIGCONT");
    if (server) {
      logs.push(...server.logs);
      await server.stop();
    }
    stopLeftoverChain(folders.dataDir);
    rmSync(folders.root, { recursive: true, force: true });
  });

  it(`keeps every acknowledged write across ${CYCLES} kill -9 under load`, async () => {
    let nextPatient = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const current = server as ServerProcess;
      let killed = false;
      const load = runLoad({
        base: () => current.url,
        tokens: () => tokens,
        workers: WORKERS,
        maxActs: 400,
        maxMs: 60_000,
        stop: () => killed,
        firstPatient: nextPatient,
        report,
      });
      // Let the load run, then kill in the middle of it (requests in flight, a batch waiting to be anchored).
      const before = report.acks.size;
      const deadline = Date.now() + 30_000;
      while (report.acks.size < before + 25 && Date.now() < deadline) await sleep(100);
      await sleep(300 + Math.floor(Math.random() * 700));
      killedAt.push(report.acks.size);
      await current.kill9();
      killed = true;
      await load;
      logs.push(...current.logs);
      nextPatient += 400;
      const restarting = Date.now();
      await start();
      restarts.push(Date.now() - restarting);
    }
    // After the last restart, a little more load: the recovered server takes writes again.
    const base = (server as ServerProcess).url;
    await runLoad({
      base: () => base,
      tokens: () => tokens,
      workers: 2,
      maxActs: 10,
      maxMs: 30_000,
      firstPatient: nextPatient,
      report,
    });

    const acks = [...report.acks.values()];
    expect(acks.length).toBeGreaterThan(40);
    // Requests in flight at the kill get no answer; every answer is a success (no 5xx before or after).
    expect([...report.outcomes.keys()].filter((k) => !["200", "201", "network"].includes(k))).toEqual([]);
    ({ lost } = await checkAcknowledged(base, tokens, acks, 180_000));
    console.info(
      `crash: ${acks.length} acknowledged acts (${acks.filter((a) => a.validated).length} validated), killed at ${killedAt.join(", ")} acks, ` +
        `${report.requests} requests ${JSON.stringify(Object.fromEntries(report.outcomes))}, restarts ${restarts.join("/")} ms, lost ${lost.length}`,
    );
    recordResult("crash", {
      scenario: `Crash: kill -9 of the server under load, ×${CYCLES}, restart (PGlite + embedded chain)`,
      load: `${WORKERS} clients creating + validating acts; ${report.requests} requests`,
      faults: `${CYCLES} × SIGKILL of the server mid-load (after ${killedAt.join(" and ")} acks)`,
      acknowledged: acks.length + acks.filter((a) => a.validated).length,
      lost: lost.length,
      notes: `${acks.length} acts created, ${acks.filter((a) => a.validated).length} validated (2xx); restart to ready in ${restarts.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(" / ")}; ${lost.length ? lost.join(" | ") : "all present, verified and anchored after recovery"}`,
      durationMs: Date.now() - startedAt,
    });
    expect(lost).toEqual([]);
  });

  it("anchors each tree head once on chain, in order, up to the database's log", async () => {
    const { rpcUrl } = embeddedChain(folders.dataDir);
    const client = createPublicClient({ transport: http(rpcUrl) });
    const deployment = JSON.parse(readFileSync(join(folders.dataDir, "chain", "registry.json"), "utf8"));
    const logsOnChain = await client.getLogs({ address: deployment.address as Hex, fromBlock: 0n });
    expect(logsOnChain.length).toBeGreaterThan(0);
    const status = await call((server as ServerProcess).url, "GET", "/readyz");
    expect(status.body).toMatchObject({ status: "ready" });
    const checks = JSON.stringify((status.body as { checks: unknown }).checks);
    expect(checks, checks).toMatch(/ 0 leaf\(s\) waiting/);
  });

  it(`chain outage: the node frozen ${OUTAGE_MS / 1000} s under load; degraded, never down; then drained, each decision anchored once`, async () => {
    const startedAt = Date.now();
    const warmup: LoadReport = { acks: new Map(), requests: 0, outcomes: new Map(), latenciesMs: [] };
    // Before: anchoring works.
    await runLoad({
      base: () => (server as ServerProcess).url,
      tokens: () => tokens,
      workers: 2,
      maxActs: 10,
      maxMs: 30_000,
      report: warmup,
    });
    const before = await call((server as ServerProcess).url, "GET", "/readyz");
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
      base: () => (server as ServerProcess).url,
      tokens: () => tokens,
      workers: 2,
      maxActs: 2000,
      maxMs: OUTAGE_MS + 10_000,
      stop: () => stopLoad,
      firstPatient: 100_000,
      report: duringOutage,
      pauseMs: 250,
    });
    while (Date.now() < outageEnds) {
      const ready = await call((server as ServerProcess).url, "GET", "/readyz", { timeoutMs: 10_000 }).catch(
        (e: Error) => ({
          status: 0,
          body: { status: `no answer: ${e.message}` },
        }),
      );
      readiness.push(`${ready.status} ${(ready.body as { status: string }).status}`);
      const metrics = await call((server as ServerProcess).url, "GET", "/admin/metrics", {
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
    const all = [...warmup.acks.values(), ...duringOutage.acks.values()];
    const { lost } = await checkAcknowledged((server as ServerProcess).url, tokens, all, 180_000);
    const drainedMs = Date.now() - resumedAt;
    let ready = await call((server as ServerProcess).url, "GET", "/readyz");
    for (let i = 0; i < 60 && (ready.body as { status: string }).status !== "ready"; i++) {
      await sleep(500);
      ready = await call((server as ServerProcess).url, "GET", "/readyz");
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

  it("leaves no clear identifier, clinical text or secret in the data folder, the logs or the chain", async () => {
    const current = server as ServerProcess;
    const acks = [...report.acks.values()] as Ack[];
    const needles = new Map<string, string>([
      ...acks.slice(0, 50).map((a) => [a.patientId, `patient identifier ${a.patientId}`] as [string, string]),
      ["IPP-FAULTS-", "patient identifier prefix"],
      ["coxarthrose", "clinical text"],
      ["postéro-latérale", "clinical text"],
      [CLINICAL_TEXT.slice(0, 40), "clinical text"],
      [secrets.CCAM_JWT_SECRET, "JWT secret"],
      [secrets.CCAM_MASTER_KEYS.split(":")[1] as string, "master key"],
      [secrets.CCAM_PSEUDONYM_KEYS.split(":")[1] as string, "pseudonymisation key"],
      [secrets.CCAM_SIGNER_PRIVATE_KEY.slice(2), "signer private key"],
      [ADMIN.password, "admin password"],
      [USER_PASSWORD, "user password"],
      [tokens.codeur, "an access token"],
    ]);
    const findings: string[] = [];
    const scan = (where: string, haystack: Buffer) => {
      for (const [needle, what] of needles) {
        const forms = [
          Buffer.from(needle, "utf8"),
          Buffer.from(needle, "latin1"),
          Buffer.from(needle, "utf16le"),
        ];
        if (forms.some((form) => haystack.includes(form))) findings.push(`${what} in ${where}`);
      }
    };
    // Every file of the data folder: PGlite's tables, WAL and indexes, the chain's state dump, keys files.
    let files = 0;
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else {
          files++;
          scan(path.slice(folders.dataDir.length + 1), readFileSync(path));
        }
      }
    };
    walk(folders.dataDir);
    scan("server logs", Buffer.from([...logs, ...current.logs].join("")));
    // The chain: every transaction's input and every event's data and topics.
    const { rpcUrl } = embeddedChain(folders.dataDir);
    const client = createPublicClient({ transport: http(rpcUrl) });
    const latest = await client.getBlockNumber();
    const chainBytes: string[] = [];
    for (let n = 0n; n <= latest; n++) {
      const block = await client.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) chainBytes.push(tx.input);
    }
    for (const log of await client.getLogs({ fromBlock: 0n }))
      chainBytes.push(log.data, ...log.topics.filter(Boolean));
    const chainHex = chainBytes.join("").toLowerCase();
    for (const [needle, what] of needles) {
      if (chainHex.includes(toHex(needle).slice(2).toLowerCase())) findings.push(`${what} on chain`);
    }
    console.info(
      `privacy scan: ${files} files, ${logs.join("").length} log characters, ${chainBytes.length} chain items, findings: ${findings.length}`,
    );
    recordResult("privacy", {
      scenario: "Secrets and privacy scan after the crash run",
      load: `${files} data files, ${Math.round(logs.join("").length / 1024)} KiB of logs, ${Number(latest) + 1} blocks`,
      faults:
        "search for clear patient ids, clinical text, JWT/master/pseudonym/signer keys, passwords, tokens",
      acknowledged: acks.length,
      lost: findings.length,
      notes: findings.length ? findings.join("; ") : "nothing found",
    });
    expect(files).toBeGreaterThan(10);
    expect(logs.join("").length).toBeGreaterThan(1000);
    expect(findings).toEqual([]);
  });
});
