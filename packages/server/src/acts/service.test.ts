import { describe, expect, it } from "vitest";
import { AUDIT_POSITION_CONSTRAINT } from "./schema.js";
import { lostChainRace } from "./service.js";

/** A driver error as node-postgres and PGlite raise it (PostgreSQL's error fields), wrapped as Drizzle does. */
function driverError(fields: Record<string, string>, wrapped = true): Error {
  const error = Object.assign(new Error("database error"), fields);
  return wrapped ? Object.assign(new Error("Failed query: with …"), { cause: error }) : error;
}

describe("lostChainRace: which write failures mean 'read again and retry the decision'", () => {
  it("a clash on the chain's (act_id, position), wrapped by Drizzle or not", () => {
    expect(lostChainRace(driverError({ code: "23505", constraint: AUDIT_POSITION_CONSTRAINT }))).toBe(true);
    expect(lostChainRace(driverError({ code: "23505", constraint: AUDIT_POSITION_CONSTRAINT }, false))).toBe(
      true,
    );
    expect(AUDIT_POSITION_CONSTRAINT).toBe("audit_entries_act_position_uq");
  });

  it("the NULL act id of a decision row whose guarded status update matched nothing", () => {
    for (const table of ["audit_entries", "act_codes", "validation_attempts", "overrides"]) {
      expect(lostChainRace(driverError({ code: "23502", table, column: "act_id" })), table).toBe(true);
    }
  });

  it("no other unique or not-null violation, and nothing else", () => {
    for (const constraint of [
      "act_codes_pkey",
      "overrides_act_uq",
      "signer_nonces_pkey",
      "anchor_outbox_pkey",
    ]) {
      expect(lostChainRace(driverError({ code: "23505", constraint })), constraint).toBe(false);
    }
    expect(lostChainRace(driverError({ code: "23502", table: "audit_entries", column: "entry_hash" }))).toBe(
      false,
    );
    expect(lostChainRace(driverError({ code: "23502", table: "patient_keys", column: "act_id" }))).toBe(
      false,
    );
    expect(lostChainRace(driverError({ code: "40001", constraint: AUDIT_POSITION_CONSTRAINT }))).toBe(false);
    expect(lostChainRace(new Error("Connection terminated unexpectedly"))).toBe(false);
    expect(lostChainRace(undefined)).toBe(false);
    expect(lostChainRace("23505")).toBe(false);
  });
});
