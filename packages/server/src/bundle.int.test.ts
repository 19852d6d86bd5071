import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  REPO,
  type ServerProcess,
  startServer,
  type Team,
  team,
  WORKER_BUNDLE,
} from "./reliability/harness.js";

/**
 * The bundle that `npm start`, the worker and the image run (decision 0011): what bundling can break is what
 * the tree finds from its own location: migrations, the coder's lexicon, the externals (PGlite, argon2, anvil,
 * the OpenAPI pages). The fault, scale and browser suites run the same bundle under load.
 */
describe("the bundled server (dist/bundle)", () => {
  const root = mkdtempSync(join(tmpdir(), "ccam-bundle-"));
  let server: ServerProcess;
  let users: Team;

  beforeAll(async () => {
    const sourceDir = join(root, "ameli");
    mkdirSync(sourceDir);
    copyFileSync(join(REPO, "packages/ccam/test-fixtures/ameli-excerpt.csv"), join(sourceDir, "excerpt.csv"));
    mkdirSync(join(root, "data"));
    server = await startServer({ dataDir: join(root, "data"), sourceDir });
    users = await team(server.url);
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("migrates, imports and reports every component ready", async () => {
    const ready = await call(server.url, "GET", "/readyz");
    expect(ready.status).toBe(200);
    const versions = await call(server.url, "GET", "/ccam/versions", { token: users.codeur });
    expect(versions.body).toEqual([
      expect.objectContaining({ version: "V99", stats: expect.objectContaining({ acts: 7 }) }),
    ]);
  });

  it("suggests codes with the coder's lexicon", async () => {
    const preview = await call(server.url, "POST", "/suggestions/preview", {
      token: users.medecin,
      body: { text: "sympathectomie lombale", performedAt: "2027-03-15" },
    });
    expect(preview.status).toBe(200);
    expect(JSON.stringify(preview.body)).toContain("AJFC001");
  });

  it("serves the OpenAPI document and its pages from the external Swagger packages", async () => {
    const spec = await call(server.url, "GET", "/docs/json");
    expect(spec.status).toBe(200);
    expect(spec.body).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
    const page = await call(server.url, "GET", "/docs/static/index.html");
    expect(page.status).toBe(200);
  });

  it("starts the worker's entry point (a configuration error is its message and exit code 1)", () => {
    const run = () =>
      execFileSync(process.execPath, [WORKER_BUNDLE], {
        env: { PATH: process.env.PATH, CCAM_DATA_DIR: join(root, "worker"), PORT: "not-a-port" },
        stdio: "pipe",
        timeout: 60_000,
      });
    expect(run).toThrow(/PORT/);
  });
});
