import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DatabaseHandle, openDatabase } from "@ccam/db";
import { ANVIL_DEV_PRIVATE_KEY, EmbeddedNode, Registry, registryAbi } from "@ccam/ledger";
import { sql } from "drizzle-orm";
import { createPublicClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, REPO, SERVER_BUNDLE, SHARED, WORKER_BUNDLE } from "./reliability/harness.js";

/**
 * Scale-out on the CI machine's real services: two API instances (`dist/bundle/main.js`, anchoring off) and one
 * anchoring worker (`dist/bundle/worker.js`) as separate processes on loopback, sharing one PostgreSQL schema, one
 * Redis and one anvil chain (rpc mode). Acts are created on one instance and decided on the other; then every
 * audit leaf must be in the log exactly once and covered by exactly one anchored head, with one chain
 * transaction per head; verification answers true through either instance; a correction learned on A changes
 * B's (cached) suggestions.
 */
const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;

const ACTS = 60; // decisions spread over both instances
const CONCURRENCY = 6;
const LOAD_DEADLINE_MS = 90_000;
const ANCHOR_DEADLINE_MS = 60_000;

const LOAD_TEXT = "Cholécystectomie par cœlioscopie";
const LOAD_CODES = [{ code: "HMFC004", activity: 1, phase: 0 }];
const LEARN_TEXT = "Arthroscopie du genou avec méniscectomie";

const key32 = () => randomBytes(32).toString("base64");

interface Proc {
  name: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function start(name: string, script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString("utf8"));
    if (output.length > 200) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { name, child, output, exited };
}

async function stop(proc: Proc | undefined): Promise<number | null | undefined> {
  if (!proc || proc.child.exitCode !== null) return proc?.child.exitCode;
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), 15_000);
  const code = await proc.exited;
  clearTimeout(timer);
  return code;
}

async function waitReady(url: string, proc: Proc, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.output.join("")}`);
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${proc.name} not ready within ${timeoutMs} ms:\n${proc.output.join("")}`);
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as with inject().json()
type Json = any;

if (!DATABASE_URL || !REDIS_URL) {
  describe("scale-out (two API instances + one worker on PostgreSQL and Redis)", () => {
    it.skip("needs DATABASE_URL and REDIS_URL (e.g. postgres://postgres@127.0.0.1:5432/test, redis://127.0.0.1:6379): skipped", () => {});
  });
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)(
  "scale-out: two API instances and one worker process on real PostgreSQL, Redis and an anvil chain",
  () => {
    const schema = `scale_${randomBytes(5).toString("hex")}`;
    const dirs: string[] = [];
    let node: EmbeddedNode;
    let contract: `0x${string}`;
    let db: DatabaseHandle;
    let a: Proc;
    let b: Proc;
    let worker: Proc;
    let urlA: string;
    let urlB: string;
    let token: string;
    let refreshToken: string;
    const acts: string[] = [];

    const call = async (
      base: string,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: Json }> => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: response.status, body: (await response.json()) as Json };
    };

    const rows = async <T>(query: ReturnType<typeof sql>): Promise<T[]> =>
      ((await db.db.execute(query)) as unknown as { rows: T[] }).rows;

    beforeAll(async () => {
      if (!existsSync(SERVER_BUNDLE) || !existsSync(WORKER_BUNDLE))
        throw new Error(`${SERVER_BUNDLE} or ${WORKER_BUNDLE} missing: build first (npm run build:server)`);
      node = await EmbeddedNode.start({ blockTime: 1 });
      const registry = await Registry.deploy({ rpcUrl: node.rpcUrl, privateKey: ANVIL_DEV_PRIVATE_KEY });
      contract = registry.address;

      const source = mkdtempSync(join(tmpdir(), "ccam-scale-src-"));
      dirs.push(source);
      symlinkSync(
        join(SHARED, "ccam/ameli/CCAM_V81_2026-01-01.csv"),
        join(source, "CCAM_V81_2026-01-01.csv"),
      );
      const common: Record<string, string> = {
        HOST: "127.0.0.1",
        DATABASE_URL: DATABASE_URL as string,
        CCAM_DATABASE_SCHEMA: schema,
        REDIS_URL: REDIS_URL as string,
        CCAM_SHARED_DIR: SHARED,
        CCAM_SOURCE_DIR: source,
        CCAM_LOG_LEVEL: "warn",
        CCAM_JWT_SECRET: randomBytes(32).toString("hex"),
        CCAM_PSEUDONYM_KEYS: `p1:${key32()}`,
        CCAM_MASTER_KEYS: `m1:${key32()}`,
        CCAM_SIGNER_PRIVATE_KEY: `0x${randomBytes(32).toString("hex")}`,
        CCAM_ADMIN_EMAIL: "admin@scale.test",
        CCAM_ADMIN_PASSWORD: "scale-admin-password-1",
        CCAM_AUTH_RATE_LIMIT: "1000",
        CCAM_LEDGER_MODE: "rpc",
        CCAM_CHAIN_RPC_URL: node.rpcUrl,
        CCAM_CHAIN_CONTRACT: contract,
        CCAM_CHAIN_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
        CCAM_LEDGER_BATCH_SIZE: "16",
        CCAM_LEDGER_BATCH_MAX_DELAY_MS: "300",
      };
      const dataDir = (name: string) => {
        const dir = join(tmpdir(), `ccam-scale-${schema}-${name}`);
        mkdirSync(dir, { recursive: true });
        dirs.push(dir);
        return dir;
      };
      const [portA, portB] = [await freePort(), await freePort()];
      urlA = `http://127.0.0.1:${portA}`;
      urlB = `http://127.0.0.1:${portB}`;
      // A migrates and imports V81; B starts once A is ready and loads it from the database.
      a = start("api-a", SERVER_BUNDLE, {
        ...common,
        PORT: String(portA),
        CCAM_DATA_DIR: dataDir("a"),
        CCAM_IMPORT_ON_START: "true",
        CCAM_LEDGER_WORKER: "off",
      });
      await waitReady(urlA, a);
      b = start("api-b", SERVER_BUNDLE, {
        ...common,
        PORT: String(portB),
        CCAM_DATA_DIR: dataDir("b"),
        CCAM_IMPORT_ON_START: "false",
        CCAM_LEDGER_WORKER: "off",
      });
      worker = start("worker", WORKER_BUNDLE, { ...common, CCAM_DATA_DIR: dataDir("worker") });
      await waitReady(urlB, b);
      db = await openDatabase({ url: DATABASE_URL, schema, poolSize: 2 });

      // Signed in on A; the token and the refresh token are then used on B (shared key, sessions in the database).
      const form = async (base: string, fields: Record<string, string>) => {
        const response = await fetch(`${base}/auth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(fields).toString(),
        });
        expect(response.status).toBe(200);
        return (await response.json()) as { access_token: string; refresh_token: string };
      };
      token = (
        await form(urlA, {
          grant_type: "password",
          username: "admin@scale.test",
          password: "scale-admin-password-1",
        })
      ).access_token;
      const created = await call(urlB, "POST", "/admin/users", {
        email: "codeur@scale.test",
        password: "scale-codeur-password-1",
        roles: ["codeur", "medecin", "auditeur"],
      });
      expect(created.status).toBe(201);
      const tokens = await form(urlA, {
        grant_type: "password",
        username: "codeur@scale.test",
        password: "scale-codeur-password-1",
      });
      token = tokens.access_token;
      refreshToken = tokens.refresh_token;
    });

    afterAll(async () => {
      await Promise.all([stop(a), stop(b), stop(worker)]);
      await db?.close();
      await node?.stop();
      const admin = await openDatabase({ url: DATABASE_URL as string, poolSize: 1 });
      await admin.db.execute(sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      await admin.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it("shares sessions: a refresh token issued by A rotates on B", async () => {
      const response = await fetch(`${urlB}/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      expect(response.status).toBe(200);
      const rotated = (await response.json()) as { access_token: string };
      token = rotated.access_token;
      // Reusing the rotated-out token on A is detected: the family lives in the shared database.
      const reuse = await fetch(`${urlA}/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      expect(reuse.status).toBe(401);
    });

    it("spreads creations and decisions over both instances; the worker anchors every leaf exactly once", async () => {
      const deadline = Date.now() + LOAD_DEADLINE_MS;
      let next = 0;
      const failures: string[] = [];
      const lane = async () => {
        while (next < ACTS && Date.now() < deadline) {
          const i = next++;
          // Created on one instance, decided on the other.
          const [here, there] = i % 2 === 0 ? [urlA, urlB] : [urlB, urlA];
          const created = await call(here, "POST", "/actes", {
            patientId: `IPP-SCALE-${i % 20}`,
            performedAt: "2026-03-03T09:00:00Z",
            text: LOAD_TEXT,
          });
          if (created.status !== 201) {
            failures.push(`create ${i}: ${created.status} ${JSON.stringify(created.body)}`);
            continue;
          }
          const id = created.body.act.id as string;
          const decided = await call(there, "POST", `/validation/${id}`, { codes: LOAD_CODES });
          if (decided.status !== 200) failures.push(`validate ${i}: ${decided.status}`);
          else acts.push(id);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
      expect(failures).toEqual([]);
      expect(acts).toHaveLength(ACTS);

      // Wait (bounded) until nothing is left to anchor.
      const anchorDeadline = Date.now() + ANCHOR_DEADLINE_MS;
      let waiting = -1;
      while (Date.now() < anchorDeadline) {
        const [state] = await rows<{ waiting: string }>(sql`
          select (select count(*) from anchor_outbox where leaf_index is null)
               + (select count(*) from tree_heads where status <> 'anchored') as waiting`);
        waiting = Number(state?.waiting);
        if (waiting === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(waiting).toBe(0);

      // Three audit entries per act (created, suggested, validated), each with its own outbox leaf.
      const [counts] = await rows<{
        entries: string;
        leaves: string;
        distinct_seq: string;
        outbox: string;
      }>(sql`
        select (select count(*) from audit_entries) as entries,
               (select count(*) from merkle_leaves) as leaves,
               (select count(distinct outbox_seq) from merkle_leaves) as distinct_seq,
               (select count(*) from anchor_outbox) as outbox`);
      expect(Number(counts?.entries)).toBe(ACTS * 3);
      expect(Number(counts?.outbox)).toBe(Number(counts?.leaves));
      expect(Number(counts?.distinct_seq)).toBe(Number(counts?.leaves));
      // Every audit entry's leaf is in the log exactly once.
      const orphans = await rows<{ id: number; n: string }>(sql`
        select e.id, count(l.leaf_index) as n from audit_entries e
        left join merkle_leaves l on l.outbox_seq = e.leaf_seq
        group by e.id having count(l.leaf_index) <> 1`);
      expect(orphans).toEqual([]);

      // Heads partition the log: contiguous, each leaf covered by exactly one batch, one transaction each.
      const heads = await rows<{ tree_size: string; previous_size: string; tx_hash: string; status: string }>(
        sql`select tree_size, previous_size, tx_hash, status from tree_heads order by tree_size`,
      );
      expect(heads.length).toBeGreaterThan(1);
      let covered = 0;
      for (const head of heads) {
        expect(head.status).toBe("anchored");
        expect(Number(head.previous_size)).toBe(covered);
        covered = Number(head.tree_size);
      }
      expect(covered).toBe(Number(counts?.leaves));
      expect(new Set(heads.map((h) => h.tx_hash)).size).toBe(heads.length);
      const [overlaps] = await rows<{ n: string }>(sql`
        select count(*) as n from merkle_leaves l
        where (select count(*) from tree_heads h where l.leaf_index >= h.previous_size and l.leaf_index < h.tree_size) <> 1`);
      expect(Number(overlaps?.n)).toBe(0);

      // On chain: one BatchAnchored event (= one anchorBatch transaction) per head, the same sizes, in order.
      const client = createPublicClient({ transport: http(node.rpcUrl) });
      const events = await client.getContractEvents({
        address: contract,
        abi: registryAbi,
        eventName: "BatchAnchored",
        fromBlock: 0n,
      });
      expect(events.map((e) => Number(e.args.treeSize))).toEqual(heads.map((h) => Number(h.tree_size)));
      expect(events.map((e) => e.transactionHash.slice(2).toLowerCase())).toEqual(
        heads.map((h) => h.tx_hash.replace(/^0x/, "").toLowerCase()),
      );
    });

    it("verifies decisions through either instance", async () => {
      expect(acts.length).toBe(ACTS);
      for (const id of acts.filter((_, i) => i % 6 === 0)) {
        for (const base of [urlA, urlB]) {
          const verification = await call(base, "GET", `/audit/${id}/verify`);
          expect(verification.status).toBe(200);
          expect(verification.body.verified).toBe(true);
          expect(verification.body.entries.map((e: Json) => e.anchor.anchored)).toEqual([true, true, true]);
        }
      }
      const ready = await fetch(`${urlB}/readyz`).then((r) => r.json() as Promise<Json>);
      expect(ready.checks.chain.ok).toBe(true);
      expect(ready.checks.cache).toMatchObject({ ok: true });
    });

    it("a correction learned on A changes the suggestions B serves from the shared cache", async () => {
      const metric = async (base: string, result: "hit" | "miss") => {
        const text = await fetch(`${base}/metrics`).then((r) => r.text());
        const line = text
          .split("\n")
          .find((l) => l.startsWith(`ccam_cache_requests_total{cache="suggestions",result="${result}"}`));
        return Number(line?.split(" ").at(-1) ?? 0);
      };
      const created = await call(urlB, "POST", "/actes", {
        patientId: "IPP-SCALE-LEARN",
        performedAt: "2026-03-03T09:00:00Z",
        text: LEARN_TEXT,
      });
      expect(created.status).toBe(201);
      const id = created.body.act.id as string;
      const missesBefore = await metric(urlA, "miss");
      const hitsBefore = await metric(urlB, "hit");
      // Not cached at creation (decision 0007): the first read, on A, computes the same ranking and caches it in
      // Redis; B is served that cached answer.
      const first = await call(urlA, "GET", `/suggestions/${id}`);
      expect(await metric(urlA, "miss")).toBe(missesBefore + 1);
      const codesOf = (result: { suggestions: { code: string }[] }) => result.suggestions.map((s) => s.code);
      expect(codesOf(first.body)).toEqual(codesOf(created.body.suggestions));
      const before = await call(urlB, "GET", `/suggestions/${id}`);
      expect(await metric(urlB, "hit")).toBe(hitsBefore + 1);
      expect(before.body).toEqual(first.body);
      const ranked = before.body.suggestions as { code: string; confidence: number }[];
      expect(ranked.length).toBeGreaterThan(2);
      const [top, , third] = ranked;
      if (!top || !third) throw new Error("expected three suggestions");

      // On A: another act with the same text, overridden to the third suggestion.
      const other = await call(urlA, "POST", "/actes", {
        patientId: "IPP-SCALE-LEARN-2",
        performedAt: "2026-03-03T09:00:00Z",
        text: LEARN_TEXT,
      });
      expect(other.status).toBe(201);
      const overridden = await call(urlA, "POST", `/validation/${other.body.act.id}/override`, {
        codes: [{ code: third.code, activity: 1, phase: 0 }],
        justification: "Geste réalisé selon le compte rendu opératoire, le code proposé ne correspond pas",
      });
      expect(overridden.status).toBe(200);

      // B recomputes (the generation moved on) and ranks the corrected code higher.
      const after = await call(urlB, "GET", `/suggestions/${id}`);
      expect(after.status).toBe(200);
      const reranked = after.body.suggestions as { code: string; confidence: number }[];
      const position = (list: { code: string }[]) => list.findIndex((s) => s.code === third.code);
      expect(position(reranked)).toBeGreaterThanOrEqual(0);
      expect(position(reranked)).toBeLessThan(position(ranked));
    });

    it("stops the worker gracefully on SIGTERM and releases the sending lease; the API instances never anchor", async () => {
      const [holder] = await rows<{ lease_owner: string | null }>(sql`select lease_owner from ledger_state`);
      expect(holder?.lease_owner).toMatch(/^worker-/);
      expect(await stop(worker)).toBe(0);
      const [after] = await rows<{ lease_owner: string | null }>(sql`select lease_owner from ledger_state`);
      expect(after?.lease_owner).toBeNull();

      // Without the worker, a decision is accepted (degraded mode is the chain's, not the API's) and waits:
      // its leaves stay out of the log well past the batch delay (300 ms), since CCAM_LEDGER_WORKER=off.
      const created = await call(urlA, "POST", "/actes", {
        patientId: "IPP-SCALE-AFTER",
        performedAt: "2026-03-03T09:00:00Z",
        text: LOAD_TEXT,
      });
      expect(created.status).toBe(201);
      const id = created.body.act.id as string;
      expect((await call(urlB, "POST", `/validation/${id}`, { codes: LOAD_CODES })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2000));
      const [waiting] = await rows<{ n: string }>(sql`
        select count(*) as n from audit_entries e join anchor_outbox o on o.seq = e.leaf_seq
        where e.act_id = ${id} and o.leaf_index is null`);
      expect(Number(waiting?.n)).toBe(3);
    });
  },
);
