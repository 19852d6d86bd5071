/**
 * Types of the API's answers: every one is `z.infer` of the server's own response schema (`@ccam/server/schemas`,
 * the browser-safe export of packages/server/src/schemas.ts, and `@ccam/ccam`'s domain schemas). Never write
 * one here by hand: add or move the schema next to its concept on the server and re-export it there.
 */
import type { ActView, Role, UserView } from "@ccam/server/schemas";

export type { ActSearchHit, ReferentialDiff, ReferentialVersion, ValidationResult } from "@ccam/ccam";
export type {
  ActCreate,
  ActCreated,
  ActDetail,
  ActView,
  AnchorProof,
  AuditEntry,
  AuditTrail,
  CodeLineInput,
  Decision,
  Finding,
  ImportJob,
  ImportJobStatus,
  LlmCheck,
  Me,
  Readiness,
  Role,
  Suggestion,
  SuggestionResult,
  TokenResponse,
  Verification,
  WorkflowMetrics,
} from "@ccam/server/schemas";

/** routes/admin-users.ts: an account as administrators see it. */
export type User = UserView;

export const ROLE_LABELS: Record<Role, string> = {
  medecin: "Médecin",
  codeur: "Codeur",
  superviseur_dim: "Superviseur DIM",
  auditeur: "Auditeur",
  admin: "Administrateur",
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
