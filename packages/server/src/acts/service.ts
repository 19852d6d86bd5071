import { createHmac, randomUUID } from "node:crypto";
import type { ReferentialCatalog, ValidationResult } from "@ccam/ccam";
import { bindRecord, type Database, PreparedStatement, placeholdersOf } from "@ccam/db";
import type { ProofBundle, ProofDocument } from "@ccam/ledger";
import { and, asc, desc, eq, getTableName, gte, inArray, lt, lte, or, type SQL, sql } from "drizzle-orm";
import { QueryBuilder } from "drizzle-orm/pg-core";
import { MemoryCache, type SharedCache } from "../cache/index.js";
import { HttpProblem } from "../problem.js";
import {
  type AuditActor,
  type AuditEvent,
  type AuditLink,
  canonicalJson,
  nextLink,
  sha256Hex,
  verifyChain,
} from "./audit.js";
import {
  candidatePseudonyms,
  DecryptionError,
  decrypt,
  encrypt,
  newDataKey,
  unwrapKey,
  wrapKey,
} from "./crypto.js";
import { justificationProblem, reasonCategory } from "./justification.js";
import type { ApplicationKeys } from "./keys.js";
import type { AnchorLeaf, AnchorLog, SuggestionEngine, SuggestionResult } from "./ports.js";
import * as t from "./schema.js";
import type {
  ActCreate,
  ActFilter,
  ActView,
  CodeLineInput,
  DecisionCodes,
  SuggestionPreview,
} from "./schemas.js";
import type { OverrideSigner } from "./signer.js";
import type { CodeValidator } from "./validation.js";

/** Who acts, and the request they act in: captured once per request and written into every audit entry. */
export interface RequestContext {
  actor: AuditActor;
  requestId: string | null;
  /** May this actor see every act of the site (otherwise only the acts they created)? */
  seesAllActs: boolean;
  /** May this actor read the clinical text? */
  readsClinicalText: boolean;
}

interface Clinical {
  text: string;
  patient: { sex: "M" | "F"; ageYears: number } | null;
}

type ActRow = typeof t.acts.$inferSelect;

/** What the creation statement returns (timestamps as the driver gives them). */
type CreatedRow = { created_at: string | Date; performed_at: string | Date };

/** An audit link as stored: with the roles the actor held. */
type TrailEntry = AuditLink & { actorRoles: string[] };

/** A patient's data key, and the same wrapped under a master key as stored. */
interface PatientKey {
  key: Buffer;
  wrapped: string;
}

/** How many patients' sealing keys an instance keeps (about 100 bytes each). */
const SEALING_KEYS = 10_000;

/** How many acts an instance keeps as it created them, until their decision (about 1.5 KiB each, sealed). */
const CREATED_KEPT = 1_000;

/** PostgreSQL's SQLSTATE codes the workflow tells apart. */
const NOT_NULL_VIOLATION = "23502";
const UNIQUE_VIOLATION = "23505";

/** Placeholder names of audit entry i of a write statement. */
const entryPrefix = (i: number) => `entry${i}_`;
/** Name of the CTE that inserts the ledger leaves of a statement's audit entries. */
const LEAVES_CTE = "leaves";
/** Names of the decision statement's status update (returning the act's id) and code lines CTEs. */
const DECISION_CTE = "decision";
const LINES_CTE = "lines";

/**
 * How many times a decision is read and written again after losing a race on the act's chain. Each loss means
 * another append to that very act committed in between, so five in a row only happen on an act read in a loop.
 */
const DECIDE_ATTEMPTS = 5;

/** What one try of a decision produced. */
interface Decided {
  outcome: ValidationResult;
  override: { suggested: string[]; signature: string; signer: string; clinical: Clinical } | undefined;
  view: ActView;
}

export interface ActServiceDeps {
  db: Database;
  keys: ApplicationKeys;
  referentials: () => ReferentialCatalog;
  suggester: SuggestionEngine;
  validator: CodeValidator;
  anchors: AnchorLog;
  signer: OverrideSigner;
  site: string;
  /** Computed suggestions by act, referential version and learning generation (Redis when shared). */
  cache?: SharedCache | undefined;
  /** Hit/miss counters of that cache. */
  cacheMetrics?: { cacheHit(name: string): void; cacheMiss(name: string): void } | undefined;
}

/** How long a computed suggestion stays cached (a new generation or version makes it unreachable sooner). */
const SUGGESTION_TTL_SECONDS = 3600;
const SUGGESTION_CACHE = "suggestions";

/** The act workflow: creation, suggestions, validation, override, audit trail and verification, erasure. */
export class ActService {
  private readonly cache: SharedCache;
  /** Patients' sealing keys as last read by this instance, oldest first (`sealingKey`). */
  private readonly sealingKeys = new Map<string, PatientKey>();
  /** The decision's read statement (`decisionRead`), prepared on first use. */
  private readonly decisionReads: Partial<Record<"validate" | "override", DecisionRead>> = {};
  /**
   * Acts this instance created, as that read would find them until anything else touches them (oldest out): the
   * act's first decision here needs no read. The row holds the clinical data sealed, as stored; the decision's write
   * checks everything the snapshot could have missed (`decideOnce`).
   */
  private readonly created = new Map<string, DecisionSnapshot>();
  /** The write statements composed so far, by name (`writeWithTrail`). */
  private readonly statements = new Map<string, PreparedStatement<unknown>>();

  constructor(private readonly deps: ActServiceDeps) {
    this.cache = deps.cache ?? new MemoryCache();
  }

  async create(
    input: ActCreate,
    ctx: RequestContext,
  ): Promise<{ act: ActView; suggestions: SuggestionResult }> {
    const { db } = this.deps;
    const id = randomUUID();
    const date = input.performedAt.slice(0, 10);
    const referential = this.deps.referentials().atDate(date);
    const suggestions = await this.suggest(
      id,
      { text: input.text, date, specialty: input.specialty, patient: input.patient },
      // The id was drawn just now: nothing can be cached under it yet, and nothing is cached under it here (the
      // act's suggestions endpoint computes and caches them on first read).
      { fresh: true },
    );
    const pseudonym = await this.pseudonymFor(input.patientId);
    const clinical: Clinical = { text: input.text, patient: input.patient ?? null };
    const codes = suggestions.suggestions.map((s) => ({ code: s.code, confidence: s.confidence }));
    // The act's first two audit entries are chained in memory: the act row is written by this very statement,
    // so no other request can see it, let alone append to its chain, before it commits.
    const created = this.link(undefined, id, ctx, {
      kind: "act.created",
      payload: {
        performedAt: input.performedAt,
        specialty: input.specialty ?? null,
        textHash: this.textHash(input.text),
        consent: input.consent,
      },
    });
    const suggested = this.link(created, id, ctx, {
      kind: "act.suggested",
      payload: { engine: suggestions.engine, referentialVersion: suggestions.referentialVersion, codes },
    });
    const suggestion = {
      actId: id,
      engine: suggestions.engine,
      referentialVersion: suggestions.referentialVersion,
      codes,
      latencyMs: suggestions.latencyMs,
    };
    // Sealed with the patient's key as this instance last knew it; the statement writes only if that key is still
    // the patient's (not erased, not re-wrapped since), else it fails and is tried once more on a fresh read.
    let written:
      | { values: Omit<ActRow, "createdAt" | "decidedBy" | "decidedAt">; row: CreatedRow; wrappedKey: string }
      | undefined;
    for (const fresh of [false, true]) {
      const sealing = await this.sealingKey(pseudonym, fresh);
      if (!sealing)
        throw new HttpProblem(
          409,
          "Patient effacé",
          "This patient's data was erased; no new act can be recorded.",
        );
      const values = {
        id,
        pseudonym,
        performedAt: input.performedAt,
        specialty: input.specialty ?? null,
        setting: input.setting ?? null,
        clinical: encrypt(JSON.stringify(clinical), sealing.key, `act:${id}`),
        consent: input.consent,
        status: "pending" as const,
        referentialVersion: referential?.version.version ?? null,
        createdBy: ctx.actor.id,
      };
      const statementValues: Record<string, unknown> = { sealedWith: sealing.wrapped };
      bindRecord(statementValues, "act_", values);
      bindRecord(statementValues, "suggestion_", suggestion);
      try {
        // One statement, so atomic without BEGIN/COMMIT: the act, its first suggestion, both audit entries and
        // their ledger leaves.
        const [row] = await this.writeWithTrail<CreatedRow>(
          db,
          "ccam_act_create",
          [created, suggested],
          statementValues,
          () => ({
            writes: [
              [
                "act",
                db
                  .insert(t.acts)
                  .values({
                    ...placeholdersOf("act_", values),
                    // NULL, failing the NOT NULL column, unless the act is sealed with the patient's current key.
                    pseudonym: sql`(select ${t.patientKeys.pseudonym} from ${t.patientKeys} where ${t.patientKeys.pseudonym} = ${sql.placeholder("act_pseudonym")} and ${t.patientKeys.wrappedKey} = ${sql.placeholder("sealedWith")})`,
                  })
                  .returning({ createdAt: t.acts.createdAt, performedAt: t.acts.performedAt })
                  .getSQL(),
              ],
              [
                "suggestion",
                db.insert(t.actSuggestions).values(placeholdersOf("suggestion_", suggestion)).getSQL(),
              ],
            ],
            select: sql`select created_at, performed_at from act`,
          }),
        );
        if (!row) throw new Error("insert returned nothing");
        written = { values, row, wrappedKey: sealing.wrapped };
        break;
      } catch (error) {
        this.sealingKeys.delete(pseudonym);
        const moved = pgError(error);
        if (fresh || moved?.code !== NOT_NULL_VIOLATION || moved.column !== "pseudonym") throw error;
      }
    }
    if (!written) throw new Error("unreachable: the second try returns or throws");
    const { values, row, wrappedKey } = written;
    const act: ActRow = {
      ...values,
      performedAt: isoOf(row.performed_at),
      createdAt: isoOf(row.created_at),
      decidedBy: null,
      decidedAt: null,
    };
    keepBounded(this.created, CREATED_KEPT, id, {
      act,
      wrappedKey,
      lastPosition: suggested.position,
      lastHash: suggested.entryHash,
      suggested: codes,
    });
    return { act: await this.view(act, [], ctx, clinical), suggestions };
  }

  async list(
    filter: ActFilter,
    ctx: RequestContext,
  ): Promise<{ items: ActView[]; nextCursor: string | null }> {
    const conditions = [
      filter.status ? eq(t.acts.status, filter.status) : undefined,
      filter.from ? gte(t.acts.performedAt, filter.from) : undefined,
      filter.to ? lte(t.acts.performedAt, filter.to) : undefined,
      filter.specialty ? eq(t.acts.specialty, filter.specialty) : undefined,
      ctx.seesAllActs ? undefined : eq(t.acts.createdBy, ctx.actor.id),
    ];
    if (filter.cursor) {
      const { createdAt, id } = decodeCursor(filter.cursor);
      conditions.push(
        or(lt(t.acts.createdAt, createdAt), and(eq(t.acts.createdAt, createdAt), lt(t.acts.id, id))),
      );
    }
    const rows = await this.deps.db
      .select()
      .from(t.acts)
      .where(and(...conditions))
      .orderBy(desc(t.acts.createdAt), desc(t.acts.id))
      .limit(filter.limit + 1);
    const page = rows.slice(0, filter.limit);
    const codes = await this.codesOf(page.map((r) => r.id));
    const last = page.at(-1);
    return {
      items: await Promise.all(
        page.map((row) => this.view(row, codes.get(row.id) ?? [], { ...ctx, readsClinicalText: false })),
      ),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /** One act; the clinical text is decrypted only for roles allowed to read it, and that reading is audited. */
  async get(id: string, ctx: RequestContext): Promise<ActView> {
    const row = await this.row(id, ctx);
    const codes = (await this.codesOf([id])).get(id) ?? [];
    if (!ctx.readsClinicalText) return this.view(row, codes, ctx);
    const clinical = await this.deps.db.transaction(async (tx) => {
      const opened = await this.open(tx, row);
      if (opened)
        await this.audit(tx, id, ctx, { kind: "act.viewed", payload: { fields: ["text", "patient"] } });
      return opened;
    });
    return this.view(row, codes, ctx, clinical);
  }

  /** Ranked suggestions for an act, cached until the referential or the learned priors change. */
  async suggestions(id: string, ctx: RequestContext): Promise<SuggestionResult> {
    const row = await this.row(id, ctx);
    const clinical = await this.deps.db.transaction((tx) => this.open(tx, row));
    if (!clinical)
      throw new HttpProblem(410, "Données effacées", "The clinical text of this act was erased.");
    return this.suggest(id, {
      text: clinical.text,
      date: row.performedAt.slice(0, 10),
      specialty: row.specialty ?? undefined,
      patient: clinical.patient ?? undefined,
    });
  }

  /**
   * Suggestions for a text being typed, before the act exists: computed, not stored, not audited (there is no
   * act and no patient yet; the text never leaves memory).
   */
  async preview(input: SuggestionPreview): Promise<SuggestionResult> {
    return this.deps.suggester.suggest({
      text: input.text,
      date: (input.performedAt ?? new Date().toISOString()).slice(0, 10),
      specialty: input.specialty,
      patient: input.patient,
      site: this.deps.site,
    });
  }

  /** Validates the coder's codes: blocking findings → 422 with them; otherwise the decision is recorded. */
  async validate(id: string, codes: CodeLineInput[], ctx: RequestContext) {
    return this.decide(id, codes, ctx, undefined);
  }

  async override(id: string, codes: CodeLineInput[], justification: string, ctx: RequestContext) {
    const problem = justificationProblem(justification);
    if (problem) {
      throw new HttpProblem(400, "Justification insuffisante", problem, [
        { field: "body.justification", message: problem },
      ]);
    }
    return this.decide(id, codes, ctx, justification);
  }

  /**
   * Records a decision by an optimistic append (decision 0007): one read statement (no transaction, no lock), the
   * rule engine in memory, one write statement. A decision that lost a race on the act's chain (another decision,
   * or an audited read that appended first) fails as a whole and writes nothing; it is then re-read and re-tried,
   * so it answers 409 once the act is decided, or appends after the entry that beat it.
   */
  private async decide(
    id: string,
    codes: CodeLineInput[],
    ctx: RequestContext,
    justification: string | undefined,
  ) {
    let result: Decided | undefined;
    for (let attempt = 1; !result; attempt++) {
      try {
        result = await this.decideOnce(id, codes, ctx, justification);
      } catch (error) {
        if (!lostChainRace(error)) throw error;
        if (attempt >= DECIDE_ATTEMPTS) {
          throw new HttpProblem(
            503,
            "Acte très sollicité",
            `Act ${id}'s audit trail moved on ${attempt} times while this decision was being recorded; nothing was recorded. Retry shortly.`,
          );
        }
      }
    }
    if (result.override) {
      const { clinical, suggested } = result.override;
      await this.deps.suggester.learn({
        text: clinical.text,
        chosenCodes: codes.map((c) => c.code),
        rejectedCodes: suggested.filter((code) => !codes.some((c) => c.code === code)),
        site: this.deps.site,
        at: new Date().toISOString(),
      });
      // No cache to clear: the learning generation grew, so every instance's cached suggestions are unreachable.
    }
    return {
      act: result.view,
      validation: result.outcome,
      ...(result.override
        ? { signature: { signature: result.override.signature, signer: result.override.signer } }
        : {}),
    };
  }

  /** One try of a decision: throws what `lostChainRace` recognises when another append got there first. */
  private async decideOnce(
    id: string,
    codes: CodeLineInput[],
    ctx: RequestContext,
    justification: string | undefined,
  ): Promise<Decided> {
    const { db } = this.deps;
    const overriding = justification !== undefined;
    // One statement, one snapshot: the act, the patient's wrapped key, the chain's last entry and, for an override,
    // the first suggestion. Nothing is locked: the write below finds out whether any of it moved meanwhile. An act
    // this instance created has that snapshot already, from its creation: taken once, a retry reads.
    const kept = this.created.get(id);
    this.created.delete(id);
    const variant = overriding ? "override" : "validate";
    this.decisionReads[variant] ??= decisionRead(db, overriding);
    const read = kept ?? (await this.decisionReads[variant].execute({ id }))[0];
    const row = read?.act;
    if (!row || !this.canSee(row, ctx)) throw new HttpProblem(404, "Acte inconnu", `No act ${id}.`);
    if (row.status !== "pending") {
      throw new HttpProblem(
        409,
        "Acte déjà traité",
        `Act ${id} is already ${row.status}; a decision is final.`,
      );
    }
    const dataKey = read.wrappedKey ? unwrapKey(read.wrappedKey, this.deps.keys.master, row.pseudonym) : null;
    const clinical = dataKey && this.openWith(row, dataKey);
    if (!dataKey || !clinical)
      throw new HttpProblem(410, "Données effacées", "The patient's data was erased.");
    const outcome = this.deps.validator.validate({
      date: row.performedAt.slice(0, 10),
      ...(row.referentialVersion ? { version: row.referentialVersion } : {}),
      ...(row.setting ? { setting: row.setting as "secteur1" | "hors_secteur1" } : {}),
      ...(clinical.patient ? { patient: clinical.patient } : {}),
      acts: codes.map((c) => ({
        code: c.code,
        activity: c.activity,
        phase: c.phase,
        modifiers: c.modifiers ?? [],
      })),
    });
    const blocking = outcome.issues.filter((i) => i.severity === "blocking").length;
    if (blocking > 0) {
      // The rejected attempt is recorded on its own (one statement, for the rejection rate); the act is unchanged.
      await db
        .insert(t.validationAttempts)
        .values({ actId: id, blocking, warnings: outcome.issues.length - blocking });
      throw new HttpProblem(
        422,
        "Règles CCAM non respectées",
        "The rule engine found blocking issues; nothing was recorded.",
        undefined,
        { validation: outcome },
      );
    }
    const decidedAt = new Date().toISOString();
    const status = overriding ? "overridden" : "validated";
    const lines = outcome.lines.map((l, position) => ({
      actId: id,
      position,
      code: l.code,
      activity: l.activity,
      phase: l.phase,
      modifiers: l.modifiers,
      associationCode: l.associationCode ?? null,
      amount: l.amount,
    }));
    const decisionCodes: DecisionCodes = codes.map((c) => ({ ...c, modifiers: c.modifiers ?? [] }));
    const referentialVersion = outcome.version;
    // The statement's values; its SQL is composed once per shape (status, number of code lines), on first use.
    const decision = {
      id,
      pending: "pending",
      status,
      decidedAt,
      decidedBy: ctx.actor.id,
      sealedWith: read.wrappedKey,
    };
    const attempt = { blocking: 0, warnings: outcome.issues.length };
    const values: Record<string, unknown> = {};
    bindRecord(values, "decision_", decision);
    bindRecord(values, "attempt_", attempt);
    lines.forEach((line, i) => {
      bindRecord(values, `line${i}_`, line);
    });
    // Every row the write statement adds for the act takes the act's id from the status update's RETURNING. So
    // the guarded update runs first (it waits for, then re-checks, a row locked by a concurrent writer), and when
    // it matched no row (the act is no longer pending, or the patient's key is no longer the one read: erased,
    // re-wrapped or re-keyed) each insert gets a NULL act id: the statement fails on that NOT NULL column and
    // writes nothing. When it matched, no other decision of the act can exist, and the only possible clash left
    // is the chain position taken by an audited read since our read.
    // `more`: the writes an override adds, given `decided` (the act id the status update returned).
    const shape = (more: (decided: SQL) => [string, SQL][]) => () => {
      const decided = sql`(select ${sql.identifier("id")} from ${sql.identifier(DECISION_CTE)})`;
      const p = placeholdersOf("decision_", decision);
      const writes: [string, SQL][] = [
        [
          DECISION_CTE,
          db
            .update(t.acts)
            .set({ status: sql`${p.status}`, decidedAt: sql`${p.decidedAt}`, decidedBy: sql`${p.decidedBy}` })
            .where(
              and(
                eq(t.acts.id, p.id),
                eq(t.acts.status, p.pending),
                sql`exists (select 1 from ${t.patientKeys} where ${t.patientKeys.pseudonym} = ${t.acts.pseudonym} and ${t.patientKeys.wrappedKey} = ${p.sealedWith})`,
              ),
            )
            .returning({ id: t.acts.id })
            .getSQL(),
        ],
        [
          "attempt",
          db
            .insert(t.validationAttempts)
            .values({ ...placeholdersOf("attempt_", attempt), actId: decided })
            .getSQL(),
        ],
        ...(lines.length > 0
          ? [
              [
                LINES_CTE,
                db
                  .insert(t.actCodes)
                  .values(lines.map((l, i) => ({ ...placeholdersOf(`line${i}_`, l), actId: decided })))
                  .returning({ position: t.actCodes.position, amount: t.actCodes.amount })
                  .getSQL(),
              ] as [string, SQL],
            ]
          : []),
        ...more(decided),
      ];
      // One row per code line (or one row), only if the update matched: checked below.
      const select =
        lines.length > 0
          ? sql`select ${sql.identifier(LINES_CTE)}.position, ${sql.identifier(LINES_CTE)}.amount from ${sql.identifier(DECISION_CTE)} left join ${sql.identifier(LINES_CTE)} on true`
          : sql`select null as position, null as amount from ${sql.identifier(DECISION_CTE)}`;
      return { writes, select, actId: decided };
    };
    const previous =
      read.lastPosition === null || read.lastHash === null
        ? undefined
        : { position: read.lastPosition, entryHash: read.lastHash };
    const write = (tx: Database, entry: AuditEvent, more: (decided: SQL) => [string, SQL][] = () => []) =>
      this.writeWithTrail<{ position: number | null; amount: string | number | null }>(
        tx,
        `ccam_decision_${status}_${lines.length}`,
        [this.link(previous, id, ctx, entry)],
        values,
        shape(more),
      );
    let stored: { position: number | null; amount: string | number | null }[];
    let override: Decided["override"];
    if (!overriding) {
      // A single statement is atomic: no BEGIN/COMMIT.
      stored = await write(db, {
        kind: "act.validated",
        payload: {
          referentialVersion,
          codes: decisionCodes,
          total: outcome.total,
          warnings: outcome.issues.length,
        },
      });
    } else {
      const suggested = read.suggested?.map((c) => c.code) ?? [];
      const justificationHash = this.textHash(justification);
      // The signer's nonce is taken in the same transaction as the write: an override that loses its race rolls its
      // nonce back, so the signer's nonces stay gapless (the contract accepts them strictly in order).
      stored = await db.transaction(async (tx) => {
        const [nonce] = await tx
          .insert(t.signerNonces)
          .values({ signer: this.deps.signer.address, next: 1 })
          .onConflictDoUpdate({
            target: t.signerNonces.signer,
            set: { next: sql`${t.signerNonces.next} + 1` },
          })
          .returning({ next: t.signerNonces.next });
        const signed = await this.deps.signer.sign({
          actId: id,
          codesHash: sha256Hex(canonicalJson(decisionCodes)),
          justificationHash,
          signedAt: Math.floor(Date.parse(decidedAt) / 1000),
          nonce: (nonce?.next ?? 1) - 1,
        });
        const overrideId = randomUUID();
        override = { suggested, signature: signed.signature, signer: signed.signer, clinical };
        const record = {
          id: overrideId,
          suggested,
          codes: decisionCodes,
          justification: encrypt(justification, dataKey, `override:${overrideId}`),
          justificationHash,
          reasonCategory: reasonCategory(justification),
          ...signed,
          createdBy: ctx.actor.id,
        };
        bindRecord(values, "override_", record);
        return write(
          tx,
          {
            kind: "act.overridden",
            payload: {
              referentialVersion,
              suggested,
              codes: decisionCodes,
              justificationHash,
              signature: signed.signature,
              signer: signed.signer,
            },
          },
          (decided) => [
            [
              "override",
              db
                .insert(t.overrides)
                .values({ ...placeholdersOf("override_", record), actId: decided })
                .getSQL(),
            ],
          ],
        );
      });
    }
    // The update's RETURNING: no row means it matched nothing (already decided). The NOT NULL guard above makes
    // such a statement fail before it commits anything; this check keeps the answer right regardless.
    if (stored.length === 0) {
      throw new HttpProblem(409, "Acte déjà traité", `Act ${id} is no longer pending; a decision is final.`);
    }
    // The amounts as the database rounded them (numeric(12,2)), as a later read would show them.
    const amounts = new Map(
      stored
        .filter((r) => r.position !== null)
        .map((r) => [Number(r.position), r.amount === null ? null : Number(r.amount)]),
    );
    const view = await this.view(
      { ...row, status, decidedAt, decidedBy: ctx.actor.id },
      lines.map((l) => ({ ...l, amount: amounts.get(l.position) ?? null })),
      { ...ctx, readsClinicalText: false },
    );
    return { outcome, override, view };
  }

  /** The act's audit trail with, for each anchored entry, its batch root, transaction and inclusion proof. */
  async trail(id: string, ctx: RequestContext) {
    await this.row(id, ctx);
    const links = await this.links(id);
    const proofs = await Promise.all(
      links.map((l) => (l.leafSeq === null ? undefined : this.deps.anchors.proof(l.leafSeq))),
    );
    return {
      actId: id,
      entries: links.map((link, i) => ({
        position: link.position,
        kind: link.kind,
        actor: { id: link.actorId, roles: link.actorRoles },
        at: link.at,
        requestId: link.requestId,
        payload: link.payload,
        payloadHash: link.payloadHash,
        prevHash: link.prevHash,
        entryHash: link.entryHash,
        anchor: proofs[i] ?? null,
      })),
    };
  }

  /** Recomputes the chain and every anchored proof; says exactly what differs. */
  async verify(id: string, ctx: RequestContext) {
    const row = await this.row(id, ctx);
    const links = await this.links(id);
    const chainBreak = verifyChain(links);
    const differences: string[] = [];
    if (chainBreak) differences.push(`audit entry ${chainBreak.position}: ${chainBreak.reason}`);
    // The act's current decision (status and codes, what is billed) must be the one its trail records.
    const decisionDiff = decisionMismatch(row.status, (await this.codesOf([id])).get(id) ?? [], links);
    if (decisionDiff) differences.push(decisionDiff);
    const entries = [];
    for (const link of links) {
      let anchor: { anchored: boolean; ok: boolean | null; detail: string } = {
        anchored: false,
        ok: null,
        detail: "not anchored yet",
      };
      const proof = link.leafSeq === null ? undefined : await this.deps.anchors.proof(link.leafSeq);
      if (link.leafSeq !== null && proof?.anchored) {
        // The leaf is recomputed from the database row: an entry changed after anchoring no longer matches.
        const checked = await this.deps.anchors.verify(link.leafSeq, auditLeaf(link));
        anchor = { anchored: true, ok: checked.ok, detail: checked.detail };
        if (!checked.ok) differences.push(`audit entry ${link.position}: ${checked.detail}`);
      }
      entries.push({ position: link.position, kind: link.kind, entryHash: link.entryHash, anchor });
    }
    return {
      actId: id,
      verified: differences.length === 0,
      chain: chainBreak
        ? { ok: false as const, firstBreak: chainBreak }
        : { ok: true as const, length: links.length },
      entries,
      differences,
    };
  }

  /**
   * Every anchored audit entry of the act as a self-contained proof (leaf preimage: act id, position and entry
   * hash only), for `ccam verify --proof FILE --rpc URL` without our database. 409 while nothing is anchored.
   */
  async exportProofs(id: string, ctx: RequestContext): Promise<ProofBundle> {
    await this.row(id, ctx);
    const proofs: ProofDocument[] = [];
    for (const link of await this.links(id)) {
      const proof =
        link.leafSeq === null
          ? undefined
          : await this.deps.anchors.proofDocument(link.leafSeq, auditLeaf(link));
      if (proof) proofs.push(proof);
    }
    if (proofs.length === 0) {
      throw new HttpProblem(409, "Pas encore ancré", `No audit entry of act ${id} is anchored yet.`);
    }
    return {
      format: "ccam-ledger-proofs/1",
      subject: `act:${id}`,
      proofs,
      exportedAt: new Date().toISOString(),
    };
  }

  /** GDPR erasure by crypto-shredding: the data key is destroyed; the audit chains and proofs stay verifiable. */
  async erasePatient(
    pseudonym: string,
    ctx: RequestContext,
  ): Promise<{ pseudonym: string; acts: number; erasedAt: string }> {
    return this.deps.db.transaction(async (tx) => {
      const [key] = await tx
        .select()
        .from(t.patientKeys)
        .where(eq(t.patientKeys.pseudonym, pseudonym))
        .for("update");
      if (!key) throw new HttpProblem(404, "Patient inconnu", `No patient ${pseudonym}.`);
      if (!key.wrappedKey || key.erasedAt)
        throw new HttpProblem(409, "Déjà effacé", `Patient ${pseudonym} was erased on ${key.erasedAt}.`);
      const erasedAt = new Date().toISOString();
      await tx
        .update(t.patientKeys)
        .set({ wrappedKey: null, erasedAt, erasedBy: ctx.actor.id })
        .where(eq(t.patientKeys.pseudonym, pseudonym));
      const actIds = (
        await tx.select({ id: t.acts.id }).from(t.acts).where(eq(t.acts.pseudonym, pseudonym))
      ).map((r) => r.id);
      for (const actId of actIds)
        await this.audit(tx, actId, ctx, { kind: "patient.erased", payload: { acts: actIds.length } });
      // Other instances learn it from their next creation or decision statement, which the erased key makes fail.
      this.sealingKeys.delete(pseudonym);
      for (const actId of actIds) this.created.delete(actId);
      return { pseudonym, acts: actIds.length, erasedAt };
    });
  }

  /** Right of access: every act of the patient, decrypted, with its decisions. */
  async exportPatient(pseudonym: string, ctx: RequestContext) {
    return this.deps.db.transaction(async (tx) => {
      const [key] = await tx.select().from(t.patientKeys).where(eq(t.patientKeys.pseudonym, pseudonym));
      if (!key) throw new HttpProblem(404, "Patient inconnu", `No patient ${pseudonym}.`);
      const rows = await tx
        .select()
        .from(t.acts)
        .where(eq(t.acts.pseudonym, pseudonym))
        .orderBy(asc(t.acts.performedAt));
      const codes = await this.codesOf(
        rows.map((r) => r.id),
        tx,
      );
      const items = [];
      for (const row of rows) {
        const clinical = await this.open(tx, row);
        items.push(
          await this.view(row, codes.get(row.id) ?? [], { ...ctx, readsClinicalText: true }, clinical),
        );
        await this.audit(tx, row.id, ctx, { kind: "patient.exported", payload: { acts: rows.length } });
      }
      return { pseudonym, erased: key.erasedAt !== null, exportedAt: new Date().toISOString(), acts: items };
    });
  }

  /**
   * After a master key rotation: re-wraps every data key still wrapped by an older master key under the current
   * one. No clinical text is re-encrypted. Returns how many keys were re-wrapped.
   */
  async rewrapDataKeys(): Promise<number> {
    const { master } = this.deps.keys;
    return this.deps.db.transaction(async (tx) => {
      const rows = await tx.select().from(t.patientKeys).for("update");
      let count = 0;
      for (const row of rows) {
        if (!row.wrappedKey || row.wrappedKey.startsWith(`${master.current.id}:`)) continue;
        const dataKey = unwrapKey(row.wrappedKey, master, row.pseudonym);
        await tx
          .update(t.patientKeys)
          .set({ wrappedKey: wrapKey(dataKey, master.current, row.pseudonym) })
          .where(eq(t.patientKeys.pseudonym, row.pseudonym));
        count++;
      }
      this.sealingKeys.clear();
      return count;
    });
  }

  /** Finds the pseudonym a patient identifier is stored under (current or previous pseudonymisation key). */
  async pseudonymOf(patientId: string): Promise<string> {
    const candidates = candidatePseudonyms(patientId, this.deps.keys.pseudonym);
    const found = await this.deps.db
      .select({ pseudonym: t.patientKeys.pseudonym })
      .from(t.patientKeys)
      .where(inArray(t.patientKeys.pseudonym, candidates));
    return found[0]?.pseudonym ?? (candidates[0] as string);
  }

  // ——— internals ———

  /**
   * Suggestions for an act, through the shared cache. The key holds the referential version and the learning
   * generation read *before* computing: a correction learned meanwhile (here or on another instance) moves the
   * generation on, so a result computed from older priors is never served under the newer one. `fresh`: an act
   * created just now, which nothing can have cached or asked for yet: computed only, neither the generation is
   * read nor the cache written (a first read of the act's suggestions computes and caches them).
   */
  private async suggest(
    actId: string,
    input: Omit<Parameters<SuggestionEngine["suggest"]>[0], "site">,
    options: { fresh?: boolean } = {},
  ): Promise<SuggestionResult> {
    if (options.fresh) return this.deps.suggester.suggest({ ...input, site: this.deps.site });
    const referential = this.deps.referentials().atDate(input.date);
    const generation = await this.deps.suggester.generation();
    const key = `${SUGGESTION_CACHE}:${actId}|${referential?.version.version ?? "-"}|${generation}`;
    const cached = await this.cache.get(key);
    if (cached !== undefined) {
      this.deps.cacheMetrics?.cacheHit(SUGGESTION_CACHE);
      return JSON.parse(cached) as SuggestionResult;
    }
    this.deps.cacheMetrics?.cacheMiss(SUGGESTION_CACHE);
    const result = await this.deps.suggester.suggest({ ...input, site: this.deps.site });
    await this.cache.set(key, JSON.stringify(result), SUGGESTION_TTL_SECONDS);
    return result;
  }

  /** The patient's current pseudonym; an identifier stored under a previous key is re-keyed to the current one. */
  private async pseudonymFor(patientId: string): Promise<string> {
    const [current, ...older] = candidatePseudonyms(patientId, this.deps.keys.pseudonym);
    if (!current) throw new Error("no pseudonymisation key");
    if (older.length === 0) return current;
    return this.deps.db.transaction(async (tx) => {
      const [found] = await tx
        .select()
        .from(t.patientKeys)
        .where(inArray(t.patientKeys.pseudonym, older))
        .for("update");
      if (!found) return current;
      // Re-key lazily: the identifier is known again only now. The data key is re-wrapped for the new pseudonym.
      const dataKey = found.wrappedKey
        ? unwrapKey(found.wrappedKey, this.deps.keys.master, found.pseudonym)
        : null;
      await tx.insert(t.patientKeys).values({
        pseudonym: current,
        wrappedKey: dataKey ? wrapKey(dataKey, this.deps.keys.master.current, current) : null,
        createdAt: found.createdAt,
        erasedAt: found.erasedAt,
        erasedBy: found.erasedBy,
      });
      await tx.update(t.acts).set({ pseudonym: current }).where(eq(t.acts.pseudonym, found.pseudonym));
      await tx.delete(t.patientKeys).where(eq(t.patientKeys.pseudonym, found.pseudonym));
      return current;
    });
  }

  /**
   * The key that seals a new act's clinical data, with its wrapped form, which the creation statement checks is
   * still the patient's. Kept per instance (a patient's acts are mostly entered one after another): a key erased or
   * re-wrapped meanwhile makes that statement fail, and `fresh` then reads it again. Never used to open data: an
   * erasure must take effect at once, on every instance.
   */
  private async sealingKey(pseudonym: string, fresh: boolean): Promise<PatientKey | null> {
    const known = fresh ? undefined : this.sealingKeys.get(pseudonym);
    if (known) return known;
    const found = await this.patientKey(this.deps.db, pseudonym, true);
    if (found) {
      keepBounded(this.sealingKeys, SEALING_KEYS, pseudonym, found);
    }
    return found;
  }

  /** The patient's data key and its wrapped form (created on first use when `create`); null once erased. */
  private async patientKey(tx: Database, pseudonym: string, create: boolean): Promise<PatientKey | null> {
    const { master } = this.deps.keys;
    const [row] = await patientKeyRead.run(tx, { pseudonym });
    if (row)
      return row.wrapped_key
        ? { key: unwrapKey(row.wrapped_key, master, pseudonym), wrapped: row.wrapped_key }
        : null;
    if (!create) return null;
    const key = newDataKey();
    const wrapped = wrapKey(key, master.current, pseudonym);
    const [inserted] = await tx
      .insert(t.patientKeys)
      .values({ pseudonym, wrappedKey: wrapped })
      .onConflictDoNothing()
      .returning({ pseudonym: t.patientKeys.pseudonym });
    if (inserted) return { key, wrapped };
    // A concurrent request created it first: read back the winner.
    return this.patientKey(tx, pseudonym, false);
  }

  private async open(tx: Database, row: ActRow): Promise<Clinical | null> {
    const found = await this.patientKey(tx, row.pseudonym, false);
    return found && this.openWith(row, found.key);
  }

  private openWith(row: ActRow, key: Buffer): Clinical {
    try {
      return JSON.parse(decrypt(row.clinical, key, `act:${row.id}`).toString("utf8")) as Clinical;
    } catch (error) {
      if (error instanceof DecryptionError)
        throw new HttpProblem(500, "Données illisibles", "Stored clinical data failed its integrity check.");
      throw error;
    }
  }

  /** A keyed hash of free text: commits to it in the audit trail without revealing it (dictionary-proof). */
  private textHash(text: string): string {
    return createHmac("sha256", this.deps.keys.pseudonym.current.key)
      .update(`text:${text}`, "utf8")
      .digest("hex");
  }

  /** Appends an event to the act's hash chain and queues it for anchoring, inside the caller's transaction. */
  private async audit(tx: Database, actId: string, ctx: RequestContext, event: AuditEvent): Promise<void> {
    // Audited reads serialise their appends on the act's row: two readers of the same act on PostgreSQL would
    // otherwise both extend the same last entry and the second would fail on (act_id, position). Decisions take
    // no lock before writing (decision 0007): one that read the chain before this append fails on that position
    // and is retried; one already writing holds the row (its status update), so this waits for it.
    await tx.select({ id: t.acts.id }).from(t.acts).where(eq(t.acts.id, actId)).for("update");
    const previous = await this.lastLink(tx, actId);
    await this.writeWithTrail(tx, "ccam_audit_append", [this.link(previous, actId, ctx, event)], {}, () => ({
      writes: [],
    }));
  }

  /**
   * The chain's last entry. Read in its own statement *after* the act's row lock is held: a statement that
   * waited for the lock would still see the chain as of its start (READ COMMITTED snapshot).
   */
  private async lastLink(
    tx: Database,
    actId: string,
  ): Promise<Pick<AuditLink, "position" | "entryHash"> | undefined> {
    const [previous] = await tx
      .select({ position: t.auditEntries.position, entryHash: t.auditEntries.entryHash })
      .from(t.auditEntries)
      .where(eq(t.auditEntries.actId, actId))
      .orderBy(desc(t.auditEntries.position))
      .limit(1);
    return previous;
  }

  /** The next entry of an act's chain, from the entry before it (undefined: the first). */
  private link(
    previous: Pick<AuditLink, "position" | "entryHash"> | undefined,
    actId: string,
    ctx: RequestContext,
    event: AuditEvent,
  ): TrailEntry {
    const link = nextLink(previous, {
      actId,
      kind: event.kind,
      actorId: ctx.actor.id,
      at: new Date().toISOString(),
      requestId: ctx.requestId,
      payload: event.payload,
    });
    return { ...link, actorRoles: ctx.actor.roles };
  }

  /**
   * One statement (one round trip): the audit entries, their ledger leaves (the outbox rows, each entry holding
   * its leaf's sequence number) and the caller's other writes, as data-modifying CTEs named as given. Returns the
   * rows of `select` (it may read those CTEs' RETURNING); the statement commits or fails as a whole. It is composed
   * by `shape` once per `name` (decision 0009: every value a placeholder, bound from `values` and the entries' and
   * leaves' own), so a name stands for one shape: the same writes and number of entries. `actId`, when given, is
   * the SQL the audit rows take their act id from (instead of the entry's own, which the hashes cover).
   */
  private async writeWithTrail<R>(
    db: Database,
    name: string,
    entries: TrailEntry[],
    values: Record<string, unknown>,
    shape: () => { writes: [string, SQL][]; select?: SQL; actId?: SQL },
  ): Promise<R[]> {
    let statement = this.statements.get(name);
    if (!statement) {
      const { writes, select = sql`select 1`, actId } = shape();
      const leaves = this.deps.anchors.stagedSql(this.deps.db, entries.length, LEAVES_CTE);
      const trail = this.deps.db.insert(t.auditEntries).values(
        entries.map((entry, i) => ({
          ...placeholdersOf(entryPrefix(i), entry),
          ...(actId ? { actId } : {}),
          leafSeq: leaves.seqOf(i),
        })),
      );
      const ctes: [string, SQL][] = [[LEAVES_CTE, leaves.insert], ...writes, ["trail", trail.getSQL()]];
      statement = new PreparedStatement(
        name,
        sql`with ${sql.join(
          ctes.map(([cte, part]) => sql`${sql.identifier(cte)} as (${part})`),
          sql`, `,
        )} ${select}`,
      );
      this.statements.set(name, statement);
    }
    entries.forEach((entry, i) => {
      bindRecord(values, entryPrefix(i), entry);
    });
    this.deps.anchors.stage(entries.map(auditLeaf)).bind(values);
    return (await statement.run(db, values)) as R[];
  }

  private async links(
    actId: string,
  ): Promise<(AuditLink & { actorRoles: string[]; leafSeq: number | null })[]> {
    const rows = await this.deps.db
      .select()
      .from(t.auditEntries)
      .where(eq(t.auditEntries.actId, actId))
      .orderBy(asc(t.auditEntries.position), asc(t.auditEntries.id));
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
  }

  private async row(id: string, ctx: RequestContext): Promise<ActRow> {
    const [row] = await this.deps.db.select().from(t.acts).where(eq(t.acts.id, id));
    if (!row || !this.canSee(row, ctx)) throw new HttpProblem(404, "Acte inconnu", `No act ${id}.`);
    return row;
  }

  private canSee(row: ActRow, ctx: RequestContext): boolean {
    return ctx.seesAllActs || row.createdBy === ctx.actor.id;
  }

  /** `db` is the caller's transaction when there is one (the embedded database has a single connection). */
  private async codesOf(ids: string[], db: Database = this.deps.db) {
    const map = new Map<string, (typeof t.actCodes.$inferSelect)[]>();
    if (ids.length === 0) return map;
    const rows = await db
      .select()
      .from(t.actCodes)
      .where(inArray(t.actCodes.actId, ids))
      .orderBy(asc(t.actCodes.position));
    for (const row of rows) map.set(row.actId, [...(map.get(row.actId) ?? []), row]);
    return map;
  }

  private async view(
    row: ActRow,
    codes: (typeof t.actCodes.$inferSelect)[],
    ctx: RequestContext,
    clinical?: Clinical | null,
  ): Promise<ActView> {
    return {
      id: row.id,
      pseudonym: row.pseudonym,
      performedAt: new Date(row.performedAt).toISOString(),
      specialty: row.specialty,
      setting: row.setting as ActView["setting"],
      consent: row.consent,
      status: row.status,
      referentialVersion: row.referentialVersion,
      createdBy: row.createdBy,
      createdAt: new Date(row.createdAt).toISOString(),
      decidedBy: row.decidedBy,
      decidedAt: row.decidedAt ? new Date(row.decidedAt).toISOString() : null,
      codes: codes.map(({ code, activity, phase, modifiers, associationCode, amount }) => ({
        code,
        activity,
        phase,
        modifiers,
        associationCode,
        amount,
      })),
      ...(ctx.readsClinicalText && clinical !== undefined
        ? { text: clinical?.text ?? null, patient: clinical?.patient ?? null, erased: clinical === null }
        : {}),
    };
  }
}

/** A patient's wrapped data key (null once erased), read before every act's creation: prepared once. */
const patientKeyRead = new PreparedStatement<{ wrapped_key: string | null }>(
  "ccam_patient_key",
  new QueryBuilder()
    .select({ wrappedKey: t.patientKeys.wrappedKey })
    .from(t.patientKeys)
    .where(eq(t.patientKeys.pseudonym, sql.placeholder("pseudonym")))
    .getSQL(),
);

/**
 * A decision's read: one statement, one snapshot of the act, the patient's wrapped key, the chain's last entry and,
 * for an override, the first suggestion. Prepared once (decision 0009); `id` is the act's.
 */
function decisionRead(db: Database, overriding: boolean) {
  const last = db
    .select({ position: t.auditEntries.position, entryHash: t.auditEntries.entryHash })
    .from(t.auditEntries)
    .where(eq(t.auditEntries.actId, t.acts.id))
    .orderBy(desc(t.auditEntries.position))
    .limit(1)
    .as("last_entry");
  return db
    .select({
      act: t.acts,
      wrappedKey: t.patientKeys.wrappedKey,
      lastPosition: last.position,
      lastHash: last.entryHash,
      suggested: overriding
        ? sql<
            { code: string }[] | null
          >`(select ${t.actSuggestions.codes} from ${t.actSuggestions} where ${t.actSuggestions.actId} = ${t.acts.id})`
        : sql<null>`null`,
    })
    .from(t.acts)
    .leftJoin(t.patientKeys, eq(t.patientKeys.pseudonym, t.acts.pseudonym))
    .leftJoinLateral(last, sql`true`)
    .where(eq(t.acts.id, sql.placeholder("id")))
    .prepare(overriding ? "ccam_decision_read_override" : "ccam_decision_read");
}
type DecisionRead = ReturnType<typeof decisionRead>;
/** A row of `decisionRead`. */
type DecisionSnapshot = Awaited<ReturnType<DecisionRead["execute"]>>[number];

/** Tables whose rows a decision's write statement adds with the act id of its guarded status update. */
const DECISION_TABLES: ReadonlySet<string> = new Set(
  [t.auditEntries, t.actCodes, t.validationAttempts, t.overrides].map((table) => getTableName(table)),
);

/**
 * Whether a decision's write failed because another append to the act committed since its read, so that reading
 * again and retrying is right: either a unique violation on the chain's `(act_id, position)` (an audited read, or
 * another decision, took the position), or the NOT NULL violation on `act_id` that the write statement raises when
 * its guarded status update matched no row (another decision committed first). Any other error, including other
 * unique violations, is not.
 */
export function lostChainRace(error: unknown): boolean {
  const found = pgError(error);
  if (found?.code === UNIQUE_VIOLATION && found.constraint === t.AUDIT_POSITION_CONSTRAINT) return true;
  return (
    found?.code === NOT_NULL_VIOLATION &&
    found.column === "act_id" &&
    typeof found.table === "string" &&
    DECISION_TABLES.has(found.table)
  );
}

/**
 * The fields of PostgreSQL's error message, looking through wrappers (Drizzle's DrizzleQueryError keeps the
 * driver's error as `cause`); node-postgres and PGlite both expose them.
 */
function pgError(
  error: unknown,
): { code: unknown; constraint?: unknown; table?: unknown; column?: unknown } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const fields = current as { code?: unknown; cause?: unknown };
    if (typeof fields.code === "string" && /^[0-9A-Z]{5}$/.test(fields.code))
      return fields as { code: string };
    current = fields.cause;
  }
  return undefined;
}

/** The ledger leaf of an audit entry: identifiers and hashes only, never clinical data. */
function auditLeaf(link: Pick<AuditLink, "actId" | "position" | "entryHash">): AnchorLeaf {
  return {
    kind: "audit",
    payload: { actId: link.actId, position: link.position, entryHash: link.entryHash },
  };
}

/** Sets `key` in a map that keeps at most `max` entries, the oldest set first out. */
function keepBounded<V>(map: Map<string, V>, max: number, key: string, value: V): void {
  if (map.size >= max) map.delete(map.keys().next().value ?? "");
  map.set(key, value);
}

/** A timestamp as the database returned it (a string, or a Date depending on the driver), as ISO 8601. */
function isoOf(value: string | Date): string {
  return new Date(value).toISOString();
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${new Date(createdAt).toISOString()}|${id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new HttpProblem(400, "Curseur invalide", "The cursor is not one this API returned.", [
      { field: "querystring.cursor", message: "invalid cursor" },
    ]);
  }
  return { createdAt, id };
}

/** How the act's stored status and codes differ from the last decision of its audit trail, if they do. */
function decisionMismatch(
  status: string,
  stored: readonly { code: string; activity: number; phase: number }[],
  links: readonly { kind: string; payload: unknown }[],
): string | undefined {
  const decision = links.findLast((l) => l.kind === "act.validated" || l.kind === "act.overridden");
  const expected = decision ? (decision.kind === "act.validated" ? "validated" : "overridden") : "pending";
  if (status !== expected)
    return `the act's status "${status}" does not match its audit trail ("${expected}")`;
  const key = (c: { code: string; activity: number; phase: number }) => `${c.code}/${c.activity}/${c.phase}`;
  const recorded = (
    (decision?.payload as { codes?: { code: string; activity: number; phase: number }[] })?.codes ?? []
  )
    .map(key)
    .sort();
  const current = stored.map(key).sort();
  if (recorded.join(",") !== current.join(",")) {
    return `the act's codes (${current.join(", ") || "none"}) do not match the decision in its audit trail (${recorded.join(", ") || "none"})`;
  }
  return undefined;
}
