import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import { recordResult } from "./results.js";

/**
 * The optional LLM re-ranker configured but failing: an OpenAI-compatible endpoint on loopback that hangs
 * (accepts the request, never answers), answers garbage, answers 500, or is not listening at all. Suggestions
 * still come back within the budget (plus a margin) from the offline engine, and the workflow says the LLM is
 * degraded.
 */

const BUDGET_MS = 400;
/** Scoring, rules and the database around the model call: what the answer may take beyond the budget. */
const MARGIN_MS = 1500;
const TEXT = "Mise en place d'une prothèse totale de hanche droite cimentée pour coxarthrose";

type Mode = "hang" | "garbage" | "error" | "slow";
let mode: Mode = "hang";
const pending = new Set<ServerResponse>();

describe("LLM outage or slowness: suggestions still answer within budget from the offline engine", () => {
  let llm: Server;
  let runtime: Runtime;
  let app: FastifyInstance;
  let medecin: SignedIn;
  let dim: SignedIn;
  const timings: string[] = [];
  let calls = 0;

  /** Suggestions for TEXT while it is typed, and how long the answer took. */
  const preview = async () => {
    const started = performance.now();
    const response = await app.inject({
      method: "POST",
      url: "/suggestions/preview",
      headers: medecin.headers,
      payload: { text: TEXT },
    });
    return { response, ms: performance.now() - started };
  };

  beforeAll(async () => {
    llm = createServer((req, res) => {
      calls++;
      req.resume();
      req.on("end", () => {
        if (mode === "hang") {
          pending.add(res);
          res.on("close", () => pending.delete(res));
          return;
        }
        if (mode === "error") {
          res
            .writeHead(500, { "content-type": "application/json" })
            .end('{"error":{"message":"overloaded"}}');
          return;
        }
        if (mode === "garbage") {
          res
            .writeHead(200, { "content-type": "application/json" })
            .end('{"choices":[{"message":{"content":"<<<');
          return;
        }
        // slow: a valid answer, but after three budgets.
        const timer = setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              choices: [{ index: 0, message: { role: "assistant", content: '{"codes":[]}' } }],
            }),
          );
        }, BUDGET_MS * 3);
        res.on("close", () => clearTimeout(timer));
      });
    });
    await new Promise<void>((resolve) => llm.listen(0, "127.0.0.1", resolve));
    const { port } = llm.address() as AddressInfo;
    runtime = await openTestRuntime(
      ["CCAM_V81_2026-01-01.csv"],
      {
        CCAM_LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
        CCAM_LLM_MODEL: "hanging-model",
        CCAM_LLM_BUDGET_MS: String(BUDGET_MS),
      },
      { ledger: true },
    );
    app = await buildApp(runtime, { logger: false });
    medecin = await signIn(runtime, ["medecin"]);
    dim = await signIn(runtime, ["superviseur_dim"]);
    // The offline index is built on first use: warm it, so the timings below are about the model call.
    await preview();
  });
  afterAll(async () => {
    for (const res of pending) res.destroy();
    if (llm?.listening) {
      llm.closeAllConnections();
      await new Promise((resolve) => llm.close(resolve));
    }
    await app?.close();
    await runtime?.close();
    recordResult("llm", {
      scenario: "LLM outage/slowness (re-ranker configured)",
      load: `${timings.length} suggestion requests (preview and act creation)`,
      faults:
        "endpoint hangs, answers after 3× budget, answers 500, answers truncated JSON; then a closed port",
      acknowledged: timings.length,
      lost: 0,
      notes: `budget ${BUDGET_MS} ms: ${timings.join(", ")}`,
    });
  });

  for (const scenario of ["hang", "slow", "error", "garbage"] as const) {
    it(`answers from the offline engine when the model ${scenario === "hang" ? "hangs" : scenario === "slow" ? "is slower than the budget" : scenario === "error" ? "fails (500)" : "answers garbage"}`, async () => {
      mode = scenario;
      const before = calls;
      for (let i = 0; i < 3; i++) {
        const { response: previewed, ms: previewMs } = await preview();
        expect(previewed.statusCode, previewed.body).toBe(200);
        expect(previewed.json().engine).toBe("offline");
        expect(
          previewed
            .json()
            .suggestions.slice(0, 5)
            .map((s: { code: string }) => s.code),
        ).toContain("NEKA020");
        expect(previewMs).toBeLessThan(BUDGET_MS + MARGIN_MS);

        const createdAt = performance.now();
        const created = await app.inject({
          method: "POST",
          url: "/actes",
          headers: medecin.headers,
          payload: { patientId: `IPP-LLM-${scenario}-${i}`, performedAt: "2026-03-02", text: TEXT },
        });
        const createMs = performance.now() - createdAt;
        expect(created.statusCode, created.body).toBe(201);
        expect(created.json().suggestions.engine).toBe("offline");
        expect(createMs).toBeLessThan(BUDGET_MS + MARGIN_MS);
        timings.push(`${scenario} ${Math.round(previewMs)}/${Math.round(createMs)} ms`);
      }
      // The model was really asked (the fault is on its side, not a disabled re-ranker).
      expect(calls).toBeGreaterThan(before);
      const metrics = await app.inject({ method: "GET", url: "/admin/metrics", headers: dim.headers });
      expect(metrics.statusCode).toBe(200);
      expect(JSON.stringify(metrics.json().llm)).toMatch(/degraded/);
    });
  }

  it("answers from the offline engine when nothing listens on the model's port any more", async () => {
    for (const res of pending) res.destroy();
    llm.closeAllConnections();
    await new Promise((resolve) => llm.close(resolve));
    for (let i = 0; i < 3; i++) {
      const { response: previewed, ms } = await preview();
      expect(previewed.statusCode).toBe(200);
      expect(previewed.json().engine).toBe("offline");
      expect(ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      timings.push(`refused ${Math.round(ms)} ms`);
    }
  });
});
