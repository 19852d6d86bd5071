import type { Database } from "@ccam/db";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { AnchorStatus } from "./ports.js";

export const WorkflowMetricsSchema = z.object({
  generatedAt: z.string(),
  actsPerDay: z.array(z.object({ day: z.string(), acts: z.number().int() })),
  acts: z.object({ pending: z.number().int(), validated: z.number().int(), overridden: z.number().int() }),
  /** Decided acts whose first code is the first suggestion, over decided acts. */
  firstSuggestionAcceptanceRate: z.number().nullable(),
  overrideRate: z.number().nullable(),
  topOverrideReasons: z.array(z.object({ reason: z.string(), count: z.number().int() })),
  /** Validation attempts with blocking findings, over all attempts. */
  rejectionRate: z.number().nullable(),
  suggestionLatencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  anchoring: z.object({
    state: z.enum(["ok", "degraded", "disabled"]),
    queueDepth: z.number().int(),
    lagMs: z.number().nullable(),
    lastError: z.string().nullable(),
  }),
  llm: z.object({ state: z.enum(["off", "ok", "degraded"]), detail: z.string().nullable() }),
  alerts: z.array(z.object({ kind: z.string(), message: z.string() })),
});
export type WorkflowMetrics = z.infer<typeof WorkflowMetricsSchema>;

export interface AlertThresholds {
  overrideRate: number;
  suggestionP95Ms: number;
  anchoringLagMs: number;
}

const ratio = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

/** The dashboard's numbers, computed in SQL over the last `days` days. */
export async function workflowMetrics(
  db: Database,
  options: {
    days: number;
    thresholds: AlertThresholds;
    anchoring: AnchorStatus;
    llm: WorkflowMetrics["llm"];
  },
): Promise<WorkflowMetrics> {
  const since = new Date(Date.now() - options.days * 86_400_000).toISOString();
  const rows = async <T>(query: ReturnType<typeof sql>) =>
    ((await db.execute(query)) as unknown as { rows: T[] }).rows;

  const [perDay, byStatus, accepted, reasons, attempts, latency] = await Promise.all([
    rows<{ day: string; acts: number }>(sql`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as acts
      from actes where created_at >= ${since} group by 1 order by 1`),
    rows<{ status: string; n: number }>(sql`select status, count(*)::int as n from actes group by status`),
    rows<{ n: number }>(sql`
      select count(*)::int as n from actes a
      join act_suggestions s on s.act_id = a.id
      join act_codes c on c.act_id = a.id and c.position = 0
      where a.status <> 'pending' and c.code = s.codes->0->>'code'`),
    rows<{ reason: string; count: number }>(sql`
      select reason_category as reason, count(*)::int as count from overrides
      where created_at >= ${since} group by 1 order by 2 desc, 1 limit 5`),
    rows<{ total: number; rejected: number }>(sql`
      select count(*)::int as total, count(*) filter (where blocking > 0)::int as rejected
      from validation_attempts where at >= ${since}`),
    rows<{ p50: number | null; p95: number | null }>(sql`
      select percentile_cont(0.5) within group (order by latency_ms)::float8 as p50,
             percentile_cont(0.95) within group (order by latency_ms)::float8 as p95
      from act_suggestions where created_at >= ${since}`),
  ]);
  const count = (status: string) => byStatus.find((r) => r.status === status)?.n ?? 0;
  const decided = count("validated") + count("overridden");
  const overrideRate = ratio(count("overridden"), decided);
  const p95 = latency[0]?.p95 ?? null;
  const alerts: WorkflowMetrics["alerts"] = [];
  if (overrideRate !== null && overrideRate > options.thresholds.overrideRate) {
    alerts.push({
      kind: "override_rate",
      message: `Taux de correction ${(overrideRate * 100).toFixed(1)} % > ${options.thresholds.overrideRate * 100} %`,
    });
  }
  if (p95 !== null && p95 > options.thresholds.suggestionP95Ms) {
    alerts.push({
      kind: "suggestion_latency",
      message: `Latence p95 des suggestions ${p95.toFixed(1)} ms > ${options.thresholds.suggestionP95Ms} ms`,
    });
  }
  if (options.anchoring.state === "degraded") {
    alerts.push({
      kind: "chain",
      message: `Ancrage en mode dégradé : ${options.anchoring.queueDepth} décision(s) en attente`,
    });
  }
  if ((options.anchoring.lagMs ?? 0) > options.thresholds.anchoringLagMs) {
    alerts.push({
      kind: "anchoring_lag",
      message: `Retard d'ancrage ${Math.round((options.anchoring.lagMs ?? 0) / 1000)} s`,
    });
  }
  return {
    generatedAt: new Date().toISOString(),
    actsPerDay: perDay,
    acts: { pending: count("pending"), validated: count("validated"), overridden: count("overridden") },
    firstSuggestionAcceptanceRate: ratio(accepted[0]?.n ?? 0, decided),
    overrideRate,
    topOverrideReasons: reasons,
    rejectionRate: ratio(attempts[0]?.rejected ?? 0, attempts[0]?.total ?? 0),
    suggestionLatencyMs: { p50: latency[0]?.p50 ?? null, p95 },
    anchoring: options.anchoring,
    llm: options.llm,
    alerts,
  };
}
