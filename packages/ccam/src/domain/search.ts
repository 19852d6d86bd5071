import MiniSearch from "minisearch";
import { z } from "zod";
import type { Act } from "./model.js";
import type { Referential } from "./referential.js";
import { tokenize } from "./text.js";

export const ActSearchHitSchema = z.object({
  code: z.string(),
  label: z.string(),
  shortLabel: z.string().nullable(),
  chapter: z.string(),
  score: z.number(),
});
export type ActSearchHit = z.infer<typeof ActSearchHitSchema>;

const CODE_PREFIX = /^[A-Z]{1,4}[0-9]{0,3}$/;
/** Words too common in labels to discriminate. */
const STOP_WORDS = new Set([
  "de",
  "du",
  "des",
  "la",
  "le",
  "les",
  "l",
  "d",
  "a",
  "au",
  "aux",
  "par",
  "pour",
  "en",
  "et",
  "ou",
  "un",
  "une",
  "sur",
  "avec",
  "sans",
]);

/**
 * Label search over one version: code or code prefix first, then BM25 (MiniSearch) over the long and short
 * labels and the chapter titles, with prefix and light fuzzy matching on folded French words.
 */
export class ActSearchIndex {
  private readonly index: MiniSearch<{
    id: string;
    label: string;
    shortLabel: string;
    synonyms: string;
    chapters: string;
  }>;

  constructor(private readonly referential: Referential) {
    this.index = new MiniSearch({
      fields: ["label", "shortLabel", "synonyms", "chapters"],
      storeFields: [],
      tokenize: (text) => tokenize(text).filter((t) => !STOP_WORDS.has(t)),
      processTerm: (term) => term,
      searchOptions: {
        boost: { label: 3, shortLabel: 1.5, synonyms: 1.5, chapters: 0.5 },
        prefix: true,
        fuzzy: 0.15,
        combineWith: "AND",
      },
    });
    this.index.addAll(
      [...referential.acts.values()].map((act) => ({
        id: act.code,
        label: act.label,
        shortLabel: act.shortLabel ?? "",
        // Untitled notes under an act are mostly other names for it ("Pose de prothèse totale de hanche").
        synonyms: act.notes
          .filter((note) => note.kind === "other")
          .map((note) => note.text)
          .join(" "),
        chapters: referential
          .chapterTrail(act.chapter)
          .map((c) => c.title)
          .join(" "),
      })),
    );
  }

  search(query: string, limit = 20): ActSearchHit[] {
    const trimmed = query.trim();
    if (!trimmed) return [];
    const upper = trimmed.toUpperCase();
    if (CODE_PREFIX.test(upper)) {
      const byCode = [...this.referential.acts.values()].filter((act) => act.code.startsWith(upper));
      if (byCode.length > 0) return byCode.slice(0, limit).map((act) => this.hit(act, 100));
    }
    let results = this.index.search(trimmed);
    // Every word must match first; if nothing does, fall back to any word.
    if (results.length === 0) results = this.index.search(trimmed, { combineWith: "OR" });
    return results.slice(0, limit).flatMap((result) => {
      const act = this.referential.act(String(result.id));
      return act ? [this.hit(act, Math.round(result.score * 1000) / 1000)] : [];
    });
  }

  private hit(act: Act, score: number): ActSearchHit {
    return { code: act.code, label: act.label, shortLabel: act.shortLabel, chapter: act.chapter, score };
  }
}
