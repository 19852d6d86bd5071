import { openTestDatabase } from "@ccam/db";
import { describe, expect, it } from "vitest";
import { coderMigrations, DrizzleLearningStore } from "./drizzle-store.js";
import { decay, InMemoryLearningStore, type LearningStore } from "./store.js";

const event = (
  terms: string[],
  chosen: string[],
  rejected: string[] = [],
  at = "2026-01-01T00:00:00.000Z",
) => ({
  terms,
  site: "chu-a",
  chosenCodes: chosen,
  rejectedCodes: rejected,
  at,
});

async function behaves(store: LearningStore) {
  await store.record(event(["appendicectomi", "fosse", "iliaqu"], ["HHFA001"], ["HHFA016"]));
  const now = new Date("2026-01-02T00:00:00.000Z");
  const boosts = await store.boosts("appendicectomi fosse iliaqu droit", "chu-a", { now });
  expect(boosts.get("HHFA001")).toBeGreaterThan(0);
  expect(boosts.get("HHFA016")).toBeLessThan(0);
  // Another site, or an unrelated text, learns nothing from it.
  expect((await store.boosts("appendicectomi fosse iliaqu", "chu-b", { now })).size).toBe(0);
  expect((await store.boosts("cataract oeil", "chu-a", { now })).size).toBe(0);
}

describe("learning stores", () => {
  it("in memory: boosts similar texts at the same site", async () => {
    await behaves(new InMemoryLearningStore());
  });

  it("drizzle (PGlite): same behaviour from the coder's own table", async () => {
    const handle = await openTestDatabase([coderMigrations]);
    try {
      await behaves(new DrizzleLearningStore(handle.db));
    } finally {
      await handle.close();
    }
  });

  it("decays with age (half-life 180 days)", () => {
    const now = new Date("2026-07-01T00:00:00.000Z");
    expect(decay("2026-07-01T00:00:00.000Z", now)).toBe(1);
    expect(decay("2026-01-02T00:00:00.000Z", now)).toBeCloseTo(0.5, 1);
  });
});
