import type { Referential, ValidationInput, ValidationResult } from "@ccam/ccam";
import type { LearningStore } from "./learning/store.js";
import type { LlmProvider } from "./llm/provider.js";

export interface Finding {
  rule: string;
  severity: "blocking" | "warning";
  code?: string;
  message: string;
  reference: string;
}

export interface Evidence {
  start: number;
  end: number;
  text: string;
}

export interface Suggestion {
  code: string;
  label: string;
  /** Calibrated probability that this code is right, in [0, 1]. */
  confidence: number;
  evidence: Evidence[];
  activity: 1;
  phase: 0;
  /** Secteur-1 tariff of activity 1 phase 0, null when not reimbursed. */
  tariff: number | null;
  findings: Finding[];
  blocked: boolean;
  /**
   * When the text describes several acts, the span of the act this suggestion codes (absent for a one-act
   * text, and on suggestions that come from the whole text's ranking only).
   */
  segment?: { start: number; end: number; text: string };
}

export interface SuggestInput {
  text: string;
  /** YYYY-MM-DD; codes not valid at this date are dropped. */
  date?: string;
  specialty?: string;
  patient?: { sex: "M" | "F"; ageYears: number };
  site?: string;
  limit?: number;
}

export interface SuggestResult {
  engine: "offline" | "offline+llm";
  referentialVersion: string;
  latencyMs: number;
  suggestions: Suggestion[];
}

export interface LearnInput {
  text: string;
  chosenCodes: string[];
  rejectedCodes: string[];
  site: string;
  at: string;
}

export interface Coder {
  suggest(input: SuggestInput): Promise<SuggestResult>;
  learn(input: LearnInput): Promise<void>;
  /** Increments each time learned data changes. */
  generation(): number;
}

export interface CoderOptions {
  referential: Referential;
  learningStore?: LearningStore;
  /** Where the serialised search index is cached (default: os.tmpdir()/ccam-coder). */
  cacheDir?: string;
  /** Optional re-ranker; the offline result is returned when it fails or is late. */
  llm?: LlmProvider;
  /** Budget of the LLM call, in ms (default 1500). */
  llmBudgetMs?: number;
  /**
   * Rule engine run on each suggestion as one line (activity 1, phase 0) at the suggestion's date and patient;
   * defaults to `validate` from @ccam/ccam. Any blocking issue sets blocked = true.
   */
  validate?: (input: ValidationInput, referential: Referential) => ValidationResult;
}
