import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  checkAcknowledged,
  freshFolders,
  type LoadReport,
  runLoad,
  type ServerProcess,
  sleep,
  startServer,
  stopLeftoverChain,
  type Team,
  team,
} from "./harness.js";
import { recordResult } from "./results.js";

/**
 * PostgreSQL connection loss mid-load: every backend of the server is terminated (pg_terminate_backend, found by
 * the server's own application_name, so other users of the shared PostgreSQL are untouched), repeatedly for a few
 * seconds. Requests answer 2xx or a clear 503 problem+json, never 500; no decision is half-written; the same
 * process serves again afterwards, without a restart.
 */

const DATABASE_URL = process.env.DATABASE_URL;
const CUT_MS = 5_000;

if (!DATABASE_URL) {
  console.warn(
    "database.faults: DATABASE_URL is unset: the PostgreSQL connection-loss scenario is skipped (CI sets it).",
  );
}

describe.skipIf(!DATABASE_URL)("database: PostgreSQL connections cut under load", () => {
  const folders = freshFolders("db");
  const schema = `faults_${randomBytes(5).toString("hex")}`;
  const appName = `ccam-faults-${randomBytes(4).toString("hex")}`;
  let server: ServerProcess;
  let tokens: Team;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    server = await startServer({
      dataDir: folders.dataDir,
      sourceDir: folders.sourceDir,
      env: { DATABASE_URL, CCAM_DATABASE_SCHEMA: schema, PGAPPNAME: appName },
    });
    tokens = await team(server.url);
  });
  afterAll(async () => {
    await server?.stop();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin?.end();
    stopLeftoverChain(folders.dataDir);
    rmSync(folders.root, { recursive: true, force: true });
  });

  it("answers 2xx or 503 problem+json while connections die, writes nothing partial, recovers without restart", async () => {
    const startedAt = Date.now();
    const backends = async () =>
      (await admin.query("select pid from pg_stat_activity where application_name = $1", [appName])).rows
        .length;
    expect(await backends()).toBeGreaterThan(0);

    const report: LoadReport = { acks: new Map(), requests: 0, outcomes: new Map(), latenciesMs: [] };
    const problems: string[] = [];
    let stop = false;
    const load = runLoad({
      base: () => server.url,
      tokens: () => tokens,
      workers: 4,
      maxActs: 1000,
      maxMs: 60_000,
      stop: () => stop,
      report,
      pauseMs: 20,
    });
    // Also probe readiness during the cut: it must say not_ready (503), not hang or 500.
    const readiness: number[] = [];
    await sleep(3_000);
    const cutEnds = Date.now() + CUT_MS;
    let terminated = 0;
    while (Date.now() < cutEnds) {
      const result = await admin.query(
        "select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1",
        [appName],
      );
      terminated += result.rows.filter((r) => r.ok).length;
      const ready = await call(server.url, "GET", "/readyz", { timeoutMs: 10_000 }).catch(() => undefined);
      if (ready) readiness.push(ready.status);
      await sleep(100);
    }
    await sleep(3_000);
    stop = true;
    await load;
    expect(server.child.exitCode, server.logs.join("").slice(-4000)).toBeNull();

    const outcomes = Object.fromEntries(report.outcomes);
    console.info(
      `database: ${terminated} backends terminated; ${report.requests} requests ${JSON.stringify(outcomes)}; readiness ${readiness.join(",")}`,
    );
    // Clear answers only: 2xx, or 503 when the database was unreachable. Never a 500, never a hang.
    for (const status of report.outcomes.keys()) {
      if (!/^2/.test(status) && status !== "503")
        problems.push(`status ${status} × ${report.outcomes.get(status)}`);
    }
    expect(terminated).toBeGreaterThan(0);
    const errors = server.logs
      .join("")
      .split("\n")
      .filter((line) => line.includes('"level":50'))
      .map((line) => line.slice(0, 600));
    for (const status of readiness) if (status !== 200 && status !== 503) problems.push(`/readyz ${status}`);
    expect(problems, errors.slice(0, 5).join("\n")).toEqual([]);

    // Recovery without restart: the same process takes writes again.
    const after = await runLoad({
      base: () => server.url,
      tokens: () => tokens,
      workers: 2,
      maxActs: 10,
      maxMs: 30_000,
      firstPatient: 5000,
    });
    expect([...after.outcomes.keys()].every((s) => /^2/.test(s))).toBe(true);
    expect(after.acks.size).toBe(10);
    const ready = await call(server.url, "GET", "/readyz");
    expect(ready.status).toBe(200);

    // No partial decision: every act in the database has a whole, verifiable chain; a validated act its codes.
    const acts = (await admin.query(`select id, status from ${schema}.actes`)).rows as {
      id: string;
      status: string;
    }[];
    const acknowledged = [...report.acks.values(), ...after.acks.values()];
    const known = new Set(acknowledged.map((a) => a.id));
    // Acts committed whose answer was lost with the connection are checked too (not acknowledged, still whole).
    const all = [
      ...acknowledged,
      ...acts
        .filter((a) => !known.has(a.id))
        .map((a) => ({ id: a.id, patientId: "", validated: a.status === "validated" })),
    ];
    const { lost } = await checkAcknowledged(server.url, tokens, all, 120_000);
    const codes = (
      await admin.query(
        `select a.id from ${schema}.actes a where a.status = 'validated' and not exists (select 1 from ${schema}.act_codes c where c.act_id = a.id)`,
      )
    ).rows;
    expect(codes).toEqual([]);
    recordResult("database", {
      scenario: "Database: PostgreSQL backends terminated mid-load",
      load: `4 clients creating + validating acts; ${report.requests} requests`,
      faults: `pg_terminate_backend of every server connection, every 100 ms for ${CUT_MS / 1000} s (${terminated} connections killed)`,
      acknowledged: acknowledged.length + acknowledged.filter((a) => a.validated).length,
      lost: lost.length,
      notes: `answers ${JSON.stringify(outcomes)}; 0 × 500; ${acts.length} acts in the database all whole; served again without restart`,
      durationMs: Date.now() - startedAt,
    });
    expect(lost).toEqual([]);
  });
});
