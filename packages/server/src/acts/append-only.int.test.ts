import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applicationRoleGrants } from "@ccam/db";
import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import { allMigrations, openRuntime, type Runtime } from "../bootstrap.js";
import { loadConfig } from "../config.js";
import { signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";

const url = process.env.DATABASE_URL;
if (!url) console.log("append-only role test skipped: it needs PostgreSQL (set DATABASE_URL)");

/**
 * The API running as a restricted PostgreSQL role (`ccam db grant`): the whole workflow works, but the audit
 * trail cannot be changed, deleted or truncated by the application, only appended to.
 */
describe.skipIf(!url)("the application role on PostgreSQL: audit entries are INSERT and SELECT only", () => {
  const role = `ccam_app_${randomBytes(4).toString("hex")}`;
  let owner: Runtime;
  let appRuntime: Runtime;
  let app: FastifyInstance;
  let dataDir: string;

  beforeAll(async () => {
    owner = await openTestRuntime(["CCAM_V81_2026-01-01.csv"], { CCAM_LEDGER_MODE: "off" });
    const schema = owner.config.databaseSchema as string;
    await owner.database.db.execute(sql.raw(`CREATE ROLE ${role} LOGIN`));
    for (const statement of applicationRoleGrants(role, allMigrations, schema)) {
      await owner.database.db.execute(sql.raw(statement));
    }
    const roleUrl = new URL(url as string);
    roleUrl.username = role;
    roleUrl.password = "";
    dataDir = mkdtempSync(join(tmpdir(), "ccam-role-"));
    appRuntime = await openRuntime(
      loadConfig({
        DATABASE_URL: roleUrl.toString(),
        CCAM_DATABASE_SCHEMA: schema,
        CCAM_MIGRATE_ON_START: "false",
        CCAM_LEDGER_MODE: "off",
        CCAM_DATA_DIR: dataDir,
        CCAM_LOG_LEVEL: "silent",
      }),
      { ledger: true },
    );
    app = await buildApp(appRuntime, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await appRuntime?.close();
    await owner?.database.db.execute(sql.raw(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`));
    await owner?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates and validates an act as that role, then cannot rewrite, delete or truncate its trail", async () => {
    const coder = await signIn(appRuntime, ["codeur"]);
    const created = await app.inject({
      method: "POST",
      url: "/actes",
      headers: coder.headers,
      payload: { patientId: "IPP-ROLE-1", performedAt: "2026-03-02", text: "PTH droite cimentée" },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().act.id as string;
    const validated = await app.inject({
      method: "POST",
      url: `/validation/${id}`,
      headers: coder.headers,
      payload: { codes: [{ code: "NEKA020", activity: 1, phase: 0 }] },
    });
    expect(validated.statusCode).toBe(200);

    const db = appRuntime.database.db;
    const count = async () =>
      (
        (await db.execute(
          sql`select count(*)::int as n from audit_entries where act_id = ${id}`,
        )) as unknown as {
          rows: { n: number }[];
        }
      ).rows[0]?.n;
    expect(await count()).toBe(3);
    for (const statement of [
      sql`update audit_entries set kind = 'act.forged' where act_id = ${id}`,
      sql`delete from audit_entries where act_id = ${id}`,
      sql`truncate audit_entries`,
    ]) {
      const error = await db.execute(statement).then(
        () => undefined,
        (e: Error & { cause?: Error }) => e.cause ?? e,
      );
      expect(error?.message).toMatch(/^permission denied for table audit_entries/);
    }
    expect(await count()).toBe(3);
    // Other tables stay writable: the act's status moved to validated through an UPDATE.
    expect(validated.json().act.status).toBe("validated");
  });
});
