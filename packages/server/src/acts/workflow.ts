import type { Database } from "@ccam/db";
import type { Ledger } from "@ccam/ledger";
import type { Config } from "../config.js";
import type { ReferentialService } from "../services/referential-service.js";
import { loadApplicationKeys } from "./keys.js";
import { ledgerAnchors } from "./ledger-anchors.js";
import { type WorkflowMetrics, workflowMetrics } from "./metrics.js";
import type { SuggestionEngine } from "./ports.js";
import { ActService } from "./service.js";
import { OverrideSigner } from "./signer.js";
import type { CodeValidator } from "./validation.js";

export interface Workflow {
  acts: ActService;
  signer: OverrideSigner;
  metrics(): Promise<WorkflowMetrics>;
}

/** Assembles the act workflow from its parts: keys, rule engine, coding agent, ledger. */
export function createWorkflow(deps: {
  config: Config;
  db: Database;
  referentials: ReferentialService;
  ledger: Ledger;
  suggester: SuggestionEngine;
  validator: CodeValidator;
  llmStatus: () => WorkflowMetrics["llm"];
}): Workflow {
  const { config, db, ledger } = deps;
  const keys = loadApplicationKeys(config.keys, config.dataDir);
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
  };
}
