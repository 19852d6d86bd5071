import { fileURLToPath } from "node:url";
import type { Database, MigrationSet } from "@ccam/db";
import { and, arrayOverlaps, eq } from "drizzle-orm";
import { coderLearningEvents } from "./schema.js";
import { accumulateBoosts, type BoostOptions, type LearningEvent, type LearningStore } from "./store.js";

/** The coder's migrations, applied by `@ccam/db` `migrate()`. Same relative path from src/ and dist/. */
export const coderMigrations: MigrationSet = {
  module: "coder",
  folder: fileURLToPath(new URL("../../drizzle", import.meta.url)),
};

/** Keeps corrections in the coder's own table; only rows sharing a term with the text are read back. */
export class DrizzleLearningStore implements LearningStore {
  constructor(private readonly db: Database) {}

  async record(event: LearningEvent): Promise<void> {
    const rows = [
      ...event.chosenCodes.map((code) => ({ code, weight: 1 })),
      ...event.rejectedCodes.map((code) => ({ code, weight: -1 })),
    ].map((r) => ({ ...r, site: event.site, terms: event.terms, at: new Date(event.at).toISOString() }));
    if (rows.length > 0) await this.db.insert(coderLearningEvents).values(rows);
  }

  async boosts(normalisedText: string, site: string, options?: BoostOptions): Promise<Map<string, number>> {
    const terms = normalisedText.split(" ").filter(Boolean);
    if (terms.length === 0) return new Map();
    const rows = await this.db
      .select({
        terms: coderLearningEvents.terms,
        code: coderLearningEvents.code,
        weight: coderLearningEvents.weight,
        at: coderLearningEvents.at,
      })
      .from(coderLearningEvents)
      .where(and(eq(coderLearningEvents.site, site), arrayOverlaps(coderLearningEvents.terms, terms)));
    return accumulateBoosts(rows, normalisedText, options);
  }
}
