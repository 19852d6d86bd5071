import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { acquireLock } from "./connection.js";

/**
 * Engine-level dump and restore of the whole database (every module's tables and migration bookkeeping):
 * PGlite's own data-directory tarball, or `pg_dump -Fc` / `pg_restore` on PostgreSQL. The CLI's
 * `ccam backup` / `ccam restore` add the data folder's files and the manifest around it.
 */
export interface DumpTarget {
  /** postgres://… ; unset = the embedded PGlite in `dataDir`. */
  url?: string | undefined;
  dataDir: string;
  /** PostgreSQL schema holding the tables (CCAM_DATABASE_SCHEMA); unset = the whole database. */
  schema?: string | undefined;
}

export interface DumpInfo {
  kind: "pglite" | "postgres";
  /** Schema the tables were in (PostgreSQL with CCAM_DATABASE_SCHEMA). */
  schema: string | null;
  /** Rows per table at dump time (`table`, or `schema.table` for a whole database), checked after restore. */
  tables: Record<string, number>;
}

/** A problem the operator can fix (wrong target, missing tool): the CLI prints it without a stack. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

export const PGLITE_DUMP_FILE = "database.pglite.tar.gz";
export const POSTGRES_DUMP_FILE = "database.pgdump";

/** Dumps the database into `dir` (file name by engine); returns what was dumped. */
export async function dumpDatabase(target: DumpTarget, dir: string): Promise<DumpInfo & { file: string }> {
  if (!target.url) {
    const dataDir = resolve(target.dataDir);
    if (!existsSync(join(dataDir, "pglite"))) {
      throw new BackupError(`No embedded database in ${dataDir} (no pglite/ folder): nothing to back up`);
    }
    const release = acquireLock(dataDir);
    try {
      const client = await PGlite.create(join(dataDir, "pglite"));
      try {
        const tables = await countTables((sql) => client.query<CountRow>(sql).then((r) => r.rows), null);
        const tarball = await client.dumpDataDir("gzip");
        writeFileSync(join(dir, PGLITE_DUMP_FILE), Buffer.from(await tarball.arrayBuffer()));
        return { kind: "pglite", schema: null, tables, file: PGLITE_DUMP_FILE };
      } finally {
        await client.close();
      }
    } finally {
      release();
    }
  }
  const schema = target.schema ?? null;
  const tables = await withPg(target.url, (query) => countTables(query, schema));
  const { url, env } = splitPassword(target.url);
  await run(
    "pg_dump",
    [
      "--format=custom",
      "--no-owner",
      "--no-privileges",
      ...(schema ? [`--schema=${schema}`] : []),
      `--file=${join(dir, POSTGRES_DUMP_FILE)}`,
      `--dbname=${url}`,
    ],
    env,
  );
  return { kind: "postgres", schema, tables, file: POSTGRES_DUMP_FILE };
}

/**
 * Restores a dump made by `dumpDatabase` into `target`, which must be empty (unless `force`: the target's
 * tables are dropped first). A PostgreSQL dump of schema S restored under another CCAM_DATABASE_SCHEMA is
 * renamed after `pg_restore`. Returns the rows per table after restore (compare with the dump's).
 */
export async function restoreDatabase(
  target: DumpTarget,
  dir: string,
  dumped: Pick<DumpInfo, "kind" | "schema">,
  options: { force?: boolean } = {},
): Promise<Record<string, number>> {
  if (dumped.kind === "pglite") {
    if (target.url) {
      throw new BackupError(
        "This backup is of the embedded database (PGlite): restore it without DATABASE_URL. To move to " +
          "PostgreSQL, restore it embedded and copy with pg_dump from a running PGlite socket, or re-import.",
      );
    }
    const dataDir = resolve(target.dataDir);
    const release = acquireLock(dataDir);
    try {
      const folder = join(dataDir, "pglite");
      if (existsSync(folder) && readdirSync(folder).length > 0) {
        if (!options.force) throw new BackupError(`${folder} is not empty (use --force to replace it)`);
        rmSync(folder, { recursive: true, force: true });
      }
      const tarball = new Blob([readFileSync(join(dir, PGLITE_DUMP_FILE))]);
      const client = await PGlite.create(folder, { loadDataDir: tarball });
      try {
        return await countTables((sql) => client.query<CountRow>(sql).then((r) => r.rows), null);
      } finally {
        await client.close();
      }
    } finally {
      release();
    }
  }
  if (!target.url) {
    throw new BackupError("This backup is of a PostgreSQL database: set DATABASE_URL to restore it");
  }
  const url = target.url;
  const schema = target.schema ?? null;
  if ((dumped.schema === null) !== (schema === null)) {
    throw new BackupError(
      dumped.schema
        ? `This backup holds the schema ${dumped.schema}: set CCAM_DATABASE_SCHEMA to restore it`
        : "This backup is of a whole database: unset CCAM_DATABASE_SCHEMA and restore into an empty database",
    );
  }
  await withPg(url, async (query) => {
    const existing = await countTables(query, schema);
    if (Object.keys(existing).length > 0) {
      if (!options.force) {
        throw new BackupError(
          `The target ${schema ? `schema ${schema}` : "database"} already has ${Object.keys(existing).length} ` +
            "table(s) (use --force to replace them)",
        );
      }
      if (schema) await query(`DROP SCHEMA ${schema} CASCADE`);
      else {
        for (const name of await userSchemas(query)) {
          await query(
            name === "public"
              ? "DROP SCHEMA public CASCADE; CREATE SCHEMA public"
              : `DROP SCHEMA "${name}" CASCADE`,
          );
        }
      }
    }
    if (schema && dumped.schema && schema !== dumped.schema) {
      const clash = await query(`select 1 from pg_namespace where nspname = '${dumped.schema}'`);
      if (clash.length > 0) {
        throw new BackupError(
          `The backup's schema ${dumped.schema} exists on the target server: pg_restore recreates it under that ` +
            `name before renaming it to ${schema}; drop it or restore with CCAM_DATABASE_SCHEMA=${dumped.schema}`,
        );
      }
    }
    // pg_restore creates the schema itself; an empty one left by openDatabase would clash.
    if (schema && dumped.schema) await query(`DROP SCHEMA IF EXISTS ${schema}`);
  });
  const { url: bare, env } = splitPassword(url);
  await run(
    "pg_restore",
    [
      "--no-owner",
      "--no-privileges",
      "--exit-on-error",
      "--single-transaction",
      `--dbname=${bare}`,
      join(dir, POSTGRES_DUMP_FILE),
    ],
    env,
  );
  return withPg(url, async (query) => {
    if (schema && dumped.schema && schema !== dumped.schema) {
      await query(`ALTER SCHEMA ${dumped.schema} RENAME TO ${schema}`);
    }
    return countTables(query, schema);
  });
}

type CountRow = { table_schema: string; table_name: string };
type Query = (sql: string) => Promise<Record<string, unknown>[]>;

async function countTables(query: Query, schema: string | null): Promise<Record<string, number>> {
  const rows = (await query(
    `select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' and ${
      schema ? `table_schema = '${schema}'` : "table_schema not in ('pg_catalog', 'information_schema')"
    } order by 1, 2`,
  )) as CountRow[];
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const [count] = (await query(
      `select count(*)::int as n from "${row.table_schema}"."${row.table_name}"`,
    )) as { n: number }[];
    counts[schema ? row.table_name : `${row.table_schema}.${row.table_name}`] = count?.n ?? 0;
  }
  return counts;
}

async function userSchemas(query: Query): Promise<string[]> {
  const rows = (await query(
    "select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'",
  )) as { nspname: string }[];
  return rows.map((r) => r.nspname);
}

async function withPg<T>(url: string, fn: (query: Query) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.end();
  }
}

/** The URL without its password (kept out of the process list) and PGPASSWORD for the child. */
function splitPassword(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  return { url: parsed.toString(), env: password ? { ...process.env, PGPASSWORD: password } : process.env };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new BackupError(
              `${command} not found: install the PostgreSQL client tools of the server's major version ` +
                "(e.g. apt-get install postgresql-client-16) or put them on PATH",
            )
          : error,
      ),
    );
    child.on("close", (code) =>
      code === 0
        ? resolvePromise()
        : reject(
            new BackupError(
              `${command} failed (exit ${code}): ${stderr.trim().split("\n").slice(-3).join(" / ")}`,
            ),
          ),
    );
  });
}
