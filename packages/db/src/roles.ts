import type { MigrationSet } from "./migrate.js";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The statements that give a PostgreSQL login role what the application needs once the schema is migrated by
 * its owner: read and write every table, use the sequences, and nothing but INSERT and SELECT on the
 * append-only tables the modules declare. Migrations (DDL) stay with the owner, so a compromised application
 * cannot rewrite an audit trail, drop a table or disable a trigger.
 */
export function applicationRoleGrants(
  role: string,
  sets: readonly MigrationSet[],
  schema = "public",
): string[] {
  for (const name of [role, schema]) {
    if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain lower-case SQL identifier`);
  }
  const appendOnly = sets.flatMap((set) => set.appendOnly ?? []);
  const migrationTables = sets.map((set) => `__migrations_${set.module}`);
  return [
    `GRANT USAGE ON SCHEMA ${schema} TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`,
    // The migration bookkeeping is read at start (nothing to apply) but only the owner records migrations.
    ...migrationTables.map((table) => `REVOKE INSERT, UPDATE, DELETE ON ${schema}.${table} FROM ${role}`),
    ...appendOnly.map((table) => `REVOKE UPDATE, DELETE, TRUNCATE ON ${schema}.${table} FROM ${role}`),
  ];
}
