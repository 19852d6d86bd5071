import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ccamMigrations, type ImportProgress, type ImportSummary, ReferentialStore } from "@ccam/ccam";
import { coderMigrations, OpenAiCompatibleProvider } from "@ccam/coder";
import { type DatabaseHandle, type MigrationSet, migrate, openDatabase } from "@ccam/db";
import { createLedger, type Ledger, ledgerMigrations } from "@ccam/ledger";
import { actsMigrations } from "./acts/index.js";
import { loadApplicationKeys } from "./acts/keys.js";
import { CoderSuggestionEngine } from "./acts/suggester.js";
import { createWorkflow, type Workflow } from "./acts/workflow.js";
import { createCache, type SharedCache } from "./cache/index.js";
import type { Config } from "./config.js";
import { identityMigrations } from "./identity/index.js";
import { IdentityService } from "./identity/service.js";
import { Metrics } from "./observability/metrics.js";
import { ReferentialService } from "./services/referential-service.js";

/** Every module's migrations, in dependency order. */
export const allMigrations: MigrationSet[] = [
  ccamMigrations,
  identityMigrations,
  coderMigrations,
  ledgerMigrations,
  actsMigrations,
];

export interface Runtime {
  config: Config;
  database: DatabaseHandle;
  referentials: ReferentialService;
  identity: IdentityService;
  /** The anchoring ledger (and its embedded chain), started by the server; the CLI opens it only when needed. */
  ledger: Ledger | undefined;
  /** The act workflow (needs the ledger): present whenever the ledger is. */
  workflow: Workflow | undefined;
  /** The coding agent behind the workflow's suggestions. */
  suggester: CoderSuggestionEngine | undefined;
  /** The suggestion cache (Redis when REDIS_URL is set, in memory otherwise): present with the workflow. */
  cache: SharedCache | undefined;
  /**
   * The process's Prometheus metrics, fed by the workflow (suggestion latency, cache hits, acts by status, LLM):
   * pass it to `buildApp(runtime, { metrics: runtime.metrics })` so `/metrics` exposes them.
   */
  metrics: Metrics | undefined;
  close(): Promise<void>;
}

/** Opens the database, applies migrations and loads the imported versions: what both the server and the CLI need. */
export async function openRuntime(config: Config, options: { ledger?: boolean } = {}): Promise<Runtime> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
  });
  try {
    if (config.migrateOnStart) await migrate(database, allMigrations);
    // In parallel: loading the versions is CPU and database work, starting the ledger mostly waits for the
    // embedded chain's process to answer (a second of cold start saved).
    const [loaded, opened] = await Promise.allSettled([
      ReferentialService.load(new ReferentialStore(database.db)),
      options.ledger
        ? createLedger(config.ledger, database.db, {
            anchoring: config.ledgerWorker === "off" ? "external" : "inprocess",
          })
        : undefined,
    ]);
    if (loaded.status === "rejected" || opened.status === "rejected") {
      if (opened.status === "fulfilled") await opened.value?.close();
      throw loaded.status === "rejected" ? loaded.reason : (opened as PromiseRejectedResult).reason;
    }
    const referentials = loaded.value;
    const ledger = opened.value;
    const keys = loadApplicationKeys(config.keys, config.dataDir);
    const identity = new IdentityService(database.db, config, undefined, keys.master);
    const metrics = ledger && new Metrics();
    const cache =
      ledger &&
      createCache(config.redisUrl, {
        prefix: `ccam:${config.databaseSchema ?? "public"}`,
        onStateChange: (state, detail) =>
          // One line per change, not per retry; /readyz and ccam_cache_up report the state too.
          console.error(
            JSON.stringify({ level: state === "down" ? 40 : 30, msg: `suggestion cache ${state}`, detail }),
          ),
      });
    const suggester =
      ledger &&
      new CoderSuggestionEngine({
        db: database.db,
        listen: database.listen,
        termKey: keys.pseudonym.current.key,
        referentials,
        dataDir: config.dataDir,
        llm: config.llm && new OpenAiCompatibleProvider(config.llm),
        llmBudgetMs: config.llm?.budgetMs,
        metrics,
      });
    const workflow =
      ledger &&
      suggester &&
      createWorkflow({
        config,
        keys,
        db: database.db,
        referentials,
        ledger,
        suggester,
        validator: referentials,
        llmStatus: () => suggester.llmStatus(),
        cache,
        cacheMetrics: metrics,
      });
    if (metrics && workflow && suggester) {
      metrics.provide({
        actsByStatus: () => workflow.actsByStatus(),
        llm: () => suggester.llmStatus(),
        learningListening: () => suggester.learningListening(),
      });
    }
    return {
      config,
      database,
      referentials,
      identity,
      ledger,
      workflow,
      suggester,
      cache,
      metrics,
      close: async () => {
        await ledger?.close();
        await cache?.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Official export files (CSV or XLSX) in a folder, by name. */
export function listSourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.(csv|xlsx)$/i.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** Imports every file of the source folder that is not imported yet (a known sha256 is skipped before parsing). */
export async function importSourceDir(
  runtime: Runtime,
  onFile?: (file: string) => void,
  onProgress?: (progress: ImportProgress) => void,
): Promise<ImportSummary[]> {
  const results: ImportSummary[] = [];
  for (const file of listSourceFiles(runtime.config.sourceDir)) {
    onFile?.(file);
    results.push(
      await runtime.referentials.importFile(file, {
        nomenslandDir: existsSync(runtime.config.nomenslandDir) ? runtime.config.nomenslandDir : undefined,
        onProgress,
      }),
    );
  }
  return results;
}

/** Queues every imported version's source sha256 for registration on chain (idempotent). */
export async function registerReferentialVersions(runtime: Runtime): Promise<void> {
  if (!runtime.ledger) return;
  for (const { version } of runtime.referentials.versions) {
    await runtime.ledger.registerReferentialVersion(version.version, version.sourceSha256);
  }
}
