import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerProblemHandlers } from "../problem.js";
import { WEB_CSP, webRoutes } from "./web.js";

async function appOver(root: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerProblemHandlers(app);
  await app.register(webRoutes, { root, oidc: true });
  app.get("/actes", async () => ({ items: [] }));
  return app;
}

describe("web routes", () => {
  let root: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "ccam-web-"));
    mkdirSync(join(root, "assets"));
    writeFileSync(join(root, "index.html"), "<!doctype html><title>CCAM AI</title>");
    writeFileSync(join(root, "assets", "index-abc.js"), "console.log(1)");
    writeFileSync(join(root, "favicon.svg"), "<svg/>");
    app = await appOver(root);
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("redirects / to the application", async () => {
    const response = await app.inject("/");
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe("/app/");
  });

  it("answers index.html for client routes, with the page's policy and no caching", async () => {
    for (const url of ["/app/", "/app/actes", "/app/actes/1b7e/audit"]) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["content-type"]).toMatch(/text\/html/);
      expect(response.headers["content-security-policy"]).toBe(WEB_CSP);
      expect(response.headers["cache-control"]).toBe("no-cache");
      expect(response.body).toContain("CCAM AI");
    }
  });

  it("serves hashed assets as immutable and other files as they are", async () => {
    const asset = await app.inject("/app/assets/index-abc.js");
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toMatch(/immutable/);
    expect((await app.inject("/app/favicon.svg")).statusCode).toBe(200);
  });

  it("answers 404 problem+json for a missing file, and leaves API paths to the API", async () => {
    const missing = await app.inject("/app/assets/old-123.js");
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect((await app.inject("/actes")).json()).toEqual({ items: [] });
    const unknown = await app.inject("/nope");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/application\/problem\+json/);
  });

  it("tells the login page whether OIDC is configured", async () => {
    expect((await app.inject("/app/config.json")).json()).toEqual({ oidc: true });
  });

  it("answers 503 with the fix when the application is not built", async () => {
    const bare = await appOver(join(root, "missing"));
    const response = await bare.inject("/app/actes");
    expect(response.statusCode).toBe(503);
    expect(response.json().detail).toMatch(/npm run build/);
    await bare.close();
  });
});
