import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });

/** One data key per patient, wrapped by the master key. Erasure sets it to null: the clinical text is then unreadable. */
export const patientKeys = pgTable("patient_keys", {
  pseudonym: text("pseudonym").primaryKey(),
  wrappedKey: text("wrapped_key"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  erasedAt: timestamptz("erased_at"),
  erasedBy: text("erased_by"),
});

/** An act to code. No clear identifier or text: the pseudonym, and the clinical part sealed with the patient's key. */
export const acts = pgTable(
  "actes",
  {
    id: uuid("id").primaryKey(),
    pseudonym: text("pseudonym").notNull(),
    performedAt: timestamptz("performed_at").notNull(),
    specialty: text("specialty"),
    setting: text("setting"),
    /** AES-256-GCM of {text, patient}, bound to the act id. */
    clinical: text("clinical").notNull(),
    consent: boolean("consent").notNull(),
    status: text("status").$type<"pending" | "validated" | "overridden">().notNull(),
    referentialVersion: text("referential_version"),
    createdBy: text("created_by").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    decidedBy: text("decided_by"),
    decidedAt: timestamptz("decided_at"),
  },
  (t) => [
    index("actes_worklist_idx").on(t.status, t.createdAt, t.id),
    index("actes_created_idx").on(t.createdAt, t.id),
    index("actes_pseudonym_idx").on(t.pseudonym),
    index("actes_creator_idx").on(t.createdBy, t.createdAt),
  ],
);

/** The codes of a decision (validation or override), line by line, with their computed amounts. */
export const actCodes = pgTable(
  "act_codes",
  {
    actId: uuid("act_id").notNull(),
    position: smallint("position").notNull(),
    code: text("code").notNull(),
    activity: smallint("activity").notNull(),
    phase: smallint("phase").notNull(),
    modifiers: text("modifiers").array().notNull(),
    associationCode: text("association_code"),
    amount: numeric("amount", { precision: 12, scale: 2, mode: "number" }),
  },
  (t) => [primaryKey({ columns: [t.actId, t.position] }), index("act_codes_code_idx").on(t.code)],
);

/** The first ranked suggestion of each act (codes and confidences only), for acceptance and override metrics. */
export const actSuggestions = pgTable("act_suggestions", {
  actId: uuid("act_id").primaryKey(),
  engine: text("engine").notNull(),
  referentialVersion: text("referential_version").notNull(),
  codes: jsonb("codes").$type<{ code: string; confidence: number }[]>().notNull(),
  latencyMs: numeric("latency_ms", { precision: 10, scale: 2, mode: "number" }).notNull(),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

/** An override: what was suggested, what the coder chose, why (sealed), and the server's signature for the user. */
export const overrides = pgTable(
  "overrides",
  {
    id: uuid("id").primaryKey(),
    actId: uuid("act_id").notNull(),
    suggested: jsonb("suggested").$type<string[]>().notNull(),
    codes: jsonb("codes")
      .$type<{ code: string; activity: number; phase: number; modifiers: string[] }[]>()
      .notNull(),
    justification: text("justification").notNull(),
    justificationHash: text("justification_hash").notNull(),
    /** Short category of the reason, for metrics ("top override reasons"), computed from the text. */
    reasonCategory: text("reason_category").notNull(),
    /** EIP-712 signature for the user, and what it covers, ready to relay to CCAMRegistry.recordOverride. */
    signature: text("signature").notNull(),
    signer: text("signer").notNull(),
    decisionId: text("decision_id").notNull(),
    contentHash: text("content_hash").notNull(),
    nonce: text("nonce").notNull(),
    deadline: text("deadline").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (t) => [unique("overrides_act_uq").on(t.actId)],
);

/**
 * Next EIP-712 nonce per signer. Taken in the override's transaction: a rolled-back override leaves no gap, which
 * matters because the contract accepts a signer's nonces strictly in order.
 */
export const signerNonces = pgTable("signer_nonces", {
  signer: text("signer").primaryKey(),
  next: integer("next").notNull(),
});

/** Every validation attempt (accepted or rejected by the rules), for the rejection rate. */
export const validationAttempts = pgTable(
  "validation_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    actId: uuid("act_id").notNull(),
    blocking: integer("blocking").notNull(),
    warnings: integer("warnings").notNull(),
    at: timestamptz("at").notNull().defaultNow(),
  },
  (t) => [index("validation_attempts_at_idx").on(t.at)],
);

/**
 * The uniqueness of a position in an act's chain: what refuses a fork, and what a decision that lost a race on the
 * chain fails on (see ActService.decide and docs/decisions/0007).
 */
export const AUDIT_POSITION_CONSTRAINT = "audit_entries_act_position_uq";

/**
 * Append-only audit log, one hash chain per act (each entry holds the previous entry's hash). The application's
 * PostgreSQL role may only INSERT and SELECT it (see docs/runbook.md).
 */
export const auditEntries = pgTable(
  "audit_entries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    actId: uuid("act_id").notNull(),
    position: integer("position").notNull(),
    kind: text("kind").notNull(),
    actorId: text("actor_id").notNull(),
    actorRoles: text("actor_roles").array().notNull(),
    at: timestamptz("at").notNull(),
    requestId: text("request_id"),
    payload: jsonb("payload").notNull(),
    payloadHash: text("payload_hash").notNull(),
    prevHash: text("prev_hash").notNull(),
    entryHash: text("entry_hash").notNull(),
    /** Outbox sequence number of the ledger leaf that anchors this entry. */
    leafSeq: integer("leaf_seq"),
  },
  (t) => [unique(AUDIT_POSITION_CONSTRAINT).on(t.actId, t.position), index("audit_entries_at_idx").on(t.at)],
);
