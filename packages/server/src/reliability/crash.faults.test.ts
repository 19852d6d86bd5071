import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
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
  type Team,
  team,
  USER_PASSWORD,
} from "./harness.js";
import { recordResult } from "./results.js";

/**
 * kill -9 of the real server under a steady load of act creations and validations, twice; restart on the same
 * data folder (embedded PGlite and chain). Every request that got a 2xx is still there, its audit chain verifies
 * and it is anchored after recovery. Then the data folder, the logs and the chain are scanned for clear
 * identifiers, clinical text and secrets.
 */

const CYCLES = 2;
const WORKERS = 4;

describe("crash: kill -9 under load, restart, nothing acknowledged is lost", () => {
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
  afterAll(async () => {
    if (server) {
      logs.push(...server.logs);
      await server.stop();
    }
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
