/** GET /readyz's answer as a zod schema: pure (zod only), so the web app can import it through `schemas.ts`. */
import { z } from "zod";

export const CheckSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
export type Check = z.infer<typeof CheckSchema>;

/**
 * The optional LLM re-ranker: `off` (none configured: the offline engine serves, not a failure), `ok`, or
 * `degraded` (the last suggestion fell back to the offline order).
 */
export const LlmCheckSchema = CheckSchema.extend({ state: z.enum(["off", "ok", "degraded"]) });
export type LlmCheck = z.infer<typeof LlmCheckSchema>;

export const ReadinessSchema = z.object({
  /**
   * `degraded`: serving, but decisions wait to be anchored (chain unreachable), the shared cache is down (rate
   * limits and cached suggestions fall back per instance) or the LLM does not answer (offline order served).
   */
  status: z.enum(["ready", "degraded", "not_ready"]),
  checks: z.object({
    database: CheckSchema,
    referential: CheckSchema,
    cache: CheckSchema.optional(),
    chain: CheckSchema.optional(),
    llm: LlmCheckSchema.optional(),
  }),
});
export type Readiness = z.infer<typeof ReadinessSchema>;
