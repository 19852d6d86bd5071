/**
 * The API's zod schemas that a browser may import (the web app's forms and response types): this file and what
 * it imports stay free of Node modules and of runtime imports beyond zod. `@ccam/ccam` is imported by
 * acts/*.ts for its schemas; the web build maps it to the pure domain layer (packages/web/build/ccam-domain.ts).
 * Response schemas live next to their concept (acts/schemas.ts, identity/schemas.ts, routes/ccam-schemas.ts,
 * routes/health-schemas.ts); the web app's types are `z.infer` of them (packages/web/src/api/types.ts).
 */
export type { WorkflowMetrics } from "./acts/metrics.js";
export {
  type AnchorProof,
  AnchorProofSchema,
  type Finding,
  FindingSchema,
  type Suggestion,
  type SuggestionResult,
  SuggestionResultSchema,
  SuggestionSchema,
} from "./acts/ports.js";
export {
  type ActCreate,
  type ActCreated,
  ActCreatedSchema,
  ActCreateSchema,
  type ActFilter,
  ActFilterSchema,
  ActStatusSchema,
  type ActView,
  ActViewSchema,
  type AuditEntry,
  AuditEntrySchema,
  type AuditTrail,
  AuditTrailSchema,
  type CodeLineInput,
  CodeLineInputSchema,
  type Decision,
  DecisionSchema,
  OverrideBodySchema,
  PatientSchema,
  ValidationBodySchema,
  type Verification,
  VerificationSchema,
} from "./acts/schemas.js";
export { permissionsOf, type Role } from "./identity/permissions.js";
export {
  type Me,
  MeSchema,
  RoleSchema,
  type TokenResponse,
  TokenResponseSchema,
  type UserView,
  UserViewSchema,
} from "./identity/schemas.js";
export {
  type ActDetail,
  ActDetailSchema,
  type ImportJob,
  ImportJobSchema,
  type ImportJobStatus,
  ImportJobStatusSchema,
  ImportSummarySchema,
  type ImportSummaryView,
  VersionListSchema,
} from "./routes/ccam-schemas.js";
export {
  type Check,
  CheckSchema,
  type LlmCheck,
  LlmCheckSchema,
  type Readiness,
  ReadinessSchema,
} from "./routes/health-schemas.js";
