import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";

/** The one database type every module codes against: the same Drizzle API over PGlite or node-postgres. */
export type Database = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/** What a subscription to a notification channel is told. */
export interface NotificationHandlers {
  /** A notification arrived on the channel. */
  notify(payload: string): void;
  /**
   * The subscription started (true) or stopped (false) hearing the channel. Notifications sent while it is not
   * live are lost for good: state kept in step with them must be dropped, or not trusted, until it is live again.
   */
  live(up: boolean): void;
}

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: "pglite" | "postgres";
  /** Human-readable location, never containing a password. */
  readonly location: string;
  /** Postgres schema the tables live in (search_path), when not the default. */
  readonly schema: string | undefined;
  /**
   * Subscribes to a notification channel (LISTEN), live once resolved if the database answers. On PostgreSQL on
   * a connection of its own, which is watched and re-opened when lost; closing the database ends it.
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… connection string; when absent the embedded PGlite is used. */
  url?: string | undefined;
  /** Folder of the embedded PGlite database; `undefined` with no url means in-memory. */
  dataDir?: string | undefined;
  /** Put every table in this schema (created if missing). Used to isolate test runs on a shared server. */
  schema?: string | undefined;
  /** Maximum pool size on PostgreSQL. */
  poolSize?: number | undefined;
}

export class DatabaseLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${pid} (a running server?). ` +
        "PGlite allows a single process: stop that process, or point both at PostgreSQL with DATABASE_URL.",
    );
    this.name = "DatabaseLockedError";
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`Invalid schema name "${options.schema}"`);
  }
  return options.url ? openPostgres(options.url, options) : openPglite(options);
}

/**
 * A pool that never loses a client to a dead connection. Drizzle's `transaction()` sends BEGIN before its
 * try/finally, so a connection killed between checkout and BEGIN was never released: after ten such losses every
 * request waited for a client forever (seen in the connection-loss fault test). Here a client whose connection
 * ends while checked out is released at once (and dropped by the pool), and a second release is a no-op.
 */
class ReleasingPool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: pg's connect has promise and callback overloads.
  override connect(callback?: any): any {
    if (callback) {
      return super.connect((error, client, done) => {
        if (client) guardRelease(client);
        callback(error, client, client ? client.release : done);
      });
    }
    return super.connect().then((client) => {
      guardRelease(client);
      return client;
    });
  }
}

function guardRelease(client: pg.PoolClient): void {
  const release = client.release;
  let released = false;
  const onEnd = () => releaseOnce(new Error("connection ended while checked out"));
  const releaseOnce = (error?: Error | boolean) => {
    if (released) return;
    released = true;
    client.removeListener("end", onEnd);
    release(error);
  };
  client.release = releaseOnce;
  client.once("end", onEnd);
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const schema = options.schema;
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Checked first: a restricted application role may use the schema without the right to create one.
      const found = await admin.query("select 1 from pg_namespace where nspname = $1", [schema]);
      if (found.rowCount === 0) await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  // Nothing waits forever: a request that cannot get a connection, a lock or an answer in time fails (503 at the
  // HTTP edge) instead of hanging, and a transaction left open by a lost client is ended by the server.
  const settings = [
    ...(schema ? [`search_path=${schema}`] : []),
    "lock_timeout=15000",
    "statement_timeout=60000",
    "idle_in_transaction_session_timeout=60000",
  ];
  const pool = new ReleasingPool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    options: settings.map((setting) => `-c ${setting}`).join(" "),
  });
  // An idle client losing its connection must not crash the process; the next query reports the error.
  pool.on("error", () => {});
  // Nor a checked-out one (inside a transaction, between two statements): pg emits "error" on the client, which
  // without a listener kills the process. The statement in flight still fails, and the pool drops the client.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const db = drizzlePg({ client: pool }) as unknown as Database;
  const listeners: ChannelListener[] = [];
  return {
    db,
    kind: "postgres",
    location: redactUrl(url),
    schema,
    listen: async (channel, handlers) => {
      const listener = new ChannelListener(url, channel, handlers);
      listeners.push(listener);
      await listener.start();
    },
    close: async () => {
      await Promise.all(listeners.map((listener) => listener.stop()));
      await pool.end();
    },
  };
}

/** The listening connection's health check: a statement of its own, told apart from the application's. */
export const LISTENER_HEARTBEAT = "select 1 as listener_heartbeat";
const HEARTBEAT_MS = 10_000;
const RECONNECT_MS = { min: 500, max: 30_000 };

/**
 * One LISTEN on a connection outside the pool. A connection that fails, ends or stops answering its heartbeat
 * (a silent network partition, an idle flow dropped by a firewall) is reported not live and re-opened with a
 * growing delay, so a listener never believes it hears a channel it does not.
 */
class ChannelListener {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay = RECONNECT_MS.min;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 10_000,
      query_timeout: HEARTBEAT_MS / 2,
      keepAlive: true,
    });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      clearInterval(heartbeat);
      client.end().catch(() => {});
      if (this.client === client) {
        this.client = undefined;
        this.handlers.live(false);
      }
      if (!this.stopped) {
        // A retry alone does not keep the process alive.
        this.timer = setTimeout(() => void this.start(), this.delay).unref();
        this.delay = Math.min(this.delay * 2, RECONNECT_MS.max);
      }
    };
    const heartbeat = setInterval(() => client.query(LISTENER_HEARTBEAT).catch(onLost), HEARTBEAT_MS);
    heartbeat.unref();
    client.on("error", onLost);
    client.on("end", onLost);
    client.on("notification", (message) => {
      if (message.channel === this.channel) this.handlers.notify(message.payload ?? "");
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch {
      onLost();
      return;
    }
    if (lost) return;
    if (this.stopped) {
      onLost();
      return;
    }
    this.client = client;
    this.delay = RECONNECT_MS.min;
    this.handlers.live(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.handlers.live(false);
      await client.end().catch(() => {});
    }
  }
}

/**
 * The embedded PostgreSQL's memory settings. It runs inside the Node process, and WebAssembly memory once touched
 * is never given back: PostgreSQL's default 128 MB of shared buffers alone (zeroed at start) was 110 MB of the
 * process's resident memory. 8 MB of buffers hold the hot part of a single site's database (the referential is
 * served from the process's memory anyway; data files stay in the operating system's page cache): 16 MB cost
 * 8 MiB more RSS, 32 MB 26 MiB more, for the same benchmark throughput (decisions 0010, 0011). A 16 MB maintenance
 * budget is plenty for a single site's indexes.
 */
export const PGLITE_SETTINGS = {
  shared_buffers: "8MB",
  maintenance_work_mem: "16MB",
  temp_buffers: "4MB",
} as const;

/** PostgreSQL's start parameters for the embedded engine: PGlite's own, then PGLITE_SETTINGS. */
function pgliteStartParams(): string[] {
  return [
    ...PGlite.defaultStartParams,
    ...Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
  ];
}

/** The child's program: PGlite (resolved here, so the child finds the same copy) creates the folder, then closes. */
const INITDB = `const [folder, params] = process.argv.slice(1);
require(${JSON.stringify(createRequire(import.meta.url).resolve("@electric-sql/pglite"))})
  .PGlite.create(folder, { startParams: JSON.parse(params) })
  .then((client) => client.close());`;

/**
 * Creates the embedded database folder in a child process. PGlite's initdb runs a second WebAssembly PostgreSQL
 * beside the first and fills both memories: in the server's own process that was a 657 MiB peak, and 550 MiB of
 * resident memory kept for the rest of that process's life, against 128 MiB for opening an existing folder.
 * The child writes a sibling folder renamed into place once complete, so an interrupted first start leaves no
 * half-made database behind.
 */
async function initialisePglite(folder: string): Promise<void> {
  const pending = `${folder}.init`;
  rmSync(pending, { recursive: true, force: true });
  const child = spawn(process.execPath, ["-e", INITDB, pending, JSON.stringify(pgliteStartParams())], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const code = await new Promise<number | null>((done, fail) => {
    child.once("error", fail);
    child.once("close", done);
  });
  if (code !== 0) {
    rmSync(pending, { recursive: true, force: true });
    throw new Error(`Creating the embedded database in ${folder} failed (exit ${code}): ${stderr.trim()}`);
  }
  renameSync(pending, folder);
}

async function openPglite(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  const releaseLock = dataDir ? acquireLock(dataDir) : () => {};
  let client: PGlite;
  try {
    const settings = { startParams: pgliteStartParams() };
    if (dataDir) {
      const folder = join(dataDir, "pglite");
      if (!existsSync(join(folder, "PG_VERSION"))) {
        if (existsSync(folder) && readdirSync(folder).length > 0) {
          throw new Error(
            `${folder} holds no embedded database (no PG_VERSION): move it away, then start again.`,
          );
        }
        await initialisePglite(folder);
      }
      client = await PGlite.create(folder, settings);
    } else client = await PGlite.create(settings);
    if (options.schema) {
      await client.exec(
        `CREATE SCHEMA IF NOT EXISTS ${options.schema}; SET search_path TO ${options.schema}`,
      );
    }
  } catch (error) {
    releaseLock();
    throw error;
  }
  const db = drizzlePglite({ client }) as unknown as Database;
  return {
    db,
    kind: "pglite",
    location: dataDir ?? "memory",
    schema: options.schema,
    // In-process: live from the start, never lost.
    listen: async (channel, handlers) => {
      await client.listen(channel, handlers.notify);
      handlers.live(true);
    },
    close: async () => {
      await client.close();
      releaseLock();
    },
  };
}

/** PGlite is single-process: a lock file with the owner's pid turns a silent corruption into a clear error. */
export function acquireLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, "pglite.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number.parseInt(readFileSync(lockFile, "utf8"), 10);
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid))
        throw new DatabaseLockedError(dataDir, pid);
      rmSync(lockFile, { force: true }); // stale lock from a crashed process
    }
  }
  throw new Error(`Could not lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable url)";
  }
}
