import { fileURLToPath } from "node:url";
import type { MigrationSet } from "@ccam/db";

/** The act workflow's tables. Same relative path from src/ and dist/. */
export const actsMigrations: MigrationSet = {
  module: "acts",
  folder: fileURLToPath(new URL("../../drizzle-acts", import.meta.url)),
  // The per-act hash chains: rows are appended, never changed (erasure appends a patient.erased entry).
  appendOnly: ["audit_entries"],
};
