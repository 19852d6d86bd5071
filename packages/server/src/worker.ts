import { migrate, openDatabase } from "@ccam/db";
import { createLedger } from "@ccam/ledger";
import { pino } from "pino";
import { allMigrations } from "./bootstrap.js";
import { loadConfig } from "./config.js";
import { runEntryPoint } from "./entry.js";

const STATUS_LOG_INTERVAL_MS = 5000;

/**
 * `node packages/server/dist/bundle/worker.js` (`npm run worker`): the anchoring worker alone, no HTTP. It opens the
 * database (same variables as the API), applies migrations, and runs the ledger's worker: outbox → Merkle log →
 * one chain transaction per batch. Several workers (and API instances with CCAM_LEDGER_WORKER=inprocess) share
 * the log safely: batches are appended under `FOR UPDATE SKIP LOCKED`, and only the holder of the sending lease
 * talks to the chain. CCAM_LEDGER_WORKER is ignored here: this process always anchors. SIGTERM/SIGINT finish the
 * current round, release the lease (another worker takes over at once) and exit 0.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { process: "worker", pid: process.pid } });
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
  });
  if (config.migrateOnStart) await migrate(database, allMigrations);
  const ledger = await createLedger(config.ledger, database.db, { anchoring: "inprocess" });
  log.info(
    { database: database.kind, mode: ledger.config.mode, batchSize: ledger.config.batchSize },
    "anchoring worker started",
  );

  // One line per state change (ok ↔ degraded), with the backlog, instead of a line per round.
  let lastState: string | undefined;
  const watch = setInterval(() => {
    ledger.status().then(
      (status) => {
        if (status.state === lastState) return;
        lastState = status.state;
        const line = {
          state: status.state,
          lastError: status.lastError,
          queueDepth: status.queueDepth,
          anchoredSize: status.anchoredSize,
          treeSize: status.treeSize,
        };
        if (status.state === "degraded") log.warn(line, "anchoring degraded (decisions queue)");
        else log.info(line, "anchoring state");
      },
      (error: Error) => log.error({ err: error.message }, "ledger status unavailable"),
    );
  }, STATUS_LOG_INTERVAL_MS);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    log.info({ signal }, "stopping: finishing the current round, releasing the sending lease");
    try {
      await ledger.close();
      await database.close();
      log.info("anchoring worker stopped");
      process.exit(0);
    } catch (error) {
      log.error({ err: (error as Error).message }, "unclean stop");
      process.exit(1);
    }
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

runEntryPoint("CCAM AI worker", main);
