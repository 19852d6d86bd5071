import { applicationRoleGrants, migrate, openDatabase } from "@ccam/db";
import { allMigrations, loadConfig } from "@ccam/server";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { printJson } from "../context.js";

/**
 * `ccam db migrate` applies pending migrations as the connecting (owner) role; `ccam db grant ROLE` gives a
 * PostgreSQL login role what the application needs, with the audit trail append-only. Production runs the API as
 * that role with CCAM_MIGRATE_ON_START=false and migrates with the owner's DATABASE_URL.
 */
export function registerDatabaseCommands(program: Command): void {
  const db = program.command("db").description("Database schema and roles");

  db.command("migrate")
    .description("Apply pending migrations (as the role of DATABASE_URL, or on the embedded database)")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const database = await openDatabase({
        url: config.databaseUrl,
        dataDir: config.dataDir,
        schema: config.databaseSchema,
      });
      try {
        await migrate(database, allMigrations);
      } finally {
        await database.close();
      }
      const result = { database: database.kind, modules: allMigrations.map((m) => m.module) };
      if (options.json) printJson(result);
      else process.stdout.write(`migrated ${result.modules.join(", ")} on ${result.database}\n`);
    });

  db.command("grant")
    .description(
      "Grant a PostgreSQL role what the API needs: read/write, but INSERT and SELECT only on the audit trail",
    )
    .argument("<role>", "an existing login role, e.g. ccam_app")
    .option("--print", "print the SQL instead of running it")
    .action(async (role: string, options: { print?: boolean }) => {
      const config = loadConfig();
      let statements: string[];
      try {
        statements = applicationRoleGrants(role, allMigrations, config.databaseSchema);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      if (options.print) {
        process.stdout.write(`${statements.map((s) => `${s};`).join("\n")}\n`);
        return;
      }
      if (!config.databaseUrl) {
        throw new CliError(
          "Roles exist only on PostgreSQL: set DATABASE_URL (as the schema owner), or use --print",
        );
      }
      const database = await openDatabase({
        url: config.databaseUrl,
        schema: config.databaseSchema,
        poolSize: 1,
      });
      try {
        await database.db.transaction(async (tx) => {
          for (const statement of statements) await tx.execute(statement);
        });
      } catch (error) {
        throw new CliError(`Granting ${role} failed: ${(error as Error).message}`, 1);
      } finally {
        await database.close();
      }
      process.stdout.write(`granted ${role}: ${statements.length} statements\n`);
    });
}
