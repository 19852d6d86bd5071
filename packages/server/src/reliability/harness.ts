import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Runs the real, built server (`node packages/server/dist/bundle/main.js`) as a child process on loopback, so faults
 * can be injected from outside: kill -9, stopping its chain node, cutting its database connections.
 */

export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
/** The bundled entry points that `npm start` and `npm run worker` run (decision 0011). */
export const SERVER_BUNDLE = join(REPO, "packages/server/dist/bundle/main.js");
export const WORKER_BUNDLE = join(REPO, "packages/server/dist/bundle/worker.js");
export const SHARED = resolve(process.env.CCAM_SHARED_DIR ?? join(REPO, "../shared"));
export const V81 = join(SHARED, "ccam/ameli/CCAM_V81_2026-01-01.csv");

export const ADMIN = { email: "admin@faults.test", password: "faults admin passphrase 2026" };
export const USER_PASSWORD = "faults user passphrase 2026";

/** Secrets handed to the server through its environment: none may show up in its files, logs or chain. */
export function freshSecrets() {
  return {
    CCAM_JWT_SECRET: `jwt-${randomBytes(24).toString("hex")}`,
    CCAM_MASTER_KEYS: `m1:${randomBytes(32).toString("base64")}`,
    CCAM_PSEUDONYM_KEYS: `p1:${randomBytes(32).toString("base64")}`,
    CCAM_SIGNER_PRIVATE_KEY: `0x${randomBytes(32).toString("hex")}`,
  };
}

let built = false;

/**
 * The scenarios run the built server (`npm run build:server` first; CI builds in `npm ci`). It is built here only when
 * missing, or when CCAM_FAULTS_BUILD=1, once per test file: restarts in a scenario always run the same build.
 */
export function ensureBuilt(): void {
  if (built) return;
  if (!existsSync(SERVER_BUNDLE) || process.env.CCAM_FAULTS_BUILD === "1") {
    try {
      execFileSync("npm", ["run", "build:server"], { cwd: REPO, stdio: "pipe", timeout: 300_000 });
    } catch (error) {
      // Type errors elsewhere in the tree still emit JavaScript; only a missing entry point is fatal.
      if (!existsSync(SERVER_BUNDLE)) throw error;
    }
  }
  built = true;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A data folder and a source folder holding only a link to the real V81 export. */
export function freshFolders(prefix: string): { dataDir: string; sourceDir: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), `ccam-faults-${prefix}-`));
  const dataDir = join(root, "data");
  const sourceDir = join(root, "ameli");
  mkdirSync(dataDir);
  mkdirSync(sourceDir);
  symlinkSync(V81, join(sourceDir, "CCAM_V81_2026-01-01.csv"));
  return { dataDir, sourceDir, root };
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote on stdout and stderr, across its life. */
  logs: string[];
  exited: Promise<number | null>;
  /** SIGKILL: no shutdown hook runs. */
  kill9(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

export async function startServer(options: {
  dataDir: string;
  sourceDir: string;
  env?: Record<string, string | undefined>;
  port?: number;
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  ensureBuilt();
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // The child gets only what the test gives it: no DATABASE_URL or CCAM_* leaking from the runner.
    if (value !== undefined && !key.startsWith("CCAM_") && key !== "DATABASE_URL" && key !== "REDIS_URL")
      env[key] = value;
  }
  Object.assign(env, {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    CCAM_DATA_DIR: options.dataDir,
    CCAM_SOURCE_DIR: options.sourceDir,
    CCAM_SHARED_DIR: SHARED,
    CCAM_NOMENSLAND_DIR: join(SHARED, "ccam/nomensland"),
    CCAM_ADMIN_EMAIL: ADMIN.email,
    CCAM_ADMIN_PASSWORD: ADMIN.password,
    CCAM_AUTH_RATE_LIMIT: "100000",
    CCAM_LEDGER_BATCH_MAX_DELAY_MS: "200",
    CCAM_LOG_LEVEL: "info",
  });
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(process.execPath, [SERVER_BUNDLE], {
    cwd: REPO,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => logs.push(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString("utf8")));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    url,
    port,
    child,
    logs,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`server exited with ${child.exitCode}:\n${logs.join("").slice(-3000)}`);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return server;
    if (Date.now() > deadline) {
      await server.kill9();
      throw new Error(`server not ready within the deadline:\n${logs.join("").slice(-3000)}`);
    }
    await sleep(250);
  }
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Bounded fetch: loopback only, a timeout on every request. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; form?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown; headers: Headers; ms: number }> {
  const started = performance.now();
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(options.body);
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(payload === undefined ? {} : { body: payload }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body, headers: response.headers, ms: performance.now() - started };
}

export async function signInAs(base: string, email: string, password: string): Promise<string> {
  const response = await call(base, "POST", "/auth/token", {
    form: { grant_type: "password", username: email, password },
  });
  if (response.status !== 200)
    throw new Error(`sign-in of ${email}: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body as { access_token: string }).access_token;
}

export interface Team {
  admin: string;
  medecin: string;
  codeur: string;
  auditeur: string;
  dim: string;
}

/** Users of every role the scenarios need, created through the admin API (idempotent across restarts). */
export async function team(base: string): Promise<Team> {
  const admin = await signInAs(base, ADMIN.email, ADMIN.password);
  const roles = {
    medecin: "medecin",
    codeur: "codeur",
    auditeur: "auditeur",
    dim: "superviseur_dim",
  } as const;
  const tokens: Partial<Team> = { admin };
  for (const [name, role] of Object.entries(roles)) {
    const email = `${name}@faults.test`;
    const created = await call(base, "POST", "/admin/users", {
      token: admin,
      body: { email, password: USER_PASSWORD, roles: [role] },
    });
    if (created.status !== 201 && created.status !== 409) {
      throw new Error(`create ${email}: ${created.status} ${JSON.stringify(created.body)}`);
    }
    tokens[name as keyof Team] = await signInAs(base, email, USER_PASSWORD);
  }
  return tokens as Team;
}

/** What the load sends: a hip replacement and the two lines that validate it (surgeon + anaesthetist). */
export const CLINICAL_TEXT =
  "Mise en place d'une prothèse totale de hanche droite cimentée par voie postéro-latérale pour coxarthrose";
export const VALID_CODES = [
  { code: "NEKA020", activity: 1, phase: 0 },
  { code: "NEKA020", activity: 4, phase: 0 },
];
export const patientId = (i: number) => `IPP-FAULTS-${String(i).padStart(6, "0")}`;

export interface Ack {
  id: string;
  patientId: string;
  validated: boolean;
}

export interface LoadReport {
  acks: Map<string, Ack>;
  requests: number;
  /** Status → count; "network" for refused or timed-out connections. */
  outcomes: Map<string, number>;
  latenciesMs: number[];
}

/**
 * Steady load of act creations and validations by `workers` concurrent clients, until `stop()` returns true,
 * `maxActs` acts were attempted or `maxMs` passed, whichever comes first. Every 2xx is recorded as acknowledged.
 */
export async function runLoad(options: {
  base: () => string;
  tokens: () => Team;
  workers: number;
  maxActs: number;
  maxMs: number;
  stop?: () => boolean;
  firstPatient?: number;
  report?: LoadReport;
  pauseMs?: number;
}): Promise<LoadReport> {
  const report: LoadReport = options.report ?? {
    acks: new Map(),
    requests: 0,
    outcomes: new Map(),
    latenciesMs: [],
  };
  const deadline = Date.now() + options.maxMs;
  let next = options.firstPatient ?? 0;
  const last = next + options.maxActs;
  const count = (key: string) => report.outcomes.set(key, (report.outcomes.get(key) ?? 0) + 1);
  const attempt = async (method: string, path: string, token: string, body: unknown) => {
    report.requests++;
    try {
      const response = await call(options.base(), method, path, { token, body, timeoutMs: 20_000 });
      // An error must be problem+json: one that is not is counted apart, and no scenario accepts it.
      const problem = /^application\/problem\+json/.test(response.headers.get("content-type") ?? "");
      count(
        response.status >= 400 && !problem
          ? `${response.status} (not problem+json)`
          : String(response.status),
      );
      report.latenciesMs.push(response.ms);
      return response;
    } catch {
      count("network");
      return undefined;
    }
  };
  const worker = async () => {
    while (Date.now() < deadline && next < last && !options.stop?.()) {
      const i = next++;
      const tokens = options.tokens();
      const created = await attempt("POST", "/actes", tokens.medecin, {
        patientId: patientId(i),
        performedAt: "2026-03-02T10:30:00Z",
        specialty: "orthopédie",
        text: CLINICAL_TEXT,
        setting: "secteur1",
        patient: { sex: "F", ageYears: 72 },
      });
      if (created?.status !== 201) {
        await sleep(options.pauseMs ?? 50);
        continue;
      }
      const id = (created.body as { act: { id: string } }).act.id;
      const ack: Ack = { id, patientId: patientId(i), validated: false };
      report.acks.set(id, ack);
      if (options.stop?.() || Date.now() >= deadline) break;
      const validated = await attempt("POST", `/validation/${id}`, options.tokens().codeur, {
        codes: VALID_CODES,
      });
      if (validated && validated.status === 200) ack.validated = true;
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return report;
}

/**
 * Checks every acknowledged write after recovery: the act is there (validated ones with their codes and the
 * clinical text readable), its audit chain verifies, and every entry is anchored, waiting (within `timeoutMs`) for
 * the backlog to drain. Reading an act as a coder is itself audited: all reads first, then one wait for anchoring.
 */
export async function checkAcknowledged(
  base: string,
  tokens: Team,
  acks: Iterable<Ack>,
  timeoutMs = 120_000,
): Promise<{ checked: number; lost: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const lost: string[] = [];
  const waiting = new Map<string, Ack>();
  let checked = 0;
  for (const ack of acks) {
    checked++;
    const act = await call(base, "GET", `/actes/${ack.id}`, { token: tokens.codeur });
    if (act.status !== 200) {
      lost.push(`${ack.id}: GET /actes → ${act.status}`);
      continue;
    }
    const view = act.body as { status: string; codes: { code: string }[]; text?: string };
    if (ack.validated && (view.status !== "validated" || view.codes.length !== VALID_CODES.length)) {
      lost.push(`${ack.id}: validated decision missing (status ${view.status}, ${view.codes.length} codes)`);
      continue;
    }
    if (view.text !== CLINICAL_TEXT) {
      lost.push(`${ack.id}: clinical text not readable back`);
      continue;
    }
    waiting.set(ack.id, ack);
  }
  for (;;) {
    for (const [id, ack] of waiting) {
      const verification = await call(base, "GET", `/audit/${id}/verify`, { token: tokens.auditeur });
      const body = verification.body as {
        verified: boolean;
        chain: { ok: boolean };
        entries: { kind: string; anchor: { anchored: boolean; ok: boolean | null } }[];
        differences: string[];
      };
      const kinds = body.entries?.map((e) => e.kind) ?? [];
      const complete = ack.validated ? kinds.includes("act.validated") : kinds.includes("act.created");
      const anchored = body.entries?.every((e) => e.anchor.anchored && e.anchor.ok === true);
      const broken =
        verification.status !== 200 || !body.chain.ok || body.differences.length > 0 || !complete;
      if (!broken && body.verified && anchored) {
        waiting.delete(id);
        continue;
      }
      if (broken || Date.now() > deadline) {
        waiting.delete(id);
        const entries = body.entries?.map(
          (e) =>
            `${e.kind}:${e.anchor.anchored ? (e.anchor.ok ? "anchored" : "anchor-failed") : "not-anchored"}`,
        );
        lost.push(
          `${id}: verify ${verification.status} verified=${body.verified} chain=${JSON.stringify(body.chain)} entries=${entries?.join(",")} differences=${JSON.stringify(body.differences)} (validated ack: ${ack.validated})`,
        );
      }
    }
    if (waiting.size === 0) break;
    await sleep(1000);
  }
  return { checked, lost };
}

/** The embedded anvil of a data folder: its pid (the ledger writes it next to the state file) and RPC URL. */
export function embeddedChain(dataDir: string): { pid: number; rpcUrl: string } {
  const pid = Number.parseInt(readFileSync(join(dataDir, "chain", "anvil-state.json.pid"), "utf8"), 10);
  const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const port = args[args.indexOf("--port") + 1];
  return { pid, rpcUrl: `http://127.0.0.1:${port}` };
}

/**
 * After a scenario: the anvil a killed server left behind (its pid next to the state file), if it still runs on
 * this data folder. The next server start would stop it; a scenario that failed half-way has no next start.
 */
export function stopLeftoverChain(dataDir: string): void {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, "chain", "anvil-state.json.pid"), "utf8"), 10);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (cmdline.includes("anvil") && cmdline.includes(dataDir)) {
      process.kill(pid, "SIGCONT");
      process.kill(pid, "SIGTERM");
    }
  } catch {
    // No pid file, or the process is gone: nothing to stop.
  }
}
