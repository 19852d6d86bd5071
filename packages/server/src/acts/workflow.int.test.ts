import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";

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
});
