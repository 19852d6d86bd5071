import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import { countStatements, type StatementCounter } from "../test-support/statements.js";

const PATIENT = "IPP-STATEMENTS-1";
const TEXT = "Cholécystectomie par cœlioscopie";

/**
 * Round trips per act (decisions 0006 and 0007): the statements `POST /actes` and `POST /validation/{id}` send,
 * counted at the driver (docs/benchmarks.md, "Statements per act"), on PGlite and, with DATABASE_URL, PostgreSQL.
 */
describe("statements per act", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let medecin: SignedIn;
  let codeur: SignedIn;
  let counter: StatementCounter;

  beforeAll(async () => {
    runtime = await openTestRuntime(["CCAM_V81_2026-01-01.csv"], {}, { ledger: true });
    // The anchoring worker's rounds would be counted too: it stays stopped while this file counts.
    await runtime.ledger?.worker.stop();
    app = await buildApp(runtime, { logger: false });
    [medecin, codeur] = await Promise.all([signIn(runtime, ["medecin"]), signIn(runtime, ["codeur"])]);
    counter = countStatements(runtime.database);
  });
  afterAll(async () => {
    counter?.restore();
    await app?.close();
    await runtime?.close();
  });

  const createAct = () =>
    app.inject({
      method: "POST",
      url: "/actes",
      headers: medecin.headers,
      payload: { patientId: PATIENT, performedAt: "2026-03-03T09:00:00Z", text: TEXT },
    });
  const validate = (id: string) =>
    app.inject({
      method: "POST",
      url: `/validation/${id}`,
      headers: codeur.headers,
      payload: { codes: [{ code: "HMFC004", activity: 1, phase: 0 }] },
    });

  it("creates an act in 3 statements and validates it in 2 (a known patient, a warm coder)", async () => {
    // The first act builds the coder and the patient's data key.
    const first = await createAct();
    expect(first.statusCode).toBe(201);
    expect((await validate(first.json().act.id)).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) {
      counter.reset();
      const created = await createAct();
      expect(created.statusCode).toBe(201);
      // Learned boosts (coder), the patient's wrapped key, one WITH … INSERT.
      expect(counter.count, counter.statements.join("\n")).toBe(3);

      counter.reset();
      const validated = await validate(created.json().act.id);
      expect(validated.statusCode).toBe(200);
      // Act + key + chain head in one read, every write in one statement: no BEGIN, no lock, no COMMIT.
      expect(counter.count, counter.statements.join("\n")).toBe(2);
      expect(counter.statements.some((s) => /^(begin|commit)/i.test(s))).toBe(false);
    }
  });

  it("records a rejected validation in 2 statements: the read, then the attempt (422)", async () => {
    const created = await createAct();
    counter.reset();
    const rejected = await app.inject({
      method: "POST",
      url: `/validation/${created.json().act.id}`,
      headers: codeur.headers,
      payload: { codes: [{ code: "HMFC004", activity: 1, phase: 0, modifiers: ["Q"] }] },
    });
    expect(rejected.statusCode).toBe(422);
    expect(counter.count, counter.statements.join("\n")).toBe(2);
  });

  it("answers a decided act's validation with one read (409)", async () => {
    const created = await createAct();
    const id = created.json().act.id;
    expect((await validate(id)).statusCode).toBe(200);
    counter.reset();
    expect((await validate(id)).statusCode).toBe(409);
    expect(counter.count, counter.statements.join("\n")).toBe(1);
  });
});
