import { createHmac } from "node:crypto";
import { join } from "node:path";
import type { Referential } from "@ccam/ccam";
import {
  type Coder,
  coderTables,
  createCoder,
  DrizzleLearningStore,
  type Listen,
  type LlmProvider,
} from "@ccam/coder";
import type { Database } from "@ccam/db";
import { sql } from "drizzle-orm";
import { HttpProblem } from "../problem.js";
import type { ReferentialService } from "../services/referential-service.js";
import type { SuggestInput, SuggestionEngine, SuggestionResult } from "./ports.js";

/** How many learned-term hashes are kept in memory (a site's working vocabulary; ≈ 100 bytes each). */
const TERM_HASHES = 20_000;

/** Where suggestion timings go (the process's Prometheus metrics). */
export interface SuggestionMetrics {
  observeSuggestion(seconds: number, engine: string): void;
}

/**
 * The workflow's suggestion port over the offline coding agent: one coder per referential version (built on first
 * use, its index cached in the data folder), all sharing one learning store in the database, so a correction made
 * on any version's act (on any instance) improves every later suggestion of the site.
 */
export class CoderSuggestionEngine implements SuggestionEngine {
  private readonly coders = new Map<string, Promise<Coder>>();
  private readonly store: DrizzleLearningStore;
  private llmState: { state: "off" | "ok" | "degraded"; detail: string | null };

  constructor(
    private readonly deps: {
      db: Database;
      /**
       * The database's notifications: with them the learned rows are kept per term, and dropped when the table
       * changes (see `DrizzleLearningStore`); without, every suggestion reads them.
       */
      listen?: Listen | undefined;
      /** Key of the learned terms' hashes (the current pseudonymisation key). */
      termKey: Buffer;
      referentials: ReferentialService;
      dataDir: string;
      llm?: LlmProvider | undefined;
      llmBudgetMs?: number;
      metrics?: SuggestionMetrics | undefined;
    },
  ) {
    // Learned terms are words of clinical texts: the table keeps only their keyed hashes (the key is not in the
    // database). Rotating the pseudonymisation key starts the site's learning afresh.
    const key = deps.termKey;
    // Every suggestion hashes each of its terms: the hashes of the vocabulary met so far are kept (bounded).
    const hashes = new Map<string, string>();
    this.store = new DrizzleLearningStore(
      deps.db,
      (term) => {
        let hashed = hashes.get(term);
        if (hashed === undefined) {
          hashed = createHmac("sha256", key)
            .update(`learning-term:${term}`, "utf8")
            .digest("hex")
            .slice(0, 32);
          if (hashes.size >= TERM_HASHES) hashes.clear();
          hashes.set(term, hashed);
        }
        return hashed;
      },
      deps.listen,
    );
    this.llmState = deps.llm
      ? { state: "ok", detail: "configured; no suggestion yet" }
      : { state: "off", detail: "offline engine only (CCAM_LLM_BASE_URL not set)" };
  }

  /** Whether the learning store hears the table's notifications (`ccam_learning_listening`). */
  learningListening(): boolean {
    return this.store.listening;
  }

  /** The optional re-ranker as last seen: a suggestion that fell back to the offline order marks it degraded. */
  llmStatus(): { state: "off" | "ok" | "degraded"; detail: string | null } {
    return this.llmState;
  }

  /** Builds (or loads from cache) the coder of the version in force at `date`, or of the latest version. */
  warm(date?: string): Promise<Coder> | undefined {
    const referential = date ? this.deps.referentials.atDate(date) : this.deps.referentials.versions[0];
    return referential && this.coderFor(referential);
  }

  async suggest(input: SuggestInput): Promise<SuggestionResult> {
    const referential = this.deps.referentials.atDate(input.date);
    if (!referential) {
      throw new HttpProblem(
        422,
        "Aucune version CCAM applicable",
        `No imported CCAM version was in force on ${input.date}.`,
        [{ field: "body.performedAt", message: "no CCAM version in force at this date" }],
      );
    }
    const coder = await this.coderFor(referential);
    const started = performance.now();
    const result = await coder.suggest({
      text: input.text,
      date: input.date,
      site: input.site,
      ...(input.specialty ? { specialty: input.specialty } : {}),
      ...(input.patient ? { patient: input.patient } : {}),
    });
    this.deps.metrics?.observeSuggestion((performance.now() - started) / 1000, result.engine);
    if (this.deps.llm && result.suggestions.length > 1) {
      this.llmState =
        result.engine === "offline+llm"
          ? { state: "ok", detail: `last re-ranking at ${new Date().toISOString()}` }
          : { state: "degraded", detail: "last call failed or exceeded its budget: offline order served" };
    }
    return result;
  }

  async learn(signal: Parameters<SuggestionEngine["learn"]>[0]): Promise<void> {
    const coder = await this.warm();
    if (!coder) return;
    await coder.learn(signal);
  }

  /**
   * The learning table's highest id: it grows with every correction recorded by any instance sharing the
   * database, so it is the generation of the learned priors (one primary-key index probe per call). The learning
   * store is told, so that a suggestion computed next, and cached under this generation, uses rows at least as
   * recent, even before this instance hears of the change.
   */
  async generation(): Promise<number> {
    const { coderLearningEvents } = coderTables;
    const [row] = await this.deps.db
      .select({ id: sql<number>`coalesce(max(${coderLearningEvents.id}), 0)` })
      .from(coderLearningEvents);
    const generation = Number(row?.id ?? 0);
    this.store.sync(generation);
    return generation;
  }

  private coderFor(referential: Referential): Promise<Coder> {
    const key = referential.version.version;
    let coder = this.coders.get(key);
    if (!coder) {
      coder = createCoder({
        referential,
        learningStore: this.store,
        cacheDir: join(this.deps.dataDir, "coder-index"),
        ...(this.deps.llm ? { llm: this.deps.llm } : {}),
        ...(this.deps.llmBudgetMs ? { llmBudgetMs: this.deps.llmBudgetMs } : {}),
      });
      // A failed build must not stay cached: the next request tries again.
      coder.catch(() => this.coders.delete(key));
      this.coders.set(key, coder);
    }
    return coder;
  }
}
