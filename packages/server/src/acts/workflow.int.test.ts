import { type SQL, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import { ActService, type ActServiceDeps, type RequestContext } from "./service.js";

const PATIENT = "IPP-2026-000417";
const TEXT =
  "Mise en place d'une prothèse totale de hanche droite cimentée par voie postéro-latérale pour coxarthrose";

describe("act workflow over HTTP (real V81, rules, coder, ledger on an embedded chain)", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let medecin: SignedIn;
  let otherMedecin: SignedIn;
  let codeur: SignedIn;
  let dim: SignedIn;
  let auditeur: SignedIn;

  beforeAll(async () => {
    runtime = await openTestRuntime(
      ["CCAM_V81_2026-01-01.csv"],
      { CCAM_LEDGER_BATCH_MAX_DELAY_MS: "100" },
      { ledger: true },
    );
    app = await buildApp(runtime, { logger: false });
    [medecin, otherMedecin, codeur, dim, auditeur] = await Promise.all([
      signIn(runtime, ["medecin"]),
      signIn(runtime, ["medecin"]),
      signIn(runtime, ["codeur"]),
      signIn(runtime, ["superviseur_dim"]),
      signIn(runtime, ["auditeur"]),
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  const call = (
    who: SignedIn | undefined,
    method: "GET" | "POST" | "DELETE",
    url: string,
    payload?: unknown,
  ) =>
    app.inject({
      method,
      url,
      ...(who ? { headers: who.headers } : {}),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  async function createAct(patientId = PATIENT, text = TEXT) {
    const response = await call(medecin, "POST", "/actes", {
      patientId,
      performedAt: "2026-03-02T10:30:00Z",
      specialty: "orthopédie",
      text,
      setting: "secteur1",
      patient: { sex: "F", ageYears: 72 },
    });
    expect(response.statusCode).toBe(201);
    return response.json() as {
      act: { id: string; pseudonym: string; status: string };
      suggestions: { suggestions: { code: string }[] };
    };
  }

  async function rowsOf<R = Record<string, unknown>>(query: SQL): Promise<R[]> {
    return ((await runtime.database.db.execute(query)) as unknown as { rows: R[] }).rows;
  }

  /** How many rows of a decision table belong to the act. */
  async function rowsOfAct(table: "act_codes" | "validation_attempts", actId: string): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      sql`select count(*)::int as n from ${sql.identifier(table)} where act_id = ${actId}`,
    );
    return row?.n ?? 0;
  }

  async function waitAnchored(actId: string) {
    for (let attempt = 0; attempt < 60; attempt++) {
      const verification = (await call(auditeur, "GET", `/audit/${actId}/verify`)).json();
      if (verification.entries.every((e: { anchor: { anchored: boolean } }) => e.anchor.anchored))
        return verification;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`act ${actId} not anchored in time`);
  }

  it("creates an act with its first suggestions; no clear identifier or text reaches the database", async () => {
    const { act, suggestions } = await createAct();
    expect(act.status).toBe("pending");
    expect(act.pseudonym).toMatch(/^k1\.[0-9a-f]{64}$/);
    expect(suggestions.suggestions.length).toBeGreaterThan(0);
    expect(suggestions.suggestions.slice(0, 5).map((s) => s.code)).toContain("NEKA020");

    const tables = [
      "actes",
      "act_codes",
      "act_suggestions",
      "overrides",
      "audit_entries",
      "patient_keys",
      "validation_attempts",
    ];
    for (const table of tables) {
      const dump =
        (
          (await runtime.database.db.execute(
            sql.raw(`select coalesce(string_agg(t::text, ' '), '') as d from ${table} t`),
          )) as unknown as {
            rows: { d: string }[];
          }
        ).rows[0]?.d ?? "";
      expect(dump, table).not.toContain(PATIENT);
      expect(dump.toLowerCase(), table).not.toContain("hanche");
      expect(dump.toLowerCase(), table).not.toContain("coxarthrose");
    }
  });

  it("shows the worklist by role: a physician sees their own acts, a coder the site's", async () => {
    const mine = (await call(medecin, "GET", "/actes?status=pending&limit=50")).json();
    expect(mine.items.length).toBeGreaterThan(0);
    expect((await call(otherMedecin, "GET", "/actes")).json().items).toEqual([]);
    const site = (await call(codeur, "GET", "/actes?limit=1")).json();
    expect(site.items).toHaveLength(1);
    if (site.nextCursor) {
      const next = (await call(codeur, "GET", `/actes?limit=1&cursor=${site.nextCursor}`)).json();
      expect(next.items[0]?.id).not.toBe(site.items[0].id);
    }
    expect((await call(codeur, "GET", "/actes?cursor=garbage")).statusCode).toBe(400);
  });

  it("decrypts the text only for roles allowed to read it, and audits that reading", async () => {
    const { act } = await createAct();
    const read = (await call(codeur, "GET", `/actes/${act.id}`)).json();
    expect(read.text).toBe(TEXT);
    expect(read.patient).toEqual({ sex: "F", ageYears: 72 });
    const audited = (await call(auditeur, "GET", `/actes/${act.id}`)).json();
    expect(audited.text).toBeUndefined();
    const trail = (await call(auditeur, "GET", `/audit/${act.id}`)).json();
    expect(trail.entries.map((e: { kind: string }) => e.kind)).toEqual([
      "act.created",
      "act.suggested",
      "act.viewed",
    ]);
    expect(trail.entries[2].actor.id).toBe(codeur.user.id);
  });

  it("validates: blocking rule findings → 422 with them, then a valid set is recorded once (409 after)", async () => {
    const { act } = await createAct();
    const rejected = await call(codeur, "POST", `/validation/${act.id}`, {
      codes: [{ code: "NEKA020", activity: 1, phase: 0, modifiers: ["Q"] }],
    });
    expect(rejected.statusCode).toBe(422);
    expect(rejected.headers["content-type"]).toMatch(/problem\+json/);
    expect(
      rejected.json().validation.issues.some((i: { severity: string }) => i.severity === "blocking"),
    ).toBe(true);

    const accepted = await call(codeur, "POST", `/validation/${act.id}`, {
      codes: [
        { code: "NEKA020", activity: 1, phase: 0 },
        { code: "NEKA020", activity: 4, phase: 0 },
      ],
    });
    expect(accepted.statusCode).toBe(200);
    const body = accepted.json();
    expect(body.act.status).toBe("validated");
    expect(body.act.codes.map((c: { code: string; amount: number }) => [c.code, c.amount])).toEqual([
      ["NEKA020", 459.8],
      ["NEKA020", 229.9],
    ]);
    const again = await call(codeur, "POST", `/validation/${act.id}`, {
      codes: [{ code: "NEKA020", activity: 1, phase: 0 }],
    });
    expect(again.statusCode).toBe(409);
  });

  it("records concurrent readings of one act as one unbroken chain (no lost or clashing entry)", async () => {
    const { act } = await createAct("IPP-2026-000555");
    const reads = await Promise.all(Array.from({ length: 8 }, () => call(codeur, "GET", `/actes/${act.id}`)));
    expect(reads.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    const trail = (await call(auditeur, "GET", `/audit/${act.id}`)).json();
    expect(trail.entries.map((e: { position: number }) => e.position)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect((await call(auditeur, "GET", `/audit/${act.id}/verify`)).json().chain).toEqual({
      ok: true,
      length: 10,
    });
  });

  it("serialises concurrent validations of one act: one wins, the other gets 409", async () => {
    const { act } = await createAct();
    const body = { codes: [{ code: "NEKA020", activity: 1, phase: 0 }] };
    const results = await Promise.all([
      call(codeur, "POST", `/validation/${act.id}`, body),
      call(dim, "POST", `/validation/${act.id}`, body),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.statusCode === 409)?.json().title).toBe("Acte déjà traité");
    // Exactly one decision in the chain, and nothing of the loser's in the database.
    const trail = (await call(auditeur, "GET", `/audit/${act.id}`)).json();
    expect(trail.entries.map((e: { kind: string }) => e.kind)).toEqual([
      "act.created",
      "act.suggested",
      "act.validated",
    ]);
    const verification = (await call(auditeur, "GET", `/audit/${act.id}/verify`)).json();
    expect(verification.chain).toEqual({ ok: true, length: 3 });
    expect(verification.differences).toEqual([]);
    expect(await rowsOfAct("act_codes", act.id)).toBe(1);
    expect(await rowsOfAct("validation_attempts", act.id)).toBe(1);
  });

  it("lets a validation race audited readings of the act: all succeed, one gapless chain that verifies", async () => {
    const { act } = await createAct("IPP-2026-000556");
    const results = await Promise.all([
      call(codeur, "GET", `/actes/${act.id}`),
      call(dim, "POST", `/validation/${act.id}`, { codes: [{ code: "NEKA020", activity: 1, phase: 0 }] }),
      call(codeur, "GET", `/actes/${act.id}`),
      call(codeur, "GET", `/actes/${act.id}`),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const trail = (await call(auditeur, "GET", `/audit/${act.id}`)).json();
    const kinds: string[] = trail.entries.map((e: { kind: string }) => e.kind);
    expect(trail.entries.map((e: { position: number }) => e.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(kinds.filter((k) => k === "act.viewed")).toHaveLength(3);
    expect(kinds.filter((k) => k === "act.validated")).toHaveLength(1);
    const verification = (await call(auditeur, "GET", `/audit/${act.id}/verify`)).json();
    expect(verification.chain).toEqual({ ok: true, length: 6 });
    expect(verification.differences).toEqual([]);
  });

  it("overrides only with a real justification; the override is signed and verifiable with the contract's domain", async () => {
    const { act } = await createAct("IPP-2026-000999", "PTH gauche non cimentée");
    const weak = await call(codeur, "POST", `/validation/${act.id}/override`, {
      codes: [{ code: "NEKA012", activity: 1, phase: 0 }],
      justification: "aaaaaaaaaaaaaaaaaaaa",
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].field).toBe("body.justification");
    const missing = await call(codeur, "POST", `/validation/${act.id}/override`, {
      codes: [{ code: "NEKA012", activity: 1, phase: 0 }],
    });
    expect(missing.statusCode).toBe(400);

    const done = await call(codeur, "POST", `/validation/${act.id}/override`, {
      codes: [{ code: "NEKA012", activity: 1, phase: 0 }],
      justification: "Prothèse non cimentée selon le compte rendu opératoire",
    });
    expect(done.statusCode).toBe(200);
    const body = done.json();
    expect(body.act.status).toBe("overridden");
    expect(body.signature.signature).toMatch(/^0x[0-9a-f]{130}$/);
    const [stored] = (
      (await runtime.database.db.execute(
        sql`select signature, signer, decision_id, content_hash, nonce, deadline from overrides where act_id = ${act.id}`,
      )) as unknown as {
        rows: {
          signature: `0x${string}`;
          signer: `0x${string}`;
          decision_id: `0x${string}`;
          content_hash: `0x${string}`;
          nonce: string;
          deadline: string;
        }[];
      }
    ).rows;
    expect(stored).toBeDefined();
    const signer = runtime.workflow?.signer;
    expect(
      await signer?.verify({
        signature: stored?.signature as `0x${string}`,
        signer: stored?.signer as `0x${string}`,
        decisionId: stored?.decision_id as `0x${string}`,
        contentHash: stored?.content_hash as `0x${string}`,
        nonce: stored?.nonce ?? "",
        deadline: stored?.deadline ?? "",
      }),
    ).toBe(true);
    const trail = (await call(auditeur, "GET", `/audit/${act.id}`)).json();
    expect(trail.entries.at(-1).kind).toBe("act.overridden");
    expect(JSON.stringify(trail)).not.toContain("compte rendu");
  });

  it("anchors every audit entry; verify recomputes chain, leaves and proofs against the chain", async () => {
    const { act } = await createAct();
    await call(codeur, "POST", `/validation/${act.id}`, {
      codes: [{ code: "NEKA020", activity: 1, phase: 0 }],
    });
    const verification = await waitAnchored(act.id);
    expect(verification.verified).toBe(true);
    expect(verification.chain).toEqual({ ok: true, length: 3 });
    const trail = (await call(auditeur, "GET", `/audit/${act.id}`)).json();
    for (const entry of trail.entries) {
      expect(entry.anchor).toMatchObject({
        anchored: true,
        txHash: expect.stringMatching(/^0x/),
        blockNumber: expect.any(Number),
      });
      expect(entry.anchor.batchRoot).toMatch(/^0x[0-9a-f]{64}$/);
    }
    const proofs = await call(auditeur, "GET", `/audit/${act.id}/proofs`);
    expect(proofs.statusCode).toBe(200);
    expect(
      proofs
        .json()
        .proofs.map((p: { preimage: { payload: { position: number } } }) => p.preimage.payload.position),
    ).toEqual([1, 2, 3]);
    expect((await call(codeur, "GET", `/audit/${act.id}/proofs`)).statusCode).toBe(403);
  });

  it("detects a tampered audit row: names the act's first broken entry", async () => {
    const { act } = await createAct();
    await waitAnchored(act.id);
    await runtime.database.db.execute(
      sql`update audit_entries set payload = jsonb_set(payload, '{specialty}', '"cardiologie"') where act_id = ${act.id} and position = 1`,
    );
    const verification = (await call(auditeur, "GET", `/audit/${act.id}/verify`)).json();
    expect(verification.verified).toBe(false);
    expect(verification.chain).toEqual({
      ok: false,
      firstBreak: { position: 1, reason: "the payload does not match its hash (modified)" },
    });
    expect(verification.differences[0]).toMatch(/^audit entry 1:/);
  });

  it("erases a patient by crypto-shredding: text unreadable, trail still verifiable; export and metrics", async () => {
    const { act } = await createAct("IPP-ERASE-1", "Arthroscopie du genou avec méniscectomie");
    const exported = (await call(dim, "GET", `/patients/${act.pseudonym}/export`)).json();
    expect(exported.acts[0].text).toBe("Arthroscopie du genou avec méniscectomie");
    expect((await call(codeur, "DELETE", `/patients/${act.pseudonym}`)).statusCode).toBe(403);
    const erased = await call(dim, "DELETE", `/patients/${act.pseudonym}`);
    expect(erased.statusCode).toBe(200);
    expect(erased.json().acts).toBe(1);
    expect((await call(dim, "DELETE", `/patients/${act.pseudonym}`)).statusCode).toBe(409);
    const after = (await call(codeur, "GET", `/actes/${act.id}`)).json();
    expect(after).toMatchObject({ text: null, erased: true });
    const verification = await waitAnchored(act.id);
    expect(verification.verified).toBe(true);
    expect(verification.entries.at(-1).kind).toBe("patient.erased");

    const metrics = (await call(dim, "GET", "/admin/metrics")).json();
    expect(metrics.acts.validated + metrics.acts.overridden).toBeGreaterThan(0);
    expect(metrics.overrideRate).toBeGreaterThan(0);
    expect(metrics.topOverrideReasons[0]).toEqual({ reason: "compte rendu", count: 1 });
    expect(metrics.rejectionRate).toBeGreaterThan(0);
    expect(metrics.suggestionLatencyMs.p95).toBeGreaterThan(0);
    expect(metrics.anchoring.state).toBe("ok");
  });

  it.each([
    ["POST", "/actes", { performedAt: "2026-03-02", text: "PTH" }, "body.patientId"],
    ["POST", "/actes", { patientId: "IPP-1", performedAt: "hier", text: "PTH droite" }, "body.performedAt"],
    ["GET", "/actes/not-a-uuid", undefined, "params.acteId"],
    ["POST", "/validation/00000000-0000-4000-8000-000000000000", { codes: [] }, "body.codes"],
    ["GET", "/actes?limit=500", undefined, "querystring.limit"],
  ] as const)("%s %s with bad input → 400 naming %s", async (method, url, payload, field) => {
    const response = await call(codeur, method, url, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it("runs the same flow over a real listening socket: create, validate, audit verified on chain", async () => {
    const server = await buildApp(runtime, { logger: false });
    const address = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const send = async (method: string, path: string, body?: unknown, who = codeur) => {
        const response = await fetch(`${address}${path}`, {
          method,
          headers: { ...who.headers, ...(body ? { "content-type": "application/json" } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        // biome-ignore lint/suspicious/noExplicitAny: test reads JSON answers loosely
        return { status: response.status, body: (await response.json()) as any };
      };
      const created = await send("POST", "/actes", {
        patientId: "IPP-SOCKET-1",
        performedAt: "2026-03-03",
        text: "Cholécystectomie par cœlioscopie",
      });
      expect(created.status).toBe(201);
      const id = created.body.act.id as string;
      expect(created.body.suggestions.suggestions[0].code).toBe("HMFC004");
      const validated = await send("POST", `/validation/${id}`, {
        codes: [{ code: "HMFC004", activity: 1, phase: 0 }],
      });
      expect(validated.status).toBe(200);
      expect(validated.body.act.status).toBe("validated");
      for (let attempt = 0; attempt < 60; attempt++) {
        const verification = await send("GET", `/audit/${id}/verify`, undefined, auditeur);
        if (verification.body.entries.every((e: { anchor: { anchored: boolean } }) => e.anchor.anchored)) {
          expect(verification.body.verified).toBe(true);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`act ${id} not anchored in time`);
    } finally {
      await server.close();
    }
  });

  it("answers 404 for an unknown act and 401 without a token", async () => {
    expect((await call(codeur, "GET", "/actes/00000000-0000-4000-8000-000000000000")).statusCode).toBe(404);
    expect((await call(undefined, "GET", "/actes")).statusCode).toBe(401);
  });

  // Last: these decisions (an override among them) would change the counts the metrics test above expects.
  describe("optimistic decisions: the chain moves between a decision's read and its write", () => {
    const contextOf = (who: SignedIn): RequestContext => ({
      actor: { id: who.user.id, roles: [...who.user.roles] },
      requestId: null,
      seesAllActs: true,
      readsClinicalText: true,
    });
    /**
     * The runtime's act service over a database that runs `race` just before the decision's write: the single
     * write statement (a validation: a prepared statement of the database's session) or the transaction of nonce
     * and write (an override). What `race` commits is invisible to the decision's read, as if another request had
     * got there in between.
     */
    function racing(race: (write: number) => Promise<void>): ActService {
      const service = runtime.workflow?.acts as ActService;
      const deps = (service as unknown as { deps: ActServiceDeps }).deps;
      let writes = 0;
      const session = new Proxy(deps.db._.session, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== "prepareQuery") return value;
          return (...args: unknown[]) => {
            const prepared = value.apply(target, args);
            return {
              execute: async (values: unknown) => {
                await race(++writes);
                return prepared.execute(values);
              },
            };
          };
        },
      });
      const db = new Proxy(deps.db, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property === "_") return { ...value, session };
          if (property !== "transaction" || typeof value !== "function") return value;
          return async (...args: unknown[]) => {
            await race(++writes);
            return value.apply(target, args);
          };
        },
      });
      return new ActService({ ...deps, db });
    }
    const kindsOf = async (id: string): Promise<string[]> =>
      (await call(auditeur, "GET", `/audit/${id}`)).json().entries.map((e: { kind: string }) => e.kind);
    const verified = async (id: string) => {
      const verification = (await call(auditeur, "GET", `/audit/${id}/verify`)).json();
      expect(verification.chain.ok).toBe(true);
      expect(verification.differences).toEqual([]);
      return verification;
    };

    it("validation: an audited read appended meanwhile → the write fails on the position, is retried, and appends after it", async () => {
      const { act } = await createAct("IPP-RACE-1");
      const service = racing(async (write) => {
        if (write === 1) await runtime.workflow?.acts.get(act.id, contextOf(codeur));
      });
      const decided = await service.validate(
        act.id,
        [{ code: "NEKA020", activity: 1, phase: 0, modifiers: [] }],
        contextOf(dim),
      );
      expect(decided.act.status).toBe("validated");
      expect(await kindsOf(act.id)).toEqual(["act.created", "act.suggested", "act.viewed", "act.validated"]);
      await verified(act.id);
      // The failed first write left nothing behind: one attempt, one code line.
      expect(await rowsOfAct("validation_attempts", act.id)).toBe(1);
      expect(await rowsOfAct("act_codes", act.id)).toBe(1);
    });

    it("validation: another decision committed meanwhile → 409, and the loser wrote nothing", async () => {
      const { act } = await createAct("IPP-RACE-2");
      const service = racing(async (write) => {
        if (write === 1)
          await runtime.workflow?.acts.validate(
            act.id,
            [{ code: "NEKA020", activity: 1, phase: 0, modifiers: [] }],
            contextOf(codeur),
          );
      });
      await expect(
        service.validate(
          act.id,
          [
            { code: "NEKA020", activity: 1, phase: 0, modifiers: [] },
            { code: "NEKA020", activity: 4, phase: 0, modifiers: [] },
          ],
          contextOf(dim),
        ),
      ).rejects.toMatchObject({ status: 409, title: "Acte déjà traité" });
      expect(await kindsOf(act.id)).toEqual(["act.created", "act.suggested", "act.validated"]);
      await verified(act.id);
      // The winner's single line (activity 1), not the loser's two; the winner's attempt only.
      expect(
        await rowsOf(
          sql`select activity, decided_by from act_codes, actes where act_id = ${act.id} and actes.id = act_id`,
        ),
      ).toEqual([{ activity: 1, decided_by: codeur.user.id }]);
      expect(await rowsOfAct("validation_attempts", act.id)).toBe(1);
    });

    it("validation: the write adds rows only if its guarded status update matched (status changed without an append → 409, nothing added)", async () => {
      const { act } = await createAct("IPP-RACE-5");
      // Not something the service does: a status changed behind the chain's back, so no position clash warns.
      const service = racing(async (write) => {
        if (write === 1)
          await runtime.database.db.execute(sql`update actes set status = 'validated' where id = ${act.id}`);
      });
      await expect(
        service.validate(act.id, [{ code: "NEKA020", activity: 1, phase: 0, modifiers: [] }], contextOf(dim)),
      ).rejects.toMatchObject({ status: 409, title: "Acte déjà traité" });
      expect(await kindsOf(act.id)).toEqual(["act.created", "act.suggested"]);
      expect(await rowsOfAct("act_codes", act.id)).toBe(0);
      expect(await rowsOfAct("validation_attempts", act.id)).toBe(0);
    });

    it("override: a lost race rolls its signer nonce back (nonces stay gapless) and the retry signs again", async () => {
      const { act, suggestions } = await createAct("IPP-RACE-3", "PTH gauche non cimentée");
      const nonceBefore = await rowsOf<{ next: number }>(sql`select next from signer_nonces`);
      const service = racing(async (write) => {
        if (write === 1) await runtime.workflow?.acts.get(act.id, contextOf(codeur));
      });
      const decided = await service.override(
        act.id,
        [{ code: "NEKA012", activity: 1, phase: 0, modifiers: [] }],
        "Prothèse non cimentée selon le compte rendu opératoire",
        contextOf(dim),
      );
      expect(decided.act.status).toBe("overridden");
      expect(await kindsOf(act.id)).toEqual(["act.created", "act.suggested", "act.viewed", "act.overridden"]);
      await verified(act.id);
      // The first suggestion, read with the act, is what the override records as overridden.
      const trail = (await call(auditeur, "GET", `/audit/${act.id}`)).json();
      expect(trail.entries.at(-1).payload.suggested).toEqual(suggestions.suggestions.map((x) => x.code));
      const [after] = await rowsOf<{ next: number }>(sql`select next from signer_nonces`);
      const expectedNonce = nonceBefore[0]?.next ?? 0;
      expect(after?.next).toBe(expectedNonce + 1);
      expect(await rowsOf(sql`select nonce from overrides where act_id = ${act.id}`)).toEqual([
        { nonce: String(expectedNonce) },
      ]);
    });

    it("gives up after 5 lost races with 503, nothing recorded; the chain still verifies", async () => {
      const { act } = await createAct("IPP-RACE-4");
      let races = 0;
      const service = racing(async () => {
        races++;
        await runtime.workflow?.acts.get(act.id, contextOf(codeur));
      });
      const codes = [{ code: "NEKA020", activity: 1, phase: 0, modifiers: [] }];
      await expect(service.validate(act.id, codes, contextOf(dim))).rejects.toMatchObject({ status: 503 });
      expect(races).toBe(5);
      expect(await kindsOf(act.id)).toEqual(["act.created", "act.suggested", ...Array(5).fill("act.viewed")]);
      await verified(act.id);
      expect(await rowsOfAct("validation_attempts", act.id)).toBe(0);
      // Left alone, the act is decided at once.
      expect((await runtime.workflow?.acts.validate(act.id, codes, contextOf(dim)))?.act.status).toBe(
        "validated",
      );
    });
  });
});
