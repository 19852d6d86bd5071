import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import type { Runtime } from "./bootstrap.js";
import { signIn } from "./test-support/auth.js";
import { openTestRuntime } from "./test-support/runtime.js";

describe("HTTP API over the real V78 and V81", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let headers: { authorization: string };

  beforeAll(async () => {
    runtime = await openTestRuntime(["CCAM_V78_2025-02-01.csv", "CCAM_V81_2026-01-01.csv"]);
    app = await buildApp(runtime, { logger: false });
    ({ headers } = await signIn(runtime, ["codeur"]));
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  const get = (url: string) => app.inject({ method: "GET", url, headers });

  it("answers liveness and readiness", async () => {
    expect((await get("/healthz")).json()).toEqual({ status: "ok" });
    const ready = await get("/readyz");
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: "ready",
      checks: {
        database: { ok: true },
        referential: { ok: true, detail: "loaded: V81, V78" },
        cache: { ok: true, detail: "in memory (single instance; set REDIS_URL to scale out)" },
      },
    });
  });

  it("lists versions oldest first with their sha256 and counts", async () => {
    const versions = (await get("/ccam/versions")).json();
    expect(versions.map((v: { version: string }) => v.version)).toEqual(["V78", "V81"]);
    expect(versions[1]).toMatchObject({
      effectiveDate: "2026-01-01",
      sourceFile: "CCAM_V81_2026-01-01.csv",
      stats: { acts: 8257, lines: 13_439, chapters: 1722, skipped: 1 },
    });
    expect(versions[1].sourceSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("validates and prices a session with the rule engine (POST /ccam/validate)", async () => {
    const post = (payload: unknown) =>
      app.inject({ method: "POST", url: "/ccam/validate", headers, payload: payload as object });
    const priced = await post({
      date: "2026-03-02",
      acts: [
        { code: "NEKA020", activity: 1, phase: 0 },
        { code: "NEKA020", activity: 4, phase: 0 },
      ],
    });
    expect(priced.statusCode).toBe(200);
    // V81 sheet: NEKA020 activity 1 = 459.80 €, anaesthesia (activity 4) = 229.90 €, each at 100 %.
    expect(priced.json()).toMatchObject({ valid: true, version: "V81", total: 689.7 });
    const blocked = (
      await post({ date: "2026-03-02", acts: [{ code: "NEKA020", activity: 2, phase: 0 }] })
    ).json();
    expect(blocked.valid).toBe(false);
    expect(blocked.issues.map((i: { severity: string }) => i.severity)).toContain("blocking");
    // The version in force at the date answers: V78 before 2026-01-01.
    expect(
      (await post({ date: "2025-06-01", acts: [{ code: "NEKA020", activity: 1, phase: 0 }] })).json().version,
    ).toBe("V78");

    const bad = await post({ date: "2026-02-30", acts: [{ code: "neka20", activity: 1, phase: 0 }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(["body.date", "body.acts.0.code"]),
    );
    expect(
      (await post({ date: "2026-03-02", version: "V12", acts: [{ code: "NEKA020", activity: 1, phase: 0 }] }))
        .statusCode,
    ).toBe(404);
    expect(
      (await post({ date: "2020-01-01", acts: [{ code: "NEKA020", activity: 1, phase: 0 }] })).statusCode,
    ).toBe(422);
  });

  it("diffs two versions", async () => {
    const response = await get("/ccam/versions/V78/diff/V81");
    expect(response.statusCode).toBe(200);
    const diff = response.json();
    expect(diff.added).toHaveLength(19);
    expect(diff.removed.map((r: { code: string }) => r.code)).toEqual([
      "HBLD425",
      "JGNJ900",
      "YYYY071",
      "YYYY600",
    ]);
    expect(diff.changed.find((c: { code: string }) => c.code === "AAFA001").fields).toContain(
      "lines[1-0].tariffSecteur1",
    );
  });

  it("searches acts by words and by code prefix, in the latest or a given version", async () => {
    const words = (
      await get("/ccam/acts?q=lib%C3%A9ration%20canal%20carpien%20vid%C3%A9ochirurgie&limit=3")
    ).json();
    expect(words.version).toBe("V81");
    expect(words.hits[0].code).toBe("AHPC001");
    const prefix = (await get("/ccam/acts?q=neka02&version=V78&limit=50")).json();
    expect(prefix.version).toBe("V78");
    expect(prefix.hits.every((h: { code: string }) => h.code.startsWith("NEKA02"))).toBe(true);
  });

  it("shows one act with lines, tariffs, modifiers, notes, complementary acts and chapter path", async () => {
    const response = await get("/ccam/acts/neka020");
    expect(response.statusCode).toBe(200);
    const act = response.json();
    expect(act).toMatchObject({ code: "NEKA020", version: "V81", shortLabel: "PTH" });
    expect(
      act.lines.map((l: { activity: number; tariffSecteur1: number }) => [l.activity, l.tariffSecteur1]),
    ).toEqual([
      [1, 459.8],
      [4, 229.9],
    ]);
    expect(act.chapterPath.map((c: { path: string }) => c.path)).toEqual([
      "14",
      "14.03",
      "14.03.02",
      "14.03.02.06",
    ]);
    expect(act.modifierDetails).toContainEqual({ code: "J", label: "Majoration transitoire de chirurgie" });
    expect(act.complementaryActs).toEqual([{ code: "GELE001", label: expect.stringContaining("") }]);
    expect(act.notes).toContainEqual({ kind: "other", text: "Pose de prothèse totale de hanche" });
    const old = (await get("/ccam/acts/AAFA001?version=V78")).json();
    expect(old.lines[0].tariffSecteur1).toBe(661.01);
  });

  it.each([
    ["/ccam/acts", 400, "querystring.q"],
    ["/ccam/acts?q=x&limit=1000", 400, "querystring.limit"],
    ["/ccam/acts?q=x&version=81", 400, "querystring.version"],
    ["/ccam/acts/NEKA20", 400, "params.code"],
    ["/ccam/versions/V78/diff/latest", 400, "params.to"],
  ])("GET %s → %i problem+json naming %s", async (url, status, field) => {
    const response = await get(url);
    expect(response.statusCode).toBe(status);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({ status, title: expect.any(String), instance: url });
    expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it.each([
    ["/ccam/acts/ZZZZ999", /ZZZZ999 does not exist in CCAM V81/],
    ["/ccam/acts?q=x&version=V12", /CCAM version V12 is not imported \(known: V81, V78\)/],
    ["/ccam/versions/V78/diff/V99", /V99 is not imported/],
    ["/nowhere", /No route GET \/nowhere/],
  ])("GET %s → 404 problem+json", async (url, detail) => {
    const response = await get(url);
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.json().detail).toMatch(detail);
  });

  it("publishes an OpenAPI document generated from the route schemas", async () => {
    const spec = (await get("/docs/json")).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/healthz",
        "/readyz",
        "/ccam/versions",
        "/ccam/versions/{from}/diff/{to}",
        "/ccam/acts",
        "/ccam/acts/{code}",
      ]),
    );
    expect(spec.paths["/ccam/acts"].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["q", "version", "limit"]),
    );
    expect((await get("/docs")).statusCode).toBeLessThan(400);
  });

  it("serves the same answers on a real listening socket", async () => {
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const response = await fetch(`${address}/ccam/acts/HHFA016`, { headers });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { label: string }).label).toMatch(/^Appendicectomie/);
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await fetch(`${address}/healthz`, { headers: { "x-request-id": "upstream-42" } });
    expect(traced.headers.get("x-request-id")).toBe("upstream-42");
  });
});

describe("HTTP API with no referential imported", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  beforeAll(async () => {
    runtime = await openTestRuntime();
    app = await buildApp(runtime, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  it("is alive but not ready, and says where to put the export", async () => {
    expect((await app.inject("/healthz")).statusCode).toBe(200);
    const ready = await app.inject("/readyz");
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.referential).toEqual({
      ok: false,
      detail: "no CCAM version imported: put the official export in CCAM_SOURCE_DIR and restart",
    });
    const { headers } = await signIn(runtime, ["medecin"]);
    const search = await app.inject({ url: "/ccam/acts?q=hanche", headers });
    expect(search.statusCode).toBe(503);
    expect(search.json().title).toBe("Référentiel absent");
  });
});
