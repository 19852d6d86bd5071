/**
 * The API's zod schemas that a browser may import (the web app's forms and response types): this file and what
 * it imports stay free of Node modules and of runtime imports beyond zod. `@ccam/ccam` is imported by
 * acts/*.ts for its schemas; the web build maps it to the pure domain layer (packages/web/build/ccam-domain.ts).
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
  ActCreateSchema,
  type ActFilter,
  ActFilterSchema,
  ActStatusSchema,
  type ActView,
  ActViewSchema,
  type CodeLineInput,
  CodeLineInputSchema,
  OverrideBodySchema,
  PatientSchema,
  ValidationBodySchema,
} from "./acts/schemas.js";
