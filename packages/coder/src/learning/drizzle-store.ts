import { fileURLToPath } from "node:url";
import type { Database, MigrationSet, NotificationHandlers } from "@ccam/db";
import { and, arrayOverlaps, eq, sql } from "drizzle-orm";
import { coderLearningEvents } from "./schema.js";
import { accumulateBoosts, type BoostOptions, type LearningEvent, type LearningStore } from "./store.js";

/** The coder's migrations, applied by `@ccam/db` `migrate()`. Same relative path from src/ and dist/. */
export const coderMigrations: MigrationSet = {
  module: "coder",
  folder: fileURLToPath(new URL("../../drizzle", import.meta.url)),
};

/** The channel the table's trigger announces every change on (migration 0001). */
export const LEARNING_CHANNEL = "ccam_coder_learning";

/** Subscribes to a notification channel: `DatabaseHandle.listen`. */
export type Listen = (channel: string, handlers: NotificationHandlers) => Promise<void>;

/** A learning row as read back: `id` tells the same row read for two terms apart from two rows. */
interface LearningRow {
  id: number;
  terms: string[];
  code: string;
  weight: number;
  at: string;
}

/** Terms, and row references under them, kept at most (cleared when full: ≈ 100 bytes a term). */
const KEPT_TERMS = 20_000;
const KEPT_ROW_REFERENCES = 200_000;

/**
 * Keeps corrections in the coder's own table; only rows sharing a term with the text are read back.
 *
 * The terms are words of clinical texts: with `termKey` (a keyed hash, e.g. HMAC under a key outside the
 * database) only their keys are stored, and the store needs nothing more than equality on them, so a dump of the
 * table holds no word of any text. Without it (tests, the CLI) terms are stored as they are.
 *
 * With `listen`, the rows read are kept per term and site, so a text whose terms were all seen costs no
 * statement. They are dropped whenever the table changes: at once for a correction recorded here, on the table
 * trigger's notification for one recorded by another process. While the subscription is not live (not yet
 * started, connection lost) nothing is kept and every text reads the table.
 */
export class DrizzleLearningStore implements LearningStore {
  /** The rows sharing a term with a text: read before every suggestion, so prepared once. */
  private readonly overlapping;
  /** Site and term key → the site's rows holding that term. */
  private readonly kept = new Map<string, LearningRow[]>();
  private keptReferences = 0;
  private live = false;
  /** Moves on with every drop: rows read before it are not kept. */
  private epoch = 0;
  /** The table's generation last passed to `sync`: rows kept since then are at least that recent. */
  private synced: number | undefined;

  constructor(
    private readonly db: Database,
    private readonly termKey: (term: string) => string = (term) => term,
    listen?: Listen,
  ) {
    this.overlapping = db
      .select({
        id: coderLearningEvents.id,
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
    // A subscription that fails (the database closed meanwhile) leaves the store reading the table every time.
    listen?.(LEARNING_CHANNEL, {
      notify: () => this.drop(),
      live: (up) => {
        this.drop();
        this.live = up;
      },
    }).catch(() => {});
  }

  /**
   * Tells the store the table's generation (its highest id, read by the caller): if it moved since the last call,
   * everything kept is dropped, so the rows used next are at least that recent whether or not its notification has
   * arrived. For a result cached under that generation.
   */
  sync(generation: number): void {
    if (generation === this.synced) return;
    this.drop();
    this.synced = generation;
  }

  /** Whether the subscription is live: rows read are kept, and dropped on the table's notifications. */
  get listening(): boolean {
    return this.live;
  }

  private drop(): void {
    this.epoch++;
    this.kept.clear();
    this.keptReferences = 0;
  }

  async record(event: LearningEvent): Promise<void> {
    const terms = event.terms.map(this.termKey);
    const rows = [
      ...event.chosenCodes.map((code) => ({ code, weight: 1 })),
      ...event.rejectedCodes.map((code) => ({ code, weight: -1 })),
    ].map((r) => ({ ...r, site: event.site, terms, at: new Date(event.at).toISOString() }));
    if (rows.length === 0) return;
    try {
      await this.db.insert(coderLearningEvents).values(rows);
    } finally {
      // Not left to the notification: the next suggestion here must see it, whenever that arrives.
      this.drop();
    }
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
    const rows = await this.rowsFor(site, [...keyed.keys()]);
    const termWeight = options?.termWeight;
    return accumulateBoosts(rows, [...keyed.keys()].join(" "), {
      ...options,
      ...(termWeight ? { termWeight: (key: string) => termWeight(keyed.get(key) ?? key) } : {}),
    });
  }

  /** The site's rows holding any of `keys`, each once, in id order: kept ones, and the others read. */
  private async rowsFor(site: string, keys: string[]): Promise<LearningRow[]> {
    if (!this.live) return this.read(site, keys);
    const byId = new Map<number, LearningRow>();
    const missing: string[] = [];
    for (const key of keys) {
      const rows = this.kept.get(`${site}\u0000${key}`);
      if (!rows) missing.push(key);
      else for (const row of rows) byId.set(row.id, row);
    }
    if (missing.length > 0) {
      const epoch = this.epoch;
      const read = await this.read(site, missing);
      for (const row of read) byId.set(row.id, row);
      // Rows read before a drop may already be out of date: used for this text, not kept.
      if (this.live && this.epoch === epoch) this.keep(site, missing, read);
    }
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  private async read(site: string, keys: string[]): Promise<LearningRow[]> {
    return (await this.overlapping.execute({ site, terms: keys })) as LearningRow[];
  }

  private keep(site: string, keys: string[], rows: LearningRow[]): void {
    if (this.kept.size + keys.length > KEPT_TERMS || this.keptReferences + rows.length > KEPT_ROW_REFERENCES)
      this.drop();
    // One pass over the rows: each joins, once, the list of every asked key it holds.
    const holding = new Map<string, LearningRow[]>(keys.map((key) => [key, []]));
    for (const row of rows)
      for (const term of row.terms) {
        const list = holding.get(term);
        if (list && list.at(-1) !== row) list.push(row);
      }
    for (const [key, list] of holding) {
      this.kept.set(`${site}\u0000${key}`, list);
      this.keptReferences += list.length;
    }
  }
}
