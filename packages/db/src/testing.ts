import { randomBytes } from "node:crypto";
import { type DatabaseHandle, openDatabase } from "./connection.js";
import { type MigrationSet, migrate } from "./migrate.js";

/**
 * A fresh, migrated database for one test file: an in-memory PGlite by default, or, when DATABASE_URL is set,
 * a throw-away schema on that real PostgreSQL server (dropped on close).
 */
export async function openTestDatabase(sets: readonly MigrationSet[]): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL;
  const schema = url ? `t_${randomBytes(6).toString("hex")}` : undefined;
  const handle = await openDatabase({ url, schema, poolSize: 4 });
  await migrate(handle, sets);
  if (!url) return handle;
  return {
    ...handle,
    close: async () => {
      await handle.close();
      const cleanup = await openDatabase({ url, poolSize: 1 });
      try {
        await cleanup.db.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await cleanup.close();
      }
    },
  };
}
