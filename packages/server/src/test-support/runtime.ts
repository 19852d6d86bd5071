import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDatabase } from "@ccam/db";
import { openRuntime, type Runtime } from "../bootstrap.js";
import { loadConfig } from "../config.js";

export const SHARED = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
export const AMELI = join(SHARED, "ccam/ameli");

/**
 * A runtime on a fresh database: a PGlite folder of its own, or, when DATABASE_URL is set, a throw-away schema
 * on that PostgreSQL server. `files` are imported from the shared folder before returning. With `ledger`, the
 * ledger runs on its own embedded chain in the data folder, and the act workflow is assembled.
 */
export async function openTestRuntime(
  files: string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: { ledger?: boolean } = {},
): Promise<Runtime> {
  const dataDir = mkdtempSync(join(tmpdir(), "ccam-server-"));
  const url = process.env.DATABASE_URL;
  const schema = url ? `t_${randomBytes(6).toString("hex")}` : undefined;
  const config = loadConfig({
    CCAM_DATA_DIR: dataDir,
    CCAM_SHARED_DIR: SHARED,
    CCAM_LOG_LEVEL: "silent",
    ...(url ? { DATABASE_URL: url, CCAM_DATABASE_SCHEMA: schema } : {}),
    ...env,
  });
  const runtime = await openRuntime(config, options);
  for (const file of files) {
    await runtime.referentials.importFile(join(AMELI, file), { nomenslandDir: config.nomenslandDir });
  }
  return {
    ...runtime,
    close: async () => {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (url && schema) {
        const admin = await openDatabase({ url, poolSize: 1 });
        await admin.db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.close();
      }
    },
  };
}
