import type { Database } from "@ccam/db";
import type { Ledger } from "@ccam/ledger";
import { count } from "drizzle-orm";
import type { SharedCache } from "../cache/index.js";
import type { Config } from "../config.js";
import type { ReferentialService } from "../services/referential-service.js";
import type { ApplicationKeys } from "./keys.js";
import { ledgerAnchors } from "./ledger-anchors.js";
import { type WorkflowMetrics, workflowMetrics } from "./metrics.js";
import type { SuggestionEngine } from "./ports.js";
import * as t from "./schema.js";
import { ActService } from "./service.js";
import { OverrideSigner } from "./signer.js";
import type { CodeValidator } from "./validation.js";

export interface Workflow {
  acts: ActService;
  signer: OverrideSigner;
  metrics(): Promise<WorkflowMetrics>;
  /** Acts per workflow status (the `ccam_acts` gauge), one grouped count. */
  actsByStatus(): Promise<Record<string, number>>;
}

/** Assembles the act workflow from its parts: keys, rule engine, coding agent, ledger. */
export function createWorkflow(deps: {
  config: Config;
  keys: ApplicationKeys;
  db: Database;
  referentials: ReferentialService;
  ledger: Ledger;
  suggester: SuggestionEngine;
  validator: CodeValidator;
  llmStatus: () => WorkflowMetrics["llm"];
  /** Suggestion cache shared by the instances (Redis), in memory when absent. */
  cache?: SharedCache | undefined;
  cacheMetrics?: { cacheHit(name: string): void; cacheMiss(name: string): void } | undefined;
}): Workflow {
  const { config, db, ledger, keys } = deps;
  const anchors = ledgerAnchors(ledger);
  const signer = new OverrideSigner(keys.signer, () => ledger.registry());
  const acts = new ActService({
    db,
    keys,
    referentials: () => deps.referentials.catalogView,
    suggester: deps.suggester,
    validator: deps.validator,
    anchors,
    signer,
    site: config.site,
    cache: deps.cache,
    cacheMetrics: deps.cacheMetrics,
  });
  return {
    acts,
    signer,
    metrics: async () =>
      workflowMetrics(db, {
        days: 30,
        thresholds: config.alerts,
        anchoring: await anchors.status(),
        llm: deps.llmStatus(),
      }),
    actsByStatus: async () => {
      const rows = await db.select({ status: t.acts.status, n: count() }).from(t.acts).groupBy(t.acts.status);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}
