import { buildApp } from "./app.js";
import { importSourceDir, listSourceFiles, openRuntime, registerReferentialVersions } from "./bootstrap.js";
import { loadConfig } from "./config.js";
import { runEntryPoint } from "./entry.js";

/** `npm start`: configure, migrate, import what is new in the source folder, serve. */
async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await openRuntime(config, { ledger: true });
  const app = await buildApp(runtime, runtime.metrics ? { metrics: runtime.metrics } : {});
  const log = app.log;
  log.info({ database: runtime.database.kind, location: runtime.database.location }, "database ready");
  const admin = await runtime.identity.ensureFirstAdmin();
  if (admin?.oneTimePassword) {
    // Printed once, to the console only: it is stored hashed and must be changed at first sign-in.
    console.log(
      `\nFirst start: administrator ${admin.email} created with the one-time password\n\n    ${admin.oneTimePassword}\n\n` +
        "Sign in (POST /auth/token) and replace it (POST /auth/password); it is not shown again.\n",
    );
  } else if (admin) {
    log.info(
      { email: admin.email },
      "first administrator created from CCAM_ADMIN_EMAIL / CCAM_ADMIN_PASSWORD",
    );
  }

  if (config.importOnStart) {
    if (listSourceFiles(config.sourceDir).length === 0) {
      log.warn(
        `No CCAM export found in ${config.sourceDir}. Put the official Assurance Maladie CCAM file (CSV or XLSX, ` +
          '"CCAM version N applicable DD/MM/YYYY") there, or set CCAM_SOURCE_DIR, then restart; or run `npx ccam import FILE`.',
      );
    }
    for (const summary of await importSourceDir(runtime, (file) =>
      log.info({ file }, "checking CCAM export"),
    )) {
      const { skippedRows: _rows, ...rest } = summary;
      log.info(
        rest,
        summary.status === "imported" ? "CCAM version imported" : "CCAM version already imported",
      );
    }
  }

  await registerReferentialVersions(runtime);
  const ledgerStatus = await runtime.ledger?.status();
  log.info(
    {
      ledger: ledgerStatus && {
        mode: ledgerStatus.mode,
        state: ledgerStatus.state,
        chain: ledgerStatus.chain,
        anchoring: config.ledgerWorker === "off" ? "separate worker process" : "in this process",
      },
      cache: runtime.cache?.kind,
    },
    "ledger started",
  );

  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  await app.listen({ port: config.port, host: config.host });
  log.info(
    `CCAM AI listening on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${config.port} (API docs at /docs)`,
  );
}

runEntryPoint("CCAM AI", main);
