// HTTP and end-to-end benchmarks of the built server (issue #8), on loopback, with autocannon:
//   node packages/server/scripts/bench.mjs [--json] [--acts N] [--duration S] [--engines pglite,pg]
// (also run by `npm run bench`). For each engine (embedded PGlite; PostgreSQL at DATABASE_URL, default the CI
// server postgres://postgres@127.0.0.1:5432/test when reachable, in a throw-away schema): a first start imports
// the shared folder's CCAM exports (V81, V78), as npm start does, into a fresh data folder / schema; then cold
// starts (spawn → /readyz 200 on the imported data); suggestion latency over HTTP (POST /suggestions/preview,
// texts below, 1 and 8 connections); end to end: N acts created then validated (autocannon request chain), timed
// until every audit leaf is anchored on the embedded chain (its anchored size sampled meanwhile: the steady-state
// rate); chain transactions counted on the chain (BatchAnchored
// events); then the 2,050 distinct texts of the coder's self-check cases once each (latency on varied text); peak
// RSS of the server process (VmHWM) over all of it, and over the first start.
// Every load is bounded in requests and time. With --json the last line is one JSON object.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readCases } from "@ccam/coder";
import { ANVIL_DEV_PRIVATE_KEY, registryAbi } from "@ccam/ledger";
import autocannon from "autocannon";
import pg from "pg";
import { createPublicClient, http } from "viem";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const SHARED = resolve(process.env.CCAM_SHARED_DIR ?? join(ROOT, "../shared"));
const AMELI = join(SHARED, "ccam/ameli");

const args = process.argv.slice(2);
const json = args.includes("--json");
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const E2E_CONNECTIONS = 16;
// A whole number of create → validate chains per connection.
// 6,000 by default: long enough that the last batch's wait (up to the 2 s maximum delay, then a block) weighs
// little against the steady state.
const ACTS = Math.ceil(Number(option("--acts", "6000")) / E2E_CONNECTIONS) * E2E_CONNECTIONS;
const DURATION = Number(option("--duration", "10"));
const ENGINES = option("--engines", "pglite,pg").split(",");
// --profile DIR: the server processes write V8 CPU profiles there (node --cpu-prof), for finding bottlenecks.
const PROFILE_DIR = option("--profile", undefined);
// --e2e-only: one instance's end-to-end run alone: no cold starts, latency runs or second instance (for profiles).
const E2E_ONLY = args.includes("--e2e-only");
const COLD_STARTS = 3;
const ANCHOR_TIMEOUT_MS = 180_000;
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ADMIN = { email: "admin@bench.local", password: "bench-admin-password-1" };
const CODER = { email: "codeur@bench.local", password: "bench-codeur-password-1" };

// Hand-written for the benchmark (not the coder's evaluation cases): short and long, abbreviations, typos.
const TEXTS = [
  "Cholécystectomie par cœlioscopie pour lithiase vésiculaire symptomatique",
  "Appendicectomie par laparoscopie, appendicite aiguë non compliquée",
  "PTH droite cimentée voie postéro-latérale, coxarthrose évoluée",
  "Prothèse totale de genou gauche sans resurfaçage rotulien",
  "Arthroscopie du genou droit avec méniscectomie interne partielle",
  "Coloscopie totale avec biopsies étagées, patient de 62 ans",
  "Fibroscopie oeso-gastro-duodénale diagnostique avec test à l'uréase",
  "Extraction de cataracte œil gauche par phacoémulsification avec implant",
  "Césarienne programmée sous rachianesthésie, grossesse à terme",
  "Cure de hernie inguinale droite par voie ouverte avec prothèse",
  "Réduction orthopédique d'une fracture de l'extrémité distale du radius, plâtre",
  "Ostéosynthèse de fracture du col du fémur par vis-plaque",
  "Exérèse d'un nævus du dos avec suture simple, lésion de 8 mm",
  "Pose de chambre implantable veineuse par voie jugulaire sous échographie",
  "Échographie abdominale complète pour douleurs de l'hypochondre droit",
  "Scanner thoracique sans injection pour suivi de nodule pulmonaire",
  "IRM du genou gauche, suspicion de rupture du ligament croisé antérieur",
  "Amygdalectomie bilatérale chez l'enfant par dissection",
  "Thyroïdectomie totale pour goitre multinodulaire",
  "Hystérectomie totale par cœlioscopie avec annexectomie bilatérale",
  "Coronarographie avec angioplastie et pose d'un stent sur l'IVA",
  "Pose de pacemaker double chambre par voie veineuse",
  "Ablation de matériel d'ostéosynthèse de la cheville",
  "Infiltration épidurale lombaire sous scopie",
  "Biopsie de prostate transrectale échoguidée, 12 prélèvements",
  "Résection transurétrale de la prostate pour hypertrophie bénigne",
  "Urétéroscopie souple avec fragmentation laser d'un calcul rénal",
  "Cystoscopie diagnostique avec fibroscope souple",
  "Suture de plaie de la main de moins de 3 cm, sans atteinte tendineuse",
  "Drainage d'un abcès de la marge anale sous anesthésie générale",
  "Ligature élastique d'hémorroïdes internes",
  "Mastectomie partielle avec ganglion sentinelle axillaire",
  "Canal carpien droit : libération du nerf médian à ciel ouvert",
  "Électrocardiogramme de repos 12 dérivations",
  "Ponction lombaire à visée diagnostique",
  "Gastrostomie percutanée endoscopique chez un patient dénutri",
  "Sleeve gastrectomie par laparoscopie, IMC 42",
  "ménisectomie genou g sous arthro",
  "Pose de drain thoracique pour pneumothorax complet",
  "Trachéotomie chirurgicale en réanimation",
];

// Varied texts, each sent once: the distinct texts of the coder's committed self-check cases (2,050 of 2,070
// cases). Its memos and profiles grow with the variety of what it reads, so the peak RSS is taken after them, not
// after 40 texts.
const CODER_DATA = join(ROOT, "packages/coder/data");
const VARIED = [
  ...new Set(
    (
      await Promise.all(
        readdirSync(CODER_DATA)
          .filter((file) => file.endsWith(".jsonl"))
          .map((file) => readCases(join(CODER_DATA, file))),
      )
    )
      .flat()
      .map((c) => c.text),
  ),
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (x, digits = 1) =>
  x === null || x === undefined ? null : Math.round(x * 10 ** digits) / 10 ** digits;

async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

// The server runs as `npm start` runs it: its command after the build (the launcher that sets Node's memory flags
// for the engine, decisions 0008, 0010 to 0012). With exec, the launcher's pid is the server's.
const START = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"))
  .scripts.start.split("&&")
  .at(-1)
  .trim()
  .split(/\s+/);

function spawnServer(env) {
  // Node refuses --cpu-prof in NODE_OPTIONS: the launcher passes its arguments on to node.
  const profile = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${resolve(PROFILE_DIR)}`] : [];
  const child = spawn(START[0], [...START.slice(1), ...profile], {
    cwd: ROOT,
    env: {
      // The launcher's `node` is this very Node.
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  let rest = "";
  child.stdout.on("data", (chunk) => {
    const parts = (rest + chunk.toString("utf8")).split("\n");
    rest = parts.pop() ?? "";
    // Keep the start-up lines only (the request logs are drained, not kept).
    for (const line of parts) if (lines.length < 200 && !line.includes('"reqId"')) lines.push(line);
  });
  child.stderr.on("data", (chunk) => lines.length < 400 && lines.push(chunk.toString("utf8")));
  const exited = new Promise((done) => child.once("exit", (code) => done(code)));
  return { child, lines, exited };
}

async function stopServer(server) {
  if (server.child.exitCode !== null) return;
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 20_000);
  await server.exited;
  clearTimeout(timer);
}

/** ms from spawn until /readyz answers 200. */
async function waitReady(url, server, started, timeoutMs = 240_000) {
  while (performance.now() - started < timeoutMs) {
    if (server.child.exitCode !== null)
      throw new Error(`server exited (${server.child.exitCode}):\n${server.lines.join("\n")}`);
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return performance.now() - started;
    await sleep(10);
  }
  throw new Error(`server not ready within ${timeoutMs} ms:\n${server.lines.join("\n")}`);
}

/** Current resident set size (VmRSS) of a process, in MiB. */
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Peak resident set size (VmHWM) of a process, in MiB. */
function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // the process ended meanwhile
  }
}

/** CPU time of every local `postgres` process (the server and all its backends, whoever they serve), in ms. */
function postgresCpuMs() {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/stat`, "utf8").includes(" (postgres) ")) total += cpuMs(entry);
    } catch {
      // not readable or gone
    }
  }
  return total;
}

/** The embedded chain of a data folder: anvil's port from its command line (pid file), the registry address. */
function chainOf(dataDir) {
  const pid = readFileSync(join(dataDir, "chain/anvil-state.json.pid"), "utf8").trim();
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const port = cmdline[cmdline.indexOf("--port") + 1];
  const record = JSON.parse(readFileSync(join(dataDir, "chain/registry.json"), "utf8"));
  return { rpcUrl: `http://127.0.0.1:${port}`, contract: record.address };
}

/** anchorBatch transactions on the chain: the registry's BatchAnchored events (registerReferential emits another). */
async function anchorTransactions(chain) {
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  const events = await client.getContractEvents({
    address: chain.contract,
    abi: registryAbi,
    eventName: "BatchAnchored",
    fromBlock: 0n,
  });
  return { transactions: new Set(events.map((e) => e.transactionHash)).size, events: events.length };
}

/**
 * Acts anchored per second while 10 % to 90 % of the run's leaves (3 per act) were reaching the chain: the
 * least-squares slope of the sampled anchored size over that window, so the steady state without the start-up or
 * the final batch's wait. Heads land a round at a time (a block, 1 s), hence a fit rather than two end points.
 */
function steadyRate(samples, before, leaves) {
  const window = samples.filter((s) => s.size - before >= 0.1 * leaves && s.size - before <= 0.9 * leaves);
  if (window.length < 4) return null;
  const mean = (f) => window.reduce((sum, s) => sum + f(s), 0) / window.length;
  const ms = mean((s) => s.ms);
  const size = mean((s) => s.size);
  const slope =
    window.reduce((sum, s) => sum + (s.ms - ms) * (s.size - size), 0) /
    window.reduce((sum, s) => sum + (s.ms - ms) ** 2, 0);
  return round((slope / 3) * 1000, 1);
}

async function metric(url, name) {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(" ").at(-1)) : Number.NaN;
}

async function signIn(url) {
  const token = async (user) => {
    const response = await fetch(`${url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "password", username: user.email, password: user.password }),
    });
    if (response.status !== 200)
      throw new Error(`sign-in ${user.email}: ${response.status} ${await response.text()}`);
    return (await response.json()).access_token;
  };
  const admin = await token(ADMIN);
  const created = await fetch(`${url}/admin/users`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ ...CODER, roles: ["codeur", "medecin"] }),
  });
  if (created.status !== 201 && created.status !== 409) throw new Error(`create user: ${created.status}`);
  return token(CODER);
}

async function preview(url, token) {
  const response = await fetch(`${url}/suggestions/preview`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ text: TEXTS[0], performedAt: "2026-03-02" }),
  });
  if (response.status !== 200) throw new Error(`preview: ${response.status} ${await response.text()}`);
}

/** autocannon run; latencies of every response collected to compute p50/p95/p99 exactly. */
function load(options) {
  return new Promise((done, fail) => {
    const latencies = [];
    const instance = autocannon(options, (error, result) =>
      error ? fail(error) : done({ result, latencies }),
    );
    instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

/** `POST /suggestions/preview` with `texts` in turn: for DURATION seconds, or with `once` each text once. */
async function suggestionLatency(url, token, connections, texts = TEXTS, once = false) {
  let i = 0;
  const request = () => ({
    method: "POST",
    path: "/suggestions/preview",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    setupRequest: (req) => ({
      ...req,
      body: JSON.stringify({ text: texts[i++ % texts.length], performedAt: "2026-03-02" }),
    }),
  });
  const { result, latencies } = await load({
    url,
    connections,
    ...(once ? { amount: texts.length } : { duration: DURATION, maxOverallRequests: 200_000 }),
    requests: [request()],
  });
  const sorted = latencies.sort((a, b) => a - b);
  return {
    connections,
    requests: sorted.length,
    non2xx: result.non2xx,
    rps: round(result.requests.average, 0),
    p50: round(pct(sorted, 50), 2),
    p95: round(pct(sorted, 95), 2),
    p99: round(pct(sorted, 99), 2),
  };
}

/** N acts created then validated, spread over `urls` (one autocannon per instance), until all anchored. */
async function endToEnd(urls, token, chain, pids) {
  const url = urls[0];
  const before = await anchorTransactions(chain);
  const treeBefore = await metric(url, "ccam_ledger_tree_size");
  let created = 0;
  let validated = 0;
  let failures = 0;
  let n = 0;
  // autocannon calls back on its next one-second tick: the last response's own time is the end of the requests.
  let lastResponseAt = 0;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  // CPU used per act (load-independent where wall-clock throughput is not): the server process(es), the local
  // PostgreSQL (all its processes), and this harness (autocannon).
  const cpuBefore = {
    server: pids.reduce((t, pid) => t + cpuMs(pid), 0),
    pg: postgresCpuMs(),
    harness: cpuMs(process.pid),
  };
  const loadBefore = loadavg()[0];
  const started = performance.now();
  // The chain's anchored size while the load runs (read on the chain, not through the server): the rate at which
  // acts leave the whole pipeline in its steady state, apart from the last batch's wait once the load stops.
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  const anchoredSamples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const size = await client.readContract({
        address: chain.contract,
        abi: registryAbi,
        functionName: "latestSize",
      });
      anchoredSamples.push({ ms: performance.now() - started, size: Number(size) });
      await sleep(250);
    }
  })();
  const runs = await Promise.all(
    urls.map((target) =>
      load({
        url: target,
        connections: E2E_CONNECTIONS / urls.length,
        amount: (ACTS * 2) / urls.length,
        timeout: 30,
        requests: [
          {
            method: "POST",
            path: "/actes",
            headers,
            setupRequest: (req) => {
              const i = n++;
              return {
                ...req,
                body: JSON.stringify({
                  patientId: `IPP-BENCH-${i % 500}`,
                  performedAt: "2026-03-02T10:00:00Z",
                  text: TEXTS[i % TEXTS.length],
                }),
              };
            },
            onResponse: (status, body, context) => {
              if (status === 201) {
                created++;
                context.id = JSON.parse(body).act.id;
              } else failures++;
            },
          },
          {
            method: "POST",
            headers,
            setupRequest: (req, context) =>
              context.id
                ? {
                    ...req,
                    path: `/validation/${context.id}`,
                    body: JSON.stringify({ codes: [{ code: "HMFC004", activity: 1, phase: 0 }] }),
                  }
                : undefined,
            onResponse: (status) => {
              lastResponseAt = performance.now();
              status === 200 ? validated++ : failures++;
            },
          },
        ],
      }),
    ),
  );
  const result = { non2xx: runs.reduce((n, r) => n + r.result.non2xx, 0) };
  const requestsDoneMs = lastResponseAt - started;
  // Until every leaf written by this run is anchored (bounded).
  const expectedTree = treeBefore + validated * 3;
  let anchoredAtMs = null;
  while (performance.now() - started < ANCHOR_TIMEOUT_MS) {
    const [anchored, depth] = await Promise.all([
      metric(url, "ccam_ledger_anchored_size"),
      metric(url, "ccam_anchoring_queue_depth"),
    ]);
    if (anchored >= expectedTree && depth === 0) {
      anchoredAtMs = performance.now() - started;
      break;
    }
    await sleep(50);
  }
  sampling = false;
  await sampler;
  const cpu = {
    server: pids.reduce((t, pid) => t + cpuMs(pid), 0) - cpuBefore.server,
    pg: postgresCpuMs() - cpuBefore.pg,
    harness: cpuMs(process.pid) - cpuBefore.harness,
  };
  const after = await anchorTransactions(chain);
  const transactions = after.transactions - before.transactions;
  return {
    acts: validated,
    created,
    failures,
    non2xx: result.non2xx,
    connections: E2E_CONNECTIONS,
    instances: urls.length,
    requestsDoneMs: round(requestsDoneMs, 0),
    allAnchoredMs: round(anchoredAtMs, 0),
    actsPerSec: anchoredAtMs ? round((validated / anchoredAtMs) * 1000, 1) : null,
    requestActsPerSec: round((validated / requestsDoneMs) * 1000, 1),
    sustainedActsPerSec: steadyRate(anchoredSamples, treeBefore, validated * 3),
    chainTransactions: transactions,
    chainTxPer1000Acts: round((transactions / validated) * 1000, 2),
    chainTxPer1000Leaves: round((transactions / (validated * 3)) * 1000, 2),
    oneTransactionPerBatch: after.events - before.events === transactions,
    serverCpuMsPerAct: round(cpu.server / validated, 2),
    postgresCpuMsPerAct: round(cpu.pg / validated, 2),
    harnessCpuMsPerAct: round(cpu.harness / validated, 2),
    loadAverage1m: [round(loadBefore, 2), round(loadavg()[0], 2)],
  };
}

async function pgReachable(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropSchema(url, schema) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

async function benchEngine(engine) {
  const dataDir = mkdtempSync(join(tmpdir(), `ccam-bench-${engine}-`));
  const schema = engine === "pg" ? `bench_${randomBytes(4).toString("hex")}` : undefined;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    HOST: "127.0.0.1",
    PORT: String(port),
    CCAM_DATA_DIR: dataDir,
    CCAM_SHARED_DIR: SHARED,
    // Every official export of the shared folder, as `npm start` imports them (V81 and V78).
    CCAM_SOURCE_DIR: AMELI,
    CCAM_LOG_LEVEL: "info",
    CCAM_ADMIN_EMAIL: ADMIN.email,
    CCAM_ADMIN_PASSWORD: ADMIN.password,
    CCAM_AUTH_RATE_LIMIT: "1000",
    ...(schema ? { DATABASE_URL: PG_URL, CCAM_DATABASE_SCHEMA: schema } : {}),
    ...(engine === "pg" && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    // PostgreSQL runs also start a second instance: both need the same token and application keys.
    ...(engine === "pg"
      ? {
          CCAM_JWT_SECRET: randomBytes(32).toString("hex"),
          CCAM_PSEUDONYM_KEYS: `p1:${randomBytes(32).toString("base64")}`,
          CCAM_MASTER_KEYS: `m1:${randomBytes(32).toString("base64")}`,
          CCAM_SIGNER_PRIVATE_KEY: `0x${randomBytes(32).toString("hex")}`,
        }
      : {}),
  };
  const out = { engine };
  try {
    let started = performance.now();
    let server = spawnServer(env);
    out.firstStartWithImportMs = round(await waitReady(url, server, started), 0);
    // One suggestion builds the coder's index and saves it in the data folder, as the first day of use would:
    // later starts load it from there.
    await preview(url, await signIn(url));
    out.firstStartPeakRssMb = round(peakRssMb(server.child.pid), 0);
    await stopServer(server);
    const cold = [];
    for (let i = 0; i < (E2E_ONLY ? 1 : COLD_STARTS); i++) {
      started = performance.now();
      server = spawnServer(env);
      cold.push(await waitReady(url, server, started));
      if (i < (E2E_ONLY ? 1 : COLD_STARTS) - 1) await stopServer(server);
    }
    out.coldStartMs = round(cold.sort((a, b) => a - b)[Math.floor(cold.length / 2)], 0);
    out.coldStartsMs = cold.map((c) => round(c, 0));
    const token = await signIn(url);
    // First suggestion after start: builds (or loads from its cache file) the coder's index.
    started = performance.now();
    await preview(url, token);
    out.firstSuggestionMs = round(performance.now() - started, 0);
    out.rssAfterStartMb = round(rssMb(server.child.pid), 0);
    if (!E2E_ONLY) {
      await suggestionLatency(url, token, 1); // warm-up pass (JIT, caches), not reported
      out.suggest = [await suggestionLatency(url, token, 1), await suggestionLatency(url, token, 8)];
    }
    const chain = chainOf(dataDir);
    out.e2e = await endToEnd([url], token, chain, [server.child.pid]);
    if (!E2E_ONLY) out.varied = await suggestionLatency(url, token, 1, VARIED, true);
    out.peakRssMb = round(peakRssMb(server.child.pid), 0);
    if (engine === "pg" && !E2E_ONLY) {
      // Scale-out on the same machine: a second instance (anchoring off, rpc to the first one's chain) takes
      // half of the load; the first keeps anchoring.
      const portB = await freePort();
      const urlB = `http://127.0.0.1:${portB}`;
      const dirB = mkdtempSync(join(tmpdir(), "ccam-bench-pg-b-"));
      const second = spawnServer({
        ...env,
        PORT: String(portB),
        CCAM_DATA_DIR: dirB,
        CCAM_IMPORT_ON_START: "false",
        CCAM_LEDGER_WORKER: "off",
        CCAM_LEDGER_MODE: "rpc",
        CCAM_CHAIN_RPC_URL: chain.rpcUrl,
        CCAM_CHAIN_CONTRACT: chain.contract,
        CCAM_CHAIN_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
      });
      try {
        await waitReady(urlB, second, performance.now());
        await preview(urlB, token);
        out.e2eTwoInstances = await endToEnd([url, urlB], token, chain, [server.child.pid, second.child.pid]);
      } finally {
        await stopServer(second);
        rmSync(dirB, { recursive: true, force: true });
      }
    }
    await stopServer(server);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) await dropSchema(PG_URL, schema).catch(() => {});
  }
  return out;
}

const results = {};
const loadAtStart = loadavg();
for (const engine of ENGINES) {
  if (engine === "pg" && !(await pgReachable(PG_URL))) {
    console.log(`PostgreSQL not reachable at ${PG_URL.replace(/\/\/[^@]*@/, "//…@")}: pg skipped`);
    continue;
  }
  console.log(`\n### ${engine}`);
  const r = await benchEngine(engine);
  results[engine] = r;
  console.log(`first start (migrations + import of V81 and V78): ${r.firstStartWithImportMs} ms`);
  console.log(
    `cold start to /readyz 200 (median of ${COLD_STARTS}): ${r.coldStartMs} ms (${r.coldStartsMs.join(", ")})`,
  );
  console.log(`first suggestion after start: ${r.firstSuggestionMs} ms`);
  for (const s of r.suggest ?? [])
    console.log(
      `POST /suggestions/preview, ${s.connections} connection(s): p50 ${s.p50} / p95 ${s.p95} / p99 ${s.p99} ms, ${s.rps} req/s (${s.requests} requests, ${s.non2xx} non-2xx)`,
    );
  const e = r.e2e;
  console.log(
    `end to end, ${e.acts} acts (create + validate, ${e.connections} connections): requests done in ${e.requestsDoneMs} ms, all anchored at ${e.allAnchoredMs} ms → ${e.actsPerSec} acts/s (${e.failures} failures; anchored at ${e.sustainedActsPerSec} acts/s in the steady state)`,
  );
  console.log(
    `CPU per act: server ${e.serverCpuMsPerAct} ms, local PostgreSQL ${engine === "pg" ? `${e.postgresCpuMsPerAct} ms` : "(not used)"}, harness (autocannon) ${e.harnessCpuMsPerAct} ms; load average ${e.loadAverage1m.join(" → ")}`,
  );
  console.log(
    `chain: ${e.chainTransactions} anchor transactions = ${e.chainTxPer1000Acts} per 1,000 acts (${e.chainTxPer1000Leaves} per 1,000 audit leaves); one per batch: ${e.oneTransactionPerBatch}`,
  );
  if (r.e2eTwoInstances) {
    const t = r.e2eTwoInstances;
    console.log(
      `end to end on two instances (the second with anchoring off): ${t.acts} acts, all anchored at ${t.allAnchoredMs} ms → ${t.actsPerSec} acts/s (${t.failures} failures)`,
    );
  }
  if (r.varied) {
    const v = r.varied;
    console.log(
      `then POST /suggestions/preview on ${v.requests} distinct texts once each (the coder's self-check cases), 1 connection: p50 ${v.p50} / p95 ${v.p95} / p99 ${v.p99} ms (${v.non2xx} non-2xx)`,
    );
  }
  console.log(
    `RSS of the server process: ${r.rssAfterStartMb} MiB after start and one suggestion; peak (VmHWM) ${r.peakRssMb} MiB over the run; first start with the import: peak ${r.firstStartPeakRssMb} MiB`,
  );
}

const p95 = (engine) => results[engine]?.suggest?.[0]?.p95 ?? null;
const summary = {
  suggestP50Ms: results.pglite?.suggest?.[0]?.p50 ?? null,
  suggestP95Ms: Math.max(p95("pglite") ?? 0, p95("pg") ?? 0) || null,
  suggestP99Ms: results.pglite?.suggest?.[0]?.p99 ?? null,
  e2eActsPerSecPg: results.pg?.e2e.actsPerSec ?? null,
  e2eActsPerSecPgTwoInstances: results.pg?.e2eTwoInstances?.actsPerSec ?? null,
  e2eActsPerSecPglite: results.pglite?.e2e.actsPerSec ?? null,
  chainTxPer1000: results.pg?.e2e.chainTxPer1000Acts ?? results.pglite?.e2e.chainTxPer1000Acts ?? null,
  coldStartMs: Math.max(results.pglite?.coldStartMs ?? 0, results.pg?.coldStartMs ?? 0) || null,
  suggestVariedP95Ms: Math.max(results.pglite?.varied?.p95 ?? 0, results.pg?.varied?.p95 ?? 0) || null,
  peakRssMb: Math.max(results.pglite?.peakRssMb ?? 0, results.pg?.peakRssMb ?? 0) || null,
  firstStartPeakRssMb:
    Math.max(results.pglite?.firstStartPeakRssMb ?? 0, results.pg?.firstStartPeakRssMb ?? 0) || null,
  // The machine is shared: wall-clock figures depend on what else runs (1, 5 and 15 min load averages).
  loadAverage: { start: loadAtStart.map((x) => round(x, 2)), end: loadavg().map((x) => round(x, 2)) },
  engines: results,
};
console.log(
  `load average at start ${summary.loadAverage.start.join(" / ")}, at end ${summary.loadAverage.end.join(" / ")}`,
);
if (json) console.log(JSON.stringify(summary));
