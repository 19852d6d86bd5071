import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One row of the results table in docs/reliability.md. */
export interface FaultResult {
  scenario: string;
  load: string;
  faults: string;
  /** Writes the server acknowledged (2xx) or, for the importer, versions imported. */
  acknowledged: number;
  /** Acknowledged writes missing, unverifiable or unanchored after recovery: must be 0. */
  lost: number;
  notes?: string;
  durationMs?: number;
}

/** Where each scenario leaves its row (`CCAM_FAULTS_RESULTS`, else a folder in the temp dir). */
export const RESULTS_DIR = process.env.CCAM_FAULTS_RESULTS ?? join(tmpdir(), "ccam-faults-results");

/** Prints the scenario's counts and keeps them as JSON, to fill the table of docs/reliability.md. */
export function recordResult(key: string, result: FaultResult): void {
  console.info(`[faults] ${key}: ${JSON.stringify(result)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${key}.json`), `${JSON.stringify(result, null, 2)}\n`);
}
