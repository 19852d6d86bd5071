import { fileURLToPath } from "node:url";
import type { Database, MigrationSet } from "@ccam/db";
import { and, arrayOverlaps, eq, sql } from "drizzle-orm";
import { coderLearningEvents } from "./schema.js";
import { accumulateBoosts, type BoostOptions, type LearningEvent, type LearningStore } from "./store.js";

/** The coder's migrations, applied by `@ccam/db` `migrate()`. Same relative path from src/ and dist/. */
export const coderMigrations: MigrationSet = {
  module: "coder",
  folder: fileURLToPath(new URL("../../drizzle", import.meta.url)),
};

/**
 * Keeps corrections in the coder's own table; only rows sharing a term with the text are read back.
 *
 * The terms are words of clinical texts: with `termKey` (a keyed hash, e.g. HMAC under a key outside the
 * database) only their keys are stored, and the store needs nothing more than equality on them, so a dump of the
 * table holds no word of any text. Without it (tests, the CLI) terms are stored as they are.
 */
export class DrizzleLearningStore implements LearningStore {
  /** The rows sharing a term with a text: read before every suggestion, so prepared once. */
  private readonly overlapping;

  constructor(
    private readonly db: Database,
    private readonly termKey: (term: string) => string = (term) => term,
  ) {
    this.overlapping = db
      .select({
        terms: coderLearningEvents.terms,
        code: coderLearningEvents.code,
        weight: coderLearningEvents.weight,
        at: coderLearningEvents.at,
      })
      .from(coderLearningEvents)
      .where(
        and(
          eq(coderLearningEvents.site, sql.placeholder("site")),
          arrayOverlaps(coderLearningEvents.terms, sql.placeholder("terms")),
        ),
      )
      .prepare("ccam_coder_boosts");
  }

  async record(event: LearningEvent): Promise<void> {
    const terms = event.terms.map(this.termKey);
    const rows = [
      ...event.chosenCodes.map((code) => ({ code, weight: 1 })),
      ...event.rejectedCodes.map((code) => ({ code, weight: -1 })),
    ].map((r) => ({ ...r, site: event.site, terms, at: new Date(event.at).toISOString() }));
    if (rows.length > 0) await this.db.insert(coderLearningEvents).values(rows);
  }

  async boosts(normalisedText: string, site: string, options?: BoostOptions): Promise<Map<string, number>> {
    // key → the text's own term, so that term weights (IDF over the labels) still apply to keyed terms.
    const keyed = new Map(
      normalisedText
        .split(" ")
        .filter(Boolean)
        .map((term) => [this.termKey(term), term] as const),
    );
    if (keyed.size === 0) return new Map();
    const rows = await this.overlapping.execute({ site, terms: [...keyed.keys()] });
    const termWeight = options?.termWeight;
    return accumulateBoosts(rows, [...keyed.keys()].join(" "), {
      ...options,
      ...(termWeight ? { termWeight: (key: string) => termWeight(keyed.get(key) ?? key) } : {}),
    });
  }
}
