/** One coder correction: the normalised text's terms, and what the coder chose or rejected at a site. */
export interface LearningEvent {
  /** Distinct stemmed terms of the normalised text. */
  terms: string[];
  site: string;
  chosenCodes: string[];
  rejectedCodes: string[];
  /** ISO timestamp of the decision. */
  at: string;
}

/** Where corrections are kept and turned into per-code boosts for a new text. */
export interface LearningStore {
  record(event: LearningEvent): Promise<void>;
  /** Boost per code for a normalised text (space-joined terms) at a site; positive = chosen before on similar texts. */
  boosts(normalisedText: string, site: string, options?: BoostOptions): Promise<Map<string, number>>;
}

export interface BoostOptions {
  now?: Date;
  /** Informativeness of a term (e.g. its IDF over the labels); rare site shorthand should weigh most. Default 1. */
  termWeight?: (term: string) => number;
}

/** Half-life of a correction's influence. */
export const HALF_LIFE_DAYS = 180;
/** Boosts weaker than this are dropped. */
export const MIN_BOOST = 0.1;

export function decay(at: string, now: Date): number {
  const ageDays = Math.max(0, (now.getTime() - Date.parse(at)) / 86_400_000);
  return 0.5 ** (ageDays / HALF_LIFE_DAYS);
}

/**
 * Turns past corrections into per-code boosts for a text. Each term of the text votes for the codes chosen on
 * earlier texts containing it, in proportion to how consistently they were chosen with that term (rejections
 * vote against), each event weighted by its age. The boost of a code is the mean vote over the text's terms, so
 * one shared common word moves little while the site's own shorthand ("TOT", "KT sus-pubien") moves a lot.
 */
export function accumulateBoosts(
  rows: Iterable<{ terms: readonly string[]; code: string; weight: number; at: string }>,
  normalisedText: string,
  options: BoostOptions = {},
): Map<string, number> {
  const now = options.now ?? new Date();
  const weightOf = options.termWeight ?? (() => 1);
  const query = [...new Set(normalisedText.split(" ").filter(Boolean))];
  const wanted = new Set(query);
  // term → (mass of events choosing a code with it, code → signed mass)
  const byTerm = new Map<string, { mass: number; codes: Map<string, number> }>();
  for (const row of rows) {
    const d = decay(row.at, now);
    for (const term of new Set(row.terms)) {
      if (!wanted.has(term)) continue;
      const entry = byTerm.get(term) ?? { mass: 0, codes: new Map<string, number>() };
      if (row.weight > 0) entry.mass += d;
      entry.codes.set(row.code, (entry.codes.get(row.code) ?? 0) + row.weight * d);
      byTerm.set(term, entry);
    }
  }
  const out = new Map<string, number>();
  const total = query.reduce((sum, t) => sum + weightOf(t), 0);
  let seen = 0;
  for (const [term, { mass, codes }] of byTerm) {
    const w = weightOf(term);
    seen += w;
    for (const [code, signed] of codes)
      out.set(code, (out.get(code) ?? 0) + (w * signed) / Math.max(mass, 1));
  }
  // Terms the site never used say nothing about its habits, but at least half the text must agree.
  const denominator = Math.max(seen, total / 2);
  for (const [code, sum] of out) {
    const boost = denominator > 0 ? Math.max(-1, Math.min(1, sum / denominator)) : 0;
    if (Math.abs(boost) < MIN_BOOST) out.delete(code);
    else out.set(code, boost);
  }
  return out;
}

/** Keeps corrections in memory (tests, CLI sessions). */
export class InMemoryLearningStore implements LearningStore {
  private readonly rows: { site: string; terms: string[]; code: string; weight: number; at: string }[] = [];

  async record(event: LearningEvent): Promise<void> {
    for (const code of event.chosenCodes)
      this.rows.push({ site: event.site, terms: event.terms, code, weight: 1, at: event.at });
    for (const code of event.rejectedCodes)
      this.rows.push({ site: event.site, terms: event.terms, code, weight: -1, at: event.at });
  }

  async boosts(normalisedText: string, site: string, options?: BoostOptions): Promise<Map<string, number>> {
    return accumulateBoosts(
      this.rows.filter((r) => r.site === site),
      normalisedText,
      options,
    );
  }
}
