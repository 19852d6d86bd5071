import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import { countStatements, type StatementCounter } from "../test-support/statements.js";
import { unwrapKey, wrapKey } from "./crypto.js";
import { ActService, type ActServiceDeps } from "./service.js";

const PATIENT = "IPP-STATEMENTS-1";
const TEXT = "Cholécystectomie par cœlioscopie";

/**
 * Round trips per act (decisions 0006, 0007 and 0009): the statements `POST /actes` and `POST /validation/{id}` send,
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

  it("creates an act in 1 statement and validates it in 1 (a patient this instance knows, a warm coder, an act it created)", async () => {
    // The first act builds the coder and the patient's data key.
    const first = await createAct();
    expect(first.statusCode).toBe(201);
    expect((await validate(first.json().act.id)).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) {
      counter.reset();
      const created = await createAct();
      expect(created.statusCode).toBe(201);
      // One WITH … INSERT (sealed with the patient's key as this instance knows it); the text's learned rows
      // were read for the first act and are kept.
      expect(counter.count, counter.statements.join("\n")).toBe(1);

      counter.reset();
      const validated = await validate(created.json().act.id);
      expect(validated.statusCode).toBe(200);
      // The act as this instance created it: no read; every write in one statement: no BEGIN, no lock, no COMMIT.
      expect(counter.count, counter.statements.join("\n")).toBe(1);
      expect(counter.statements.some((s) => /^(begin|commit)/i.test(s))).toBe(false);
    }
  });

  it("records a rejected validation in 1 statement: the attempt (422)", async () => {
    const created = await createAct();
    counter.reset();
    const rejected = await app.inject({
      method: "POST",
      url: `/validation/${created.json().act.id}`,
      headers: codeur.headers,
      payload: { codes: [{ code: "HMFC004", activity: 1, phase: 0, modifiers: ["Q"] }] },
    });
    expect(rejected.statusCode).toBe(422);
    expect(counter.count, counter.statements.join("\n")).toBe(1);
    // The act stays pending; its next decision reads it (act + key + chain head in one statement), then writes.
    counter.reset();
    expect((await validate(created.json().act.id)).statusCode).toBe(200);
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

  it("creates a new patient's first act in 3 statements: key read, key insert, the write", async () => {
    counter.reset();
    const created = await app.inject({
      method: "POST",
      url: "/actes",
      headers: medecin.headers,
      payload: { patientId: "IPP-STATEMENTS-NEW", performedAt: "2026-03-03T09:00:00Z", text: TEXT },
    });
    expect(created.statusCode).toBe(201);
    expect(counter.count, counter.statements.join("\n")).toBe(3);
  });

  it("reads the learned rows of a text's new words once, and again after a correction", async () => {
    const create = () =>
      app.inject({
        method: "POST",
        url: "/actes",
        headers: medecin.headers,
        payload: {
          patientId: PATIENT,
          performedAt: "2026-03-03T09:00:00Z",
          text: "Appendicectomie par laparotomie",
        },
      });
    counter.reset();
    const first = await create();
    expect(first.statusCode).toBe(201);
    expect(counter.statements.filter((s) => s.includes("coder_learning_events"))).toHaveLength(1);
    expect(counter.count, counter.statements.join("\n")).toBe(2);
    counter.reset();
    expect((await create()).statusCode).toBe(201);
    expect(counter.count, counter.statements.join("\n")).toBe(1);
    // A correction (here, on this instance) drops what the instance kept: the next text reads the table again.
    const overridden = await app.inject({
      method: "POST",
      url: `/validation/${first.json().act.id}/override`,
      headers: codeur.headers,
      payload: {
        codes: [{ code: "HHFA016", activity: 1, phase: 0 }],
        justification: "Voie d'abord confirmée par le compte rendu opératoire joint au dossier",
      },
    });
    expect(overridden.statusCode, overridden.body).toBe(200);
    counter.reset();
    expect((await create()).statusCode).toBe(201);
    expect(counter.statements.filter((s) => s.includes("coder_learning_events"))).toHaveLength(1);
  });
});

/**
 * An instance seals a known patient's new acts with the key it last read, without reading it again: the creation
 * statement writes only if that key is still the patient's. Here another instance (a second service over the same
 * database, with its own memory) erases the patient, or re-wraps the keys, behind this one's back.
 */
describe("sealing keys an instance keeps", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let medecin: SignedIn;
  let dim: SignedIn;
  let other: ActService;
  const deps = () => {
    const service = runtime.workflow?.acts as ActService;
    return (service as unknown as { deps: ActServiceDeps }).deps;
  };

  beforeAll(async () => {
    runtime = await openTestRuntime(["CCAM_V81_2026-01-01.csv"], {}, { ledger: true });
    app = await buildApp(runtime, { logger: false });
    [medecin, dim] = await Promise.all([signIn(runtime, ["medecin"]), signIn(runtime, ["superviseur_dim"])]);
    other = new ActService(deps());
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  const createAct = (patientId: string) =>
    app.inject({
      method: "POST",
      url: "/actes",
      headers: medecin.headers,
      payload: { patientId, performedAt: "2026-03-03T09:00:00Z", text: TEXT },
    });
  const actsOf = async (pseudonym: string) =>
    (
      (await runtime.database.db.execute(
        sql`select count(*)::int as n from actes where pseudonym = ${pseudonym}`,
      )) as unknown as { rows: { n: number }[] }
    ).rows[0]?.n;

  it("refuses a new act once another instance erased the patient (409), and writes nothing", async () => {
    const first = await createAct("IPP-SEALED-ERASED");
    expect(first.statusCode).toBe(201);
    const pseudonym: string = first.json().act.pseudonym;
    await other.erasePatient(pseudonym, {
      actor: { id: dim.user.id, roles: [...dim.user.roles] },
      requestId: null,
      seesAllActs: true,
      readsClinicalText: false,
    });
    const refused = await createAct("IPP-SEALED-ERASED");
    expect(refused.statusCode).toBe(409);
    expect(refused.json().title).toBe("Patient effacé");
    expect(await actsOf(pseudonym)).toBe(1);
  });

  it("reads the key again when another instance re-wrapped it: the write fails, is retried, and the act opens", async () => {
    const first = await createAct("IPP-SEALED-REWRAPPED");
    expect(first.statusCode).toBe(201);
    const pseudonym: string = first.json().act.pseudonym;
    // As a master key rotation's re-wrap leaves it: the same data key, wrapped anew.
    const { master } = deps().keys;
    const [stored] = (
      (await runtime.database.db.execute(
        sql`select wrapped_key from patient_keys where pseudonym = ${pseudonym}`,
      )) as unknown as { rows: { wrapped_key: string }[] }
    ).rows;
    const rewrapped = wrapKey(
      unwrapKey(stored?.wrapped_key ?? "", master, pseudonym),
      master.current,
      pseudonym,
    );
    await runtime.database.db.execute(
      sql`update patient_keys set wrapped_key = ${rewrapped} where pseudonym = ${pseudonym}`,
    );
    const counter = countStatements(runtime.database);
    try {
      const second = await createAct("IPP-SEALED-REWRAPPED");
      expect(second.statusCode).toBe(201);
      // The write refused by its guard, the key read again, the write.
      expect(counter.count, counter.statements.join("\n")).toBe(3);
      expect(counter.statements.filter((s) => /^with/i.test(s))).toHaveLength(2);
      const read = await app.inject({
        method: "GET",
        url: `/actes/${second.json().act.id}`,
        headers: dim.headers,
      });
      expect(read.statusCode).toBe(200);
      expect(read.json().text).toBe(TEXT);
    } finally {
      counter.restore();
    }
    expect(await actsOf(pseudonym)).toBe(2);
  });
});

/**
 * The first decision of an act this instance created uses the act as it wrote it, without reading it. Here
 * another instance (a second service over the same database) or an audited read moves the act on behind its back:
 * the decision's write refuses, and the decision is read and tried again.
 */
describe("acts an instance keeps from their creation", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let medecin: SignedIn;
  let codeur: SignedIn;
  let dim: SignedIn;
  let auditeur: SignedIn;
  let other: ActService;
  let counter: StatementCounter;
  const ctxOf = (who: SignedIn) => ({
    actor: { id: who.user.id, roles: [...who.user.roles] },
    requestId: null,
    seesAllActs: true,
    readsClinicalText: false,
  });
  const CODES = [{ code: "HMFC004", activity: 1, phase: 0 }];

  beforeAll(async () => {
    runtime = await openTestRuntime(["CCAM_V81_2026-01-01.csv"], {}, { ledger: true });
    await runtime.ledger?.worker.stop();
    app = await buildApp(runtime, { logger: false });
    [medecin, codeur, dim, auditeur] = await Promise.all([
      signIn(runtime, ["medecin"]),
      signIn(runtime, ["codeur"]),
      signIn(runtime, ["superviseur_dim"]),
      signIn(runtime, ["auditeur"]),
    ]);
    const service = runtime.workflow?.acts as ActService;
    other = new ActService((service as unknown as { deps: ActServiceDeps }).deps);
    counter = countStatements(runtime.database);
  });
  afterAll(async () => {
    counter?.restore();
    await app?.close();
    await runtime?.close();
  });

  const createAct = async (patientId: string) => {
    const created = await app.inject({
      method: "POST",
      url: "/actes",
      headers: medecin.headers,
      payload: { patientId, performedAt: "2026-03-03T09:00:00Z", text: TEXT },
    });
    expect(created.statusCode).toBe(201);
    return created.json().act as { id: string; pseudonym: string };
  };
  const validate = (id: string) =>
    app.inject({
      method: "POST",
      url: `/validation/${id}`,
      headers: codeur.headers,
      payload: { codes: CODES },
    });
  const rowOf = async (id: string) =>
    (
      (await runtime.database.db.execute(
        sql`select status, (select count(*)::int from act_codes where act_id = ${id}) as codes from actes where id = ${id}`,
      )) as unknown as { rows: { status: string; codes: number }[] }
    ).rows[0];

  it("validates an act another instance created with a read, then the write", async () => {
    const act = await createAct("IPP-KEPT-OTHER");
    counter.reset();
    const decided = await other.validate(act.id, CODES, ctxOf(codeur));
    expect(decided.act.status).toBe("validated");
    expect(counter.count, counter.statements.join("\n")).toBe(2);
  });

  it("answers 409 when another instance decided first: the write refuses, the read finds it decided", async () => {
    const act = await createAct("IPP-KEPT-RACE");
    await other.validate(act.id, CODES, ctxOf(codeur));
    counter.reset();
    const late = await validate(act.id);
    expect(late.statusCode).toBe(409);
    expect(counter.count, counter.statements.join("\n")).toBe(2);
    expect(await rowOf(act.id)).toEqual({ status: "validated", codes: 1 });
  });

  it("answers 410 and writes nothing when another instance erased the patient meanwhile", async () => {
    const act = await createAct("IPP-KEPT-ERASED");
    await other.erasePatient(act.pseudonym, ctxOf(dim));
    const refused = await validate(act.id);
    expect(refused.statusCode).toBe(410);
    expect(await rowOf(act.id)).toEqual({ status: "pending", codes: 0 });
  });

  it("appends after an audited read that took the chain's next position, and the trail verifies", async () => {
    const act = await createAct("IPP-KEPT-VIEWED");
    const viewed = await app.inject({ method: "GET", url: `/actes/${act.id}`, headers: dim.headers });
    expect(viewed.json().text).toBe(TEXT);
    counter.reset();
    expect((await validate(act.id)).statusCode).toBe(200);
    // The write that lost the position, the read, the write.
    expect(counter.count, counter.statements.join("\n")).toBe(3);
    const verified = await app.inject({
      method: "GET",
      url: `/audit/${act.id}/verify`,
      headers: auditeur.headers,
    });
    expect(verified.json()).toMatchObject({ verified: true, chain: { ok: true, length: 4 } });
    expect(verified.json().entries.map((e: { kind: string }) => e.kind)).toEqual([
      "act.created",
      "act.suggested",
      "act.viewed",
      "act.validated",
    ]);
  });
});
