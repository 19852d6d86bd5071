import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { signIn } from "../test-support/auth.js";
import { AMELI, openTestRuntime } from "../test-support/runtime.js";
import type { ImportJob } from "./ccam-schemas.js";

const V78 = "CCAM_V78_2025-02-01.csv";

describe("CCAM import from an upload (POST /ccam/imports), on the real V78 export", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let admin: { authorization: string };
  let coder: { authorization: string };
  const v78 = readFileSync(join(AMELI, V78));

  beforeAll(async () => {
    runtime = await openTestRuntime([], { CCAM_LEDGER_BATCH_MAX_DELAY_MS: "100" }, { ledger: true });
    app = await buildApp(runtime, { logger: false });
    ({ headers: admin } = await signIn(runtime, ["admin"]));
    ({ headers: coder } = await signIn(runtime, ["codeur"]));
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  const upload = (
    body: Buffer | string,
    options: { type?: string; filename?: string; headers?: Record<string, string> } = {},
  ) =>
    app.inject({
      method: "POST",
      url: `/ccam/imports${options.filename ? `?filename=${encodeURIComponent(options.filename)}` : ""}`,
      headers: { ...(options.headers ?? admin), "content-type": options.type ?? "text/csv" },
      payload: body,
    });

  /** Polls the job until it leaves `running`; records every phase seen. */
  async function finished(id: string, phases: string[] = []): Promise<ImportJob> {
    for (let i = 0; i < 1200; i++) {
      const response = await app.inject({ method: "GET", url: `/ccam/imports/${id}`, headers: admin });
      expect(response.statusCode).toBe(200);
      const job = response.json() as ImportJob;
      if (phases.at(-1) !== job.progress.phase) phases.push(job.progress.phase);
      if (job.status !== "running") return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`import ${id} still running after 60 s`);
  }
  const versions = async () =>
    (await app.inject({ method: "GET", url: "/ccam/versions", headers: coder }))
      .json()
      .map((v: { version: string; sourceFile: string }) => `${v.version} ${v.sourceFile}`);

  it("answers readiness with the LLM off (offline engine), which is not a failure", async () => {
    const ready = (await app.inject("/readyz")).json();
    expect(ready.checks.llm).toEqual({
      ok: true,
      state: "off",
      detail: "offline engine only (CCAM_LLM_BASE_URL not set)",
    });
    // Nothing imported yet: not ready because of the referential, not of the LLM.
    expect(ready.status).toBe("not_ready");
  });

  it("imports the file in the background with progress, lists the version and queues it for the chain", async () => {
    const accepted = await upload(v78, { filename: V78 });
    expect(accepted.statusCode).toBe(202);
    const job = accepted.json() as ImportJob;
    expect(job).toMatchObject({ status: "running", fileName: V78, bytes: v78.length, finishedAt: null });
    expect(accepted.headers.location).toBe(`/ccam/imports/${job.id}`);

    const phases: string[] = [];
    const done = await finished(job.id, phases);
    expect(done.status).toBe("imported");
    expect(done.summary).toMatchObject({
      status: "imported",
      version: "V78",
      effectiveDate: "2025-02-01",
      acts: 8242,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(done.progress.phase).toBe("terminé");
    expect(done.progress.done).toBe(done.progress.total);
    expect(done.progress.total).toBeGreaterThan(done.summary?.lines ?? 0);
    expect(done.registration).toBe("queued");
    expect(done.error).toBeUndefined();
    // Phases are seen in order: waiting, reading, the tables written, loading, done.
    const order = [
      "en attente",
      "lecture",
      "chapitres",
      "actes",
      "lignes",
      "actes complémentaires",
      "notes",
      "modificateurs",
      "chargement",
      "terminé",
    ];
    const seen = phases.map((p) => order.indexOf(p));
    expect(seen, phases.join(" → ")).not.toContain(-1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(phases.length).toBeGreaterThanOrEqual(2);
    expect(phases.at(-1)).toBe("terminé");

    expect(await versions()).toEqual([`V78 ${V78}`]);
    const search = await app.inject({ method: "GET", url: "/ccam/acts/AHQB027", headers: coder });
    expect(search.statusCode).toBe(200);
    expect(search.json().version).toBe("V78");
    const ready = (await app.inject("/readyz")).json();
    expect(ready.checks.referential).toEqual({ ok: true, detail: "loaded: V78" });
    expect(ready.status).not.toBe("not_ready");

    // The upload is removed once imported; the version's sha256 is anchored like the ones imported at start.
    expect(readdirSync(join(runtime.config.dataDir, "imports"))).toEqual([]);
    let registration: { version_id: string; source_sha256: string; status: string } | undefined;
    for (let i = 0; i < 300 && registration?.status !== "anchored"; i++) {
      const result = await runtime.database.db.execute(
        sql`select version_id, source_sha256, status from referential_registrations where version_id = 'V78'`,
      );
      registration = (result as unknown as { rows: (typeof registration)[] }).rows[0];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(registration).toEqual({
      version_id: "V78",
      source_sha256: done.summary?.sha256,
      status: "anchored",
    });
  });

  it("skips a file already imported (same sha256), with the existing version's summary", async () => {
    const accepted = await upload(v78, { type: "application/octet-stream" });
    expect(accepted.statusCode).toBe(202);
    const done = await finished(accepted.json().id);
    expect(done.status).toBe("skipped");
    expect(done.summary).toMatchObject({ status: "already_imported", version: "V78", acts: 8242 });
    expect(done.registration).toBeUndefined();
    expect(await versions()).toEqual([`V78 ${V78}`]);
  });

  it("fails a malformed file with the parser's line, and writes nothing", async () => {
    // The real V81 with one act's activity changed to 9 (line 32 of the file: AHQB027).
    const garbled = readFileSync(join(AMELI, "CCAM_V81_2026-01-01.csv"), "utf8").replace(
      /^(AHQB027,,"[^"]*",)1,/m,
      "$19,",
    );
    expect(garbled).toMatch(/^AHQB027,,"[^"]*",9,/m);
    const line = garbled.split("\n").findIndex((l) => l.startsWith("AHQB027,")) + 1;
    const accepted = await upload(garbled, { filename: "CCAM_V81_altéré.csv" });
    expect(accepted.statusCode).toBe(202);
    const done = await finished(accepted.json().id);
    expect(done).toMatchObject({
      status: "failed",
      errorLine: line,
      error: `line ${line}: activity "9" of AHQB027 is not 1 to 5`,
    });
    expect(done.summary).toBeUndefined();
    expect(await versions()).toEqual([`V78 ${V78}`]);

    // Truncated inside a quoted field: csv-parse's own error, with a line too.
    const truncated = v78.subarray(0, v78.indexOf('"Facturation') + 20);
    const cut = await finished((await upload(truncated)).json().id);
    expect(cut.status).toBe("failed");
    expect(cut.error).toMatch(/^line \d+: not a readable CSV file/);
    expect(cut.errorLine).toBeGreaterThan(1);
    expect(await versions()).toEqual([`V78 ${V78}`]);
  });

  it("refuses another file claiming an imported version (a version is immutable)", async () => {
    const other = Buffer.concat([v78, Buffer.from(",,,,,,,,,,\n")]);
    const done = await finished((await upload(other)).json().id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/^Version V78 is already imported from another file/);
    expect(await versions()).toEqual([`V78 ${V78}`]);
  });

  it.each([
    ["an empty body", () => upload(Buffer.alloc(0)), 400, "body"],
    [
      "a JSON body",
      () => upload(JSON.stringify({ file: "x" }), { type: "application/json" }),
      415,
      "headers.content-type",
    ],
    [
      "a file name with a path",
      () => upload(v78, { filename: "../../etc/x.csv" }),
      400,
      "querystring.filename",
    ],
    [
      "a file name without .csv/.xlsx",
      () => upload(v78, { filename: "ccam.txt" }),
      400,
      "querystring.filename",
    ],
  ])("answers %s with a problem naming the field", async (_name, send, status, field) => {
    const response = await send();
    expect(response.statusCode).toBe(status);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it("answers 415 for another media type, 413 above the limit, 404 for an unknown job", async () => {
    expect((await upload(v78, { type: "image/png" })).statusCode).toBe(415);
    const big = await upload(Buffer.alloc(33 * 1024 * 1024, 0x2c));
    expect(big.statusCode).toBe(413);
    expect(big.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const unknown = await app.inject({
      method: "GET",
      url: "/ccam/imports/00000000-0000-4000-8000-000000000000",
      headers: admin,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it("is for administrators only", async () => {
    expect((await upload(v78, { headers: coder })).statusCode).toBe(403);
    expect((await upload(v78, { headers: {} })).statusCode).toBe(401);
    expect(await versions()).toEqual([`V78 ${V78}`]);
  });
});
