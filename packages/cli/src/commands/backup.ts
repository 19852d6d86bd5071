import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { BackupError, dumpDatabase, restoreDatabase } from "@ccam/db";
import { type Config, loadConfig } from "@ccam/server";
import type { Command } from "commander";
import { z } from "zod";
import { CliError, EXIT } from "../cli-error.js";
import { printJson } from "../context.js";

/**
 * `ccam backup DIR` / `ccam restore DIR`. A backup folder holds:
 * - the database: `database.pglite.tar.gz` (PGlite's own data-directory dump) or `database.pgdump`
 *   (`pg_dump -Fc` of CCAM_DATABASE_SCHEMA, or of the whole database);
 * - `data/`: every file of CCAM_DATA_DIR except the PGlite cluster and lock/pid files: the generated keys
 *   (`identity/jwt-signing.key`, `keys.json`), the embedded chain (`chain/anvil-state.json`, `chain/registry.json`)
 *   and whatever else modules keep there;
 * - `manifest.json`: format, engine, rows per table at dump time, sha256, size and mode of every file.
 * The data files are copied before the database is dumped: a chain state older than the database is re-anchored
 * by the worker's audit, a newer one would be a divergence.
 */
export const BACKUP_FORMAT = "ccam-backup/1";

const ManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  database: z.object({
    kind: z.enum(["pglite", "postgres"]),
    schema: z.string().nullable(),
    file: z.string(),
    tables: z.record(z.string(), z.number().int()),
  }),
  files: z.array(
    z.object({
      path: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      bytes: z.number().int(),
      mode: z.number().int(),
    }),
  ),
});
export type BackupManifest = z.infer<typeof ManifestSchema>;

/** Paths of CCAM_DATA_DIR that are not data: the PGlite cluster (dumped separately), locks, pid files. */
const skipped = (path: string) =>
  path === "pglite" ||
  path.startsWith(`pglite${sep}`) ||
  path === "pglite.lock" ||
  path.endsWith(".pid") ||
  path.includes(".corrupt-");

function dataFiles(dataDir: string, exclude: string): string[] {
  if (!existsSync(dataDir)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(dataDir, full);
      if (skipped(rel) || full === exclude) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(rel);
    }
  };
  walk(dataDir);
  return out.sort();
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Copies a file rewritten in place by a running process (anvil's state): retried until it parses as JSON. */
function copyStable(from: string, to: string): void {
  for (let attempt = 0; ; attempt++) {
    copyFileSync(from, to);
    if (!from.endsWith(".json")) return;
    try {
      JSON.parse(readFileSync(to, "utf8"));
      return;
    } catch (error) {
      if (attempt >= 5) throw new BackupError(`${from} is not valid JSON (being written?): ${error}`);
    }
  }
}

export async function runBackup(config: Config, dir: string): Promise<BackupManifest> {
  const target = resolve(dir);
  const dataDir = resolve(config.dataDir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new CliError(`${target} is not empty: back up into a new or empty folder`);
  }
  if (target === dataDir || target.startsWith(`${dataDir}${sep}`)) {
    throw new CliError(`The backup folder must be outside CCAM_DATA_DIR (${dataDir})`);
  }
  mkdirSync(join(target, "data"), { recursive: true, mode: 0o700 });
  chmodSync(target, 0o700);
  for (const rel of dataFiles(dataDir, target)) {
    const to = join(target, "data", rel);
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    copyStable(join(dataDir, rel), to);
    chmodSync(to, statSync(join(dataDir, rel)).mode & 0o777);
  }
  const dumped = await dumpDatabase(
    { url: config.databaseUrl, dataDir, schema: config.databaseSchema },
    target,
  );
  chmodSync(join(target, dumped.file), 0o600);
  const paths = [dumped.file, ...dataFiles(join(target, "data"), "").map((rel) => join("data", rel))];
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdAt: new Date().toISOString(),
    database: { kind: dumped.kind, schema: dumped.schema, file: dumped.file, tables: dumped.tables },
    files: paths.map((path) => {
      const full = join(target, path);
      const stat = statSync(full);
      return {
        path: path.split(sep).join("/"),
        sha256: sha256(full),
        bytes: stat.size,
        mode: stat.mode & 0o777,
      };
    }),
  };
  writeFileSync(join(target, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

/** Reads and checks a backup folder: manifest well-formed, every file present with its sha256. */
export function readBackup(dir: string): BackupManifest {
  const source = resolve(dir);
  const file = join(source, "manifest.json");
  if (!existsSync(file)) throw new CliError(`${source} is not a ccam backup (no manifest.json)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new CliError(`${file} is not valid JSON`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CliError(
      `${file} is not a ${BACKUP_FORMAT} manifest: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  const manifest = parsed.data;
  if (!manifest.files.some((f) => f.path === manifest.database.file)) {
    throw new CliError(`${file} does not list the database dump ${manifest.database.file}`);
  }
  for (const entry of manifest.files) {
    if (entry.path.split("/").includes(".."))
      throw new CliError(`${file}: path outside the backup: ${entry.path}`);
    const full = join(source, entry.path);
    if (!existsSync(full)) throw new CliError(`Backup damaged: ${entry.path} is missing`);
    if (sha256(full) !== entry.sha256) {
      throw new CliError(`Backup damaged: ${entry.path} does not match its sha256 in manifest.json`);
    }
  }
  return manifest;
}

export interface RestoreSummary {
  database: { kind: "pglite" | "postgres"; schema: string | null; tables: number; rows: number };
  files: string[];
}

export async function runRestore(
  config: Config,
  dir: string,
  options: { force?: boolean } = {},
): Promise<RestoreSummary> {
  const source = resolve(dir);
  const manifest = readBackup(source);
  const dataDir = resolve(config.dataDir);
  const present = dataFiles(dataDir, "");
  const hasCluster = existsSync(join(dataDir, "pglite")) && readdirSync(join(dataDir, "pglite")).length > 0;
  if ((present.length > 0 || hasCluster) && !options.force) {
    throw new CliError(
      `CCAM_DATA_DIR ${dataDir} is not empty (${[...(hasCluster ? ["pglite/"] : []), ...present].slice(0, 5).join(", ")}…): ` +
        "restore into an empty folder, or add --force to replace its content",
    );
  }
  mkdirSync(dataDir, { recursive: true });
  let tables: Record<string, number>;
  try {
    tables = await restoreDatabase(
      { url: config.databaseUrl, dataDir, schema: config.databaseSchema },
      source,
      manifest.database,
      options,
    );
  } catch (error) {
    if (error instanceof BackupError) throw new CliError(error.message);
    throw error;
  }
  const expected = JSON.stringify(manifest.database.tables);
  if (JSON.stringify(tables) !== expected) {
    throw new CliError(
      `The restored database differs from the backup (rows per table): expected ${expected}, got ${JSON.stringify(tables)}`,
      EXIT.failure,
    );
  }
  for (const rel of present) rmSync(join(dataDir, rel), { force: true });
  const restored: string[] = [];
  for (const entry of manifest.files.filter((f) => f.path.startsWith("data/"))) {
    const rel = entry.path.slice("data/".length);
    const to = join(dataDir, ...rel.split("/"));
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    copyFileSync(join(source, entry.path), to);
    chmodSync(to, entry.mode);
    restored.push(rel);
  }
  return {
    database: {
      kind: manifest.database.kind,
      schema: config.databaseSchema ?? null,
      tables: Object.keys(tables).length,
      rows: Object.values(tables).reduce((a, b) => a + b, 0),
    },
    files: restored,
  };
}

export function registerBackupCommands(program: Command): void {
  program
    .command("backup")
    .description(
      "Back up the database (PGlite or PostgreSQL) and the data folder's keys and chain state into DIR; stop the server first on PGlite",
    )
    .argument("<dir>", "new or empty folder")
    .option("--json", "print the manifest as JSON")
    .action(async (dir: string, options: { json?: boolean }) => {
      const manifest = await runBackup(loadConfig(), dir).catch(rethrow);
      if (options.json) return printJson(manifest);
      const rows = Object.values(manifest.database.tables).reduce((a, b) => a + b, 0);
      process.stdout.write(
        `Backed up ${manifest.database.kind}${manifest.database.schema ? ` schema ${manifest.database.schema}` : ""} ` +
          `(${Object.keys(manifest.database.tables).length} tables, ${rows} rows) and ${manifest.files.length - 1} ` +
          `data file(s) into ${resolve(dir)}\n`,
      );
    });
  program
    .command("restore")
    .description(
      "Restore a backup made by `ccam backup` into CCAM_DATA_DIR / DATABASE_URL (stop every instance first)",
    )
    .argument("<dir>", "backup folder (with manifest.json)")
    .option("--force", "replace a non-empty data folder or database")
    .option("--json", "print JSON")
    .action(async (dir: string, options: { force?: boolean; json?: boolean }) => {
      const summary = await runRestore(loadConfig(), dir, { force: options.force }).catch(rethrow);
      if (options.json) return printJson(summary);
      process.stdout.write(
        `Restored ${summary.database.kind} (${summary.database.tables} tables, ${summary.database.rows} rows) and ` +
          `${summary.files.length} data file(s). Start the server: the anchoring worker re-checks the log against the chain.\n`,
      );
    });
}

function rethrow(error: unknown): never {
  if (error instanceof BackupError) throw new CliError(error.message);
  throw error;
}
