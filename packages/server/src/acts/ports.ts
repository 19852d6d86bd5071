import { ValidationIssueSchema } from "@ccam/ccam";
import type { Database } from "@ccam/db";
import type { ProofDocument, StagedLeaves } from "@ccam/ledger";
import type { SQL } from "drizzle-orm";
import { z } from "zod";

/** What the act workflow needs from the coding agent (packages/coder). */
export interface SuggestionEngine {
  suggest(input: SuggestInput): Promise<SuggestionResult>;
  /** A coder's decision, fed back to the learning loop. */
  learn(signal: {
    text: string;
    chosenCodes: string[];
    rejectedCodes: string[];
    site: string;
    at: string;
  }): Promise<void>;
  /**
   * Changes whenever learned priors change, on any instance (read from the shared store), so cached
   * suggestions are recomputed everywhere after a correction learned anywhere.
   */
  generation(): Promise<number>;
}

export interface SuggestInput {
  text: string;
  date: string;
  specialty?: string | undefined;
  patient?: { sex: "M" | "F"; ageYears: number } | undefined;
  site: string;
}

/** A rule-engine finding, as the rule engine reports it. */
export const FindingSchema = ValidationIssueSchema;
export type Finding = z.infer<typeof FindingSchema>;

export const SuggestionSchema = z.object({
  code: z.string(),
  label: z.string(),
  confidence: z.number().min(0).max(1),
  evidence: z.array(z.object({ start: z.number().int(), end: z.number().int(), text: z.string() })),
  activity: z.number().int(),
  phase: z.number().int(),
  tariff: z.number().nullable(),
  findings: z.array(FindingSchema),
  /** True when the rule engine would reject the code as it stands: never offered as valid. */
  blocked: z.boolean(),
});
export type Suggestion = z.infer<typeof SuggestionSchema>;

export const SuggestionResultSchema = z.object({
  engine: z.string(),
  referentialVersion: z.string(),
  latencyMs: z.number(),
  suggestions: z.array(SuggestionSchema),
});
export type SuggestionResult = z.infer<typeof SuggestionResultSchema>;

export interface AnchorLeaf {
  kind: string;
  payload: { [key: string]: string | number };
}

/** What the act workflow needs from the ledger (packages/ledger): leaves written in the caller's transaction. */
export interface AnchorLog {
  /** Appends a leaf to the outbox inside `tx`; returns its sequence number. */
  enqueue(tx: Database, leaf: AnchorLeaf): Promise<{ seq: number; leafHash: string }>;
  /**
   * The same leaves prepared for the caller's own statement, so a decision, its audit entries and their leaves
   * cost one round trip: their values, for the statement that `stagedSql` composes once per number of leaves
   * (their outbox INSERT as the CTE `cte`, and each leaf's sequence number read from it).
   */
  stage(leaves: AnchorLeaf[]): StagedLeaves;
  stagedSql(db: Database, count: number, cte: string): { insert: SQL; seqOf(index: number): SQL };
  /** Anchoring state and, once anchored, the inclusion proof against the latest anchored tree head. */
  proof(seq: number): Promise<AnchorProof>;
  /**
   * Recomputes the leaf from `expected` (what the database says it should be) and the stored salt, checks it
   * against the log, the proof against the root, and the root against the chain.
   */
  verify(seq: number, expected: AnchorLeaf): Promise<{ ok: boolean; detail: string }>;
  /** The self-contained proof of a leaf, with its preimage, for an outside auditor; undefined until anchored. */
  proofDocument(seq: number, leaf: AnchorLeaf): Promise<ProofDocument | undefined>;
  status(): Promise<AnchorStatus>;
}

export const AnchorProofSchema = z.object({
  seq: z.number().int(),
  leafHash: z.string(),
  anchored: z.boolean(),
  /** Root and size of the anchored tree head the proof is against. */
  batchRoot: z.string().nullable(),
  treeSize: z.number().int().nullable(),
  txHash: z.string().nullable(),
  blockNumber: z.number().int().nullable(),
  proof: z.array(z.string()),
});
export type AnchorProof = z.infer<typeof AnchorProofSchema>;

export interface AnchorStatus {
  state: "ok" | "degraded" | "disabled";
  queueDepth: number;
  lagMs: number | null;
  lastError: string | null;
}
