import type { Finding } from "./ports.js";

/** The rule engine as the workflow sees it (packages/ccam `validate`), with the version it used. */
export interface CodeValidator {
  validate(input: {
    date: string;
    version?: string;
    setting?: "secteur1" | "hors_secteur1";
    patient?: { sex: "M" | "F"; ageYears: number };
    acts: { code: string; activity: number; phase: number; modifiers: string[] }[];
  }): ValidationOutcome;
}

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
