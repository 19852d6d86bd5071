import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { DatabaseHandle } from "./connection.js";

/**
 * Each package owns its tables and its drizzle-kit migrations folder; they are applied in the order given,
 * each with its own bookkeeping table so modules evolve independently (see docs/decisions/0002).
 */
export interface MigrationSet {
  /** Module name, e.g. "ccam"; the bookkeeping table is `__migrations_<module>`. */
  module: string;
  /** Absolute path of the drizzle-kit output folder. */
  folder: string;
  /**
   * Tables the application may only INSERT into and SELECT from (audit trails): on PostgreSQL the application
   * role is refused UPDATE, DELETE and TRUNCATE on them (see `applicationRoleGrants`).
   */
  appendOnly?: readonly string[];
}

export async function migrate(handle: DatabaseHandle, sets: readonly MigrationSet[]): Promise<void> {
  for (const set of sets) {
    const config = {
      migrationsFolder: set.folder,
      migrationsTable: `__migrations_${set.module}`,
      migrationsSchema: handle.schema ?? "drizzle",
    };
    if (handle.kind === "pglite") {
      await migratePglite(handle.db as never, config);
    } else {
      await migratePg(handle.db as never, config);
    }
  }
}
