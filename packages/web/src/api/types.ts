/**
 * Types of the API's answers. Those with an exported zod schema come from the server sources
 * (`@ccam/server/schemas`, `@ccam/ccam`); the others mirror the response schemas declared inline in the route
 * files named next to them.
 */
import type { Act, ActSearchHit, ReferentialDiff, ReferentialVersion } from "@ccam/ccam";
import type { ActView, Finding, SuggestionResult } from "@ccam/server/schemas";

export type {
  ActCreate,
  ActView,
  AnchorProof,
  CodeLineInput,
  Finding,
  Suggestion,
  SuggestionResult,
  WorkflowMetrics,
} from "@ccam/server/schemas";
export type { ActSearchHit, ReferentialDiff, ReferentialVersion };

export type Role = "medecin" | "codeur" | "superviseur_dim" | "auditeur" | "admin";
export const ROLE_LABELS: Record<Role, string> = {
  medecin: "Médecin",
  codeur: "Codeur",
  superviseur_dim: "Superviseur DIM",
  auditeur: "Auditeur",
  admin: "Administrateur",
};

/** routes/auth.ts, GET /auth/me */
export interface Me {
  id: string;
  email: string;
  roles: Role[];
  site?: string;
  pending?: "password_change" | "mfa_enrolment";
  permissions: string[];
}

/** routes/admin-users.ts */
export interface User {
  id: string;
  email: string;
  roles: Role[];
  site: string | null;
  disabled: boolean;
  locked: boolean;
  mfaEnabled: boolean;
  passwordChangeRequired: boolean;
  external: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

/** routes/acts.ts, POST /actes */
export interface ActCreated {
  act: ActView;
  suggestions: SuggestionResult;
}

/** routes/acts.ts, ValidationOutcomeSchema */
export interface ValidationOutcome {
  valid: boolean;
  version: string;
  issues: Finding[];
  lines: {
    code: string;
    activity: number;
    phase: number;
    modifiers: string[];
    associationCode: string | null;
    baseAmount: number | null;
    rate: number;
    amount: number | null;
  }[];
  total: number;
}

/** routes/acts.ts, DecisionSchema */
export interface Decision {
  act: ActView;
  validation: ValidationOutcome;
  signature?: { signature: string; signer: string };
}

/** routes/acts.ts, AuditTrailSchema */
export interface AuditEntry {
  position: number;
  kind: string;
  actor: { id: string; roles: string[] };
  at: string;
  requestId: string | null;
  payload: unknown;
  payloadHash: string;
  prevHash: string;
  entryHash: string;
  anchor: import("@ccam/server/schemas").AnchorProof | null;
}
export interface AuditTrail {
  actId: string;
  entries: AuditEntry[];
}

/** routes/acts.ts, VerificationSchema */
export interface Verification {
  actId: string;
  verified: boolean;
  chain: { ok: true; length: number } | { ok: false; firstBreak: { position: number; reason: string } };
  entries: {
    position: number;
    kind: string;
    entryHash: string;
    anchor: { anchored: boolean; ok: boolean | null; detail: string };
  }[];
  differences: string[];
}

/** routes/health.ts, GET /readyz */
export interface Readiness {
  status: "ready" | "degraded" | "not_ready";
  checks: {
    database: { ok: boolean; detail?: string };
    referential: { ok: boolean; detail?: string };
    chain?: { ok: boolean; detail?: string };
  };
}

/** routes/ccam.ts, ActDetailSchema */
export type ActDetail = Act & {
  version: string;
  chapterPath: { path: string; title: string }[];
  modifierDetails: { code: string; label: string | null }[];
  complementaryActs: { code: string; label: string | null }[];
};

export type ActStatus = ActView["status"];
export const STATUS_LABELS: Record<ActStatus, string> = {
  pending: "En attente",
  validated: "Validé",
  overridden: "Corrigé",
};
export const STATUS_COLORS: Record<ActStatus, string> = {
  pending: "yellow",
  validated: "green",
  overridden: "violet",
};
