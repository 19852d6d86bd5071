import { verifyProofDocument } from "@ccam/ledger";
import { type SQL, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, GENESIS_HASH, linkHash, sha256Hex } from "../acts/audit.js";
import { buildApp } from "../app.js";
import type { Runtime } from "../bootstrap.js";
import { type SignedIn, signIn } from "../test-support/auth.js";
import { openTestRuntime } from "../test-support/runtime.js";
import { recordResult } from "./results.js";

/**
 * A DBA rewrites history directly in the database: updates, deletes or reorders an act's audit rows, changes a
 * decided act's codes, rewrites an entry and recomputes the whole hash chain so it is self-consistent, replaces
 * an anchored Merkle root. `GET /audit/{id}/verify` must name the act and its first broken link (or the anchor
 * that no longer matches), leave untouched acts verified, and an exported proof with a replaced root must fail.
 */

const TEXT =
  "Mise en place d'une prothèse totale de hanche droite cimentée par voie postéro-latérale pour coxarthrose";
const CODES = [
  { code: "NEKA020", activity: 1, phase: 0 },
  { code: "NEKA020", activity: 4, phase: 0 },
];

interface Verification {
  actId: string;
  verified: boolean;
  chain: { ok: true; length: number } | { ok: false; firstBreak: { position: number; reason: string } };
  entries: { position: number; anchor: { anchored: boolean; ok: boolean | null; detail: string } }[];
  differences: string[];
}

describe("tampering with the audit trail, the decisions and the anchors", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let medecin: SignedIn;
  let codeur: SignedIn;
  let auditeur: SignedIn;
  const acts: string[] = [];
  const detected: string[] = [];

  const exec = (query: SQL) => runtime.database.db.execute(query);
  const rows = async <T>(query: SQL) => ((await exec(query)) as unknown as { rows: T[] }).rows;
  const verify = async (id: string): Promise<Verification> => {
    const response = await app.inject({
      method: "GET",
      url: `/audit/${id}/verify`,
      headers: auditeur.headers,
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    runtime = await openTestRuntime(
      ["CCAM_V81_2026-01-01.csv"],
      { CCAM_LEDGER_BATCH_MAX_DELAY_MS: "100" },
      { ledger: true },
    );
    app = await buildApp(runtime, { logger: false });
    [medecin, codeur, auditeur] = await Promise.all([
      signIn(runtime, ["medecin"]),
      signIn(runtime, ["codeur"]),
      signIn(runtime, ["auditeur"]),
    ]);
    for (let i = 0; i < 8; i++) {
      const created = await app.inject({
        method: "POST",
        url: "/actes",
        headers: medecin.headers,
        payload: {
          patientId: `IPP-TAMPER-${i}`,
          performedAt: "2026-03-02T10:30:00Z",
          text: TEXT,
          patient: { sex: "F", ageYears: 72 },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().act.id as string;
      const validated = await app.inject({
        method: "POST",
        url: `/validation/${id}`,
        headers: codeur.headers,
        payload: { codes: CODES },
      });
      expect(validated.statusCode, validated.body).toBe(200);
      // A reading by the coder adds an entry: chains of 4 (created, suggested, validated, viewed).
      expect(
        (await app.inject({ method: "GET", url: `/actes/${id}`, headers: codeur.headers })).statusCode,
      ).toBe(200);
      acts.push(id);
    }
    // Everything anchored and verified before the attacks.
    const deadline = Date.now() + 120_000;
    for (const id of acts) {
      for (;;) {
        const v = await verify(id);
        if (v.verified && v.entries.every((e) => e.anchor.anchored && e.anchor.ok)) break;
        if (Date.now() > deadline) throw new Error(`act ${id} not anchored: ${JSON.stringify(v)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    recordResult("tampering", {
      scenario: "Tampering in the database (audit rows, codes, recomputed chain, anchored root)",
      load: `${acts.length} validated, anchored acts`,
      faults:
        "update / delete / reorder audit rows; change codes; rewrite + rehash a chain; replace an anchored root",
      acknowledged: acts.length,
      lost: 0,
      notes: detected.join("; "),
    });
  });

  const expectBroken = (v: Verification, id: string, position: number) => {
    expect(v.actId).toBe(id);
    expect(v.verified).toBe(false);
    expect(v.chain.ok).toBe(false);
    if (!v.chain.ok) expect(v.chain.firstBreak.position).toBe(position);
    detected.push(
      `${v.chain.ok ? "?" : `entry ${v.chain.firstBreak.position}: ${v.chain.firstBreak.reason}`}`,
    );
  };

  it("an updated audit payload: the act and its first modified entry are named", async () => {
    const id = acts[0] as string;
    await exec(
      sql`update audit_entries set payload = jsonb_set(payload, '{codes,0,code}', '"LFQK002"') where act_id = ${id} and position = 3`,
    );
    expectBroken(await verify(id), id, 3);
  });

  it("a deleted audit row: the gap is the first broken link", async () => {
    const id = acts[1] as string;
    await exec(sql`delete from audit_entries where act_id = ${id} and position = 2`);
    expectBroken(await verify(id), id, 2);
  });

  it("two audit rows swapped (reordered): the first out-of-order link is named", async () => {
    const id = acts[2] as string;
    await exec(sql`update audit_entries set position = -1 where act_id = ${id} and position = 2`);
    await exec(sql`update audit_entries set position = 2 where act_id = ${id} and position = 3`);
    await exec(sql`update audit_entries set position = 3 where act_id = ${id} and position = -1`);
    expectBroken(await verify(id), id, 2);
  });

  it("an updated actor or timestamp of an entry: the entry's own hash no longer matches", async () => {
    const id = acts[3] as string;
    await exec(
      sql`update audit_entries set actor_id = ${medecin.user.id} where act_id = ${id} and position = 3`,
    );
    expectBroken(await verify(id), id, 3);
  });

  it("a decided act's codes changed in act_codes: the decision no longer matches its audit entry", async () => {
    const id = acts[4] as string;
    await exec(sql`update act_codes set code = 'LFQK002' where act_id = ${id} and position = 0`);
    const v = await verify(id);
    expect(v.actId).toBe(id);
    expect(v.verified, JSON.stringify(v)).toBe(false);
    expect(v.differences.join(" "), JSON.stringify(v)).toMatch(/code/i);
    detected.push(`codes: ${v.differences[0]}`);
  });

  it("an entry rewritten with the whole chain recomputed (self-consistent): the anchor on chain catches it", async () => {
    const id = acts[5] as string;
    await exec(
      sql`update audit_entries set payload = jsonb_set(payload, '{codes,0,code}', '"LFQK002"') where act_id = ${id} and position = 3`,
    );
    // The billed codes too, so that the act and its trail agree.
    await exec(
      sql`update act_codes set code = 'LFQK002' where act_id = ${id} and code = 'NEKA020' and activity = 1`,
    );
    // Recompute payload hashes, links and entry hashes from position 1, as an attacker who read the code would.
    const links = await rows<{
      id: number;
      act_id: string;
      position: number;
      kind: string;
      actor_id: string;
      at: string | Date;
      request_id: string | null;
      payload: unknown;
    }>(sql`select * from audit_entries where act_id = ${id} order by position`);
    let previous = GENESIS_HASH;
    for (const link of links) {
      const payloadHash = sha256Hex(canonicalJson(link.payload));
      const entryHash = linkHash({
        actId: link.act_id,
        position: link.position,
        kind: link.kind,
        actorId: link.actor_id,
        at: new Date(link.at).toISOString(),
        requestId: link.request_id,
        payload: link.payload,
        payloadHash,
        prevHash: previous,
      });
      await exec(
        sql`update audit_entries set payload_hash = ${payloadHash}, prev_hash = ${previous}, entry_hash = ${entryHash} where id = ${link.id}`,
      );
      previous = entryHash;
    }
    const v = await verify(id);
    expect(v.chain.ok, JSON.stringify(v)).toBe(true);
    expect(v.verified).toBe(false);
    const broken = v.entries.find((e) => e.anchor.ok === false);
    expect(broken?.position, JSON.stringify(v)).toBe(3);
    expect(v.differences[0]).toMatch(/^audit entry 3: /);
    detected.push(`rehashed chain: ${v.differences[0]}`);
  });

  it("an anchored root replaced in the database: verify fails against the chain, and so does an exported proof", async () => {
    const id = acts[6] as string;
    const ledger = runtime.ledger;
    if (!ledger) throw new Error("no ledger");
    const [entry] = await rows<{ leaf_seq: number }>(
      sql`select leaf_seq from audit_entries where act_id = ${id} and position = 1`,
    );
    const seq = entry?.leaf_seq as number;
    const genuine = await ledger.inclusionProof(seq);
    const rpcUrl = ledger.node?.rpcUrl as string;
    expect((await verifyProofDocument(genuine, rpcUrl)).valid).toBe(true);
    // The exported proof, its root replaced: fails.
    const forgedRoot = `0x${"ab".repeat(32)}`;
    const forgedDoc = await verifyProofDocument(
      { ...genuine, treeHead: { ...genuine.treeHead, root: forgedRoot } },
      rpcUrl,
    );
    expect(forgedDoc.valid).toBe(false);
    // The database's copy of that anchored head, replaced: the act's verification fails on that anchor.
    const size = genuine.treeHead.size;
    const [head] = await rows<{ root: string }>(sql`select root from tree_heads where tree_size = ${size}`);
    const stored = head?.root as string;
    const replaced = stored.startsWith("0x") ? forgedRoot : forgedRoot.slice(2);
    await exec(sql`update tree_heads set root = ${replaced} where tree_size = ${size}`);
    try {
      const v = await verify(id);
      expect(v.verified, JSON.stringify(v)).toBe(false);
      expect(v.entries.some((e) => e.anchor.ok === false)).toBe(true);
      detected.push(`replaced root: ${v.differences[0]}`);
    } finally {
      await exec(sql`update tree_heads set root = ${stored} where tree_size = ${size}`);
    }
  });

  // An override teaches the coder with the distinct stemmed words of the act's clinical text: the learning store
  // keeps only their keyed hashes (HMAC under the pseudonymisation key, which is not in the database).
  it("keeps no clear word of an overridden clinical text in the learning store", async () => {
    const created = await app.inject({
      method: "POST",
      url: "/actes",
      headers: medecin.headers,
      payload: {
        patientId: "IPP-TAMPER-LEARN",
        performedAt: "2026-03-02T10:30:00Z",
        text: `${TEXT}, Mme Zorglubova, reprise après luxation`,
        patient: { sex: "F", ageYears: 72 },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().act.id as string;
    const overridden = await app.inject({
      method: "POST",
      url: `/validation/${id}/override`,
      headers: codeur.headers,
      payload: {
        codes: [{ code: "NEKA012", activity: 1, phase: 0 }],
        justification: "Prothèse non cimentée selon le compte rendu opératoire",
      },
    });
    expect(overridden.statusCode, overridden.body).toBe(200);
    const dump = await rows<{ d: string }>(
      sql`select coalesce(string_agg(t::text, ' '), '') as d from coder_learning_events t`,
    );
    const stored = dump[0]?.d ?? "";
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.toLowerCase()).not.toMatch(/zorglub|coxarthros|hanch/);
  });

  it("leaves the untouched act verified (no false alarm)", async () => {
    const v = await verify(acts[7] as string);
    expect(v.verified, JSON.stringify(v)).toBe(true);
  });
});
