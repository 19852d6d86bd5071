import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Act, Referential } from "@ccam/ccam";
import MiniSearch, { type Options, type SearchOptions } from "minisearch";
import type { Aliases } from "./lexicon.js";
import { indexTerms, otherNamesOf, STOP_WORDS, tokenizeWithOffsets } from "./text.js";

/** Bump when the indexed documents or the tokenisation change, so old cache files are ignored. */
export const INDEX_FORMAT = 4;

interface ActDocument {
  id: string;
  label: string;
  shortLabel: string;
  synonyms: string;
  chapters: string;
}

const OPTIONS: Options<ActDocument> = {
  fields: ["label", "shortLabel", "synonyms", "chapters"],
  storeFields: [],
  // Documents are already folded, stemmed and space-joined.
  tokenize: (text) => text.split(" ").filter(Boolean),
  processTerm: (term) => term,
};

/** How a query term reaches the index: BM25 per field, prefix match from 5 letters, light fuzzy from 8. */
export const SEARCH: SearchOptions = {
  prefix: (term) => term.length >= 5,
  fuzzy: (term) => (term.length >= 8 ? 0.15 : false),
  boost: { label: 3, shortLabel: 1, synonyms: 1.5, chapters: 0.4 },
};

/** Bound of the term memo, in postings (a document id and a score: 12 bytes each, so about 6 MB). */
const MEMO_POSTINGS = 500_000;

export interface RetrievalHit {
  id: string;
  score: number;
}

/**
 * MiniSearch's OR query, with each term's matches memoised. The index never changes once loaded, so one term at
 * one weight always matches the same documents with the same scores; most of a query's cost (the fuzzy walk of
 * the term tree, prefix expansion, BM25 over every matching document) is paid once per term instead of once per
 * query. Scores are exactly MiniSearch's: the per-term scores come from MiniSearch itself, are added in the same
 * order, and each document's sum is multiplied by the number of query terms it matched, as \`search\` does.
 */
export class TermRetriever {
  private readonly memo = new Map<string, { docs: Int32Array; scores: Float64Array }>();
  private postings = 0;
  /** Dense numbers for document ids, so a query sums into typed arrays rather than a map of objects. */
  private readonly slots = new Map<string, number>();
  private readonly ids: string[] = [];
  private sums = new Float64Array(0);
  private counts = new Int32Array(0);
  /** Documents a query has matched, in first-match order (reused across queries). */
  private readonly touched: number[] = [];

  constructor(private readonly index: MiniSearch<ActDocument>) {}

  /**
   * Documents matching any of the terms (term → its boost; a term containing spaces counts as its words), best
   * first; with `limit`, only the first `limit` of that order (ties keep the order documents were first matched
   * in, as the stable sort of the whole list does).
   */
  search(boosts: ReadonlyMap<string, number>, limit = Number.POSITIVE_INFINITY): RetrievalHit[] {
    const touched = this.touched;
    touched.length = 0;
    const seen = new Set<string>();
    for (const key of boosts.keys())
      for (const term of key.split(" ")) {
        if (!term) continue;
        const first = !seen.has(term);
        seen.add(term);
        const { docs, scores } = this.termHits(term, boosts.get(term) ?? 1);
        for (let i = 0; i < docs.length; i++) {
          const d = docs[i] as number;
          if (this.counts[d] === 0) touched.push(d);
          this.sums[d] = (this.sums[d] as number) + (scores[i] as number);
          // MiniSearch counts a term once per document however often it is repeated in the query.
          if (first) this.counts[d] = (this.counts[d] as number) + 1;
        }
      }
    const scoreOf = (d: number) => (this.sums[d] as number) * (this.counts[d] as number);
    let hits: RetrievalHit[];
    if (touched.length <= limit)
      hits = touched
        .map((d) => ({ id: this.ids[d] as string, score: scoreOf(d) }))
        .sort((a, b) => b.score - a.score);
    else {
      // Only the best `limit` documents become hits: most matches of a query are never looked at.
      const best: number[] = [];
      const bestScores: number[] = [];
      for (const d of touched) {
        const score = scoreOf(d);
        if (best.length >= limit && score <= (bestScores[best.length - 1] as number)) continue;
        // After the last document scoring at least as much: equal scores keep their first-match order.
        let lo = 0;
        let hi = best.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((bestScores[mid] as number) >= score) lo = mid + 1;
          else hi = mid;
        }
        best.splice(lo, 0, d);
        bestScores.splice(lo, 0, score);
        if (best.length > limit) {
          best.pop();
          bestScores.pop();
        }
      }
      hits = best.map((d, i) => ({ id: this.ids[d] as string, score: bestScores[i] as number }));
    }
    for (const d of touched) {
      this.sums[d] = 0;
      this.counts[d] = 0;
    }
    return hits;
  }

  private termHits(term: string, boost: number): { docs: Int32Array; scores: Float64Array } {
    const key = `${boost} ${term}`;
    let hits = this.memo.get(key);
    if (hits) return hits;
    const results = this.index.search(term, { ...SEARCH, boostTerm: () => boost });
    hits = { docs: new Int32Array(results.length), scores: new Float64Array(results.length) };
    for (let i = 0; i < results.length; i++) {
      const result = results[i] as { id: string; score: number };
      hits.docs[i] = this.slotOf(result.id);
      hits.scores[i] = result.score;
    }
    // Oldest first out (Map order), until the new entry fits.
    for (const [old, entry] of this.memo) {
      if (this.postings + results.length <= MEMO_POSTINGS) break;
      this.memo.delete(old);
      this.postings -= entry.docs.length;
    }
    this.memo.set(key, hits);
    this.postings += results.length;
    return hits;
  }

  private slotOf(id: string): number {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.slots.set(id, slot);
      this.ids.push(id);
      if (slot >= this.sums.length) {
        const size = Math.max(1024, this.sums.length * 2);
        const sums = new Float64Array(size);
        sums.set(this.sums);
        const counts = new Int32Array(size);
        counts.set(this.counts);
        this.sums = sums;
        this.counts = counts;
      }
    }
    return slot;
  }
}

export interface RetrievalIndex {
  search: MiniSearch<ActDocument>;
  retriever: TermRetriever;
  /** Abbreviations mined from the short labels: abbreviation → expansion words. */
  mined: [string, string][];
  builtMs: number;
  loadedFrom: "built" | "cache";
}

/** Mines abbreviations of the official short labels: tokens absent from the long label, matched to a long word. */
export function mineAbbreviations(acts: Iterable<Act>): [string, string][] {
  const counts = new Map<string, Map<string, number>>();
  const longWords = new Set<string>();
  const items: { short: string[]; long: string[] }[] = [];
  for (const act of acts) {
    const long = tokenizeWithOffsets(act.label).map((t) => t.text);
    for (const w of long) longWords.add(w);
    if (act.shortLabel) items.push({ short: tokenizeWithOffsets(act.shortLabel).map((t) => t.text), long });
  }
  for (const { short, long } of items) {
    const longSet = new Set(long);
    for (const s of short) {
      if (s.length < 2 || /[0-9]/.test(s) || longSet.has(s) || STOP_WORDS.has(s)) continue;
      const candidates = long.filter((l) => l.length > s.length && l.startsWith(s));
      const pick =
        candidates[0] ??
        long.find((l) => s.length >= 3 && l[0] === s[0] && l.length > s.length && isSubsequence(s, l));
      if (!pick) continue;
      const byLong = counts.get(s) ?? new Map<string, number>();
      byLong.set(pick, (byLong.get(pick) ?? 0) + 1);
      counts.set(s, byLong);
    }
  }
  const out: [string, string][] = [];
  for (const [s, byLong] of counts) {
    if (longWords.has(s)) continue; // a real word of the labels, not an abbreviation
    const total = [...byLong.values()].reduce((a, b) => a + b, 0);
    const [best, n] = [...byLong].sort((a, b) => b[1] - a[1])[0] as [string, number];
    if (n >= 3 && n / total >= 0.6) out.push([s, best]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

function isSubsequence(s: string, l: string): boolean {
  let i = 0;
  for (const c of l) if (c === s[i]) i++;
  return i === s.length;
}

/** Text indexed for one act, stemmed; `aliases` are the curated other names of the act (data/aliases). */
export function actDocument(
  referential: Referential,
  act: Act,
  aliases: readonly string[] = [],
): ActDocument {
  return {
    id: act.code,
    label: indexTerms(act.label).join(" "),
    shortLabel: indexTerms(act.shortLabel ?? "").join(" "),
    // Untitled notes under an act are mostly other names for it.
    synonyms: indexTerms(otherNamesOf(act, aliases)).join(" "),
    chapters: indexTerms(
      referential
        .chapterTrail(act.chapter)
        .slice(-2)
        .map((c) => c.title)
        .join(" "),
    ).join(" "),
  };
}

export function buildIndex(referential: Referential, aliases?: Aliases): RetrievalIndex {
  const start = performance.now();
  const search = new MiniSearch<ActDocument>(OPTIONS);
  search.addAll(
    [...referential.acts.values()].map((act) => actDocument(referential, act, aliases?.byCode.get(act.code))),
  );
  const mined = mineAbbreviations(referential.acts.values());
  return {
    search,
    retriever: new TermRetriever(search),
    mined,
    builtMs: performance.now() - start,
    loadedFrom: "built",
  };
}

/**
 * Loads the index from `cacheDir` (default os.tmpdir()/ccam-coder), keyed by the version's sha256 and the aliases'
 * sha256; builds and saves it when absent.
 */
export async function loadOrBuildIndex(
  referential: Referential,
  cacheDir?: string,
  aliases?: Aliases,
): Promise<RetrievalIndex> {
  const dir = cacheDir ?? join(tmpdir(), "ccam-coder");
  const key = aliases
    ? `${referential.version.sourceSha256}-${aliases.sha256.slice(0, 16)}`
    : referential.version.sourceSha256;
  const file = join(dir, `index-v${INDEX_FORMAT}-${key}.json`);
  const start = performance.now();
  try {
    const raw = await readFile(file, "utf8");
    const parsed = JSON.parse(raw) as { format: number; mined: [string, string][]; index: unknown };
    if (parsed.format === INDEX_FORMAT) {
      const search = MiniSearch.loadJS<ActDocument>(parsed.index as never, OPTIONS);
      return {
        search,
        retriever: new TermRetriever(search),
        mined: parsed.mined,
        builtMs: performance.now() - start,
        loadedFrom: "cache",
      };
    }
  } catch {
    // no cache yet, or unreadable: rebuild
  }
  const built = buildIndex(referential, aliases);
  try {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(
      tmp,
      JSON.stringify({ format: INDEX_FORMAT, mined: built.mined, index: built.search.toJSON() }),
    );
    await rename(tmp, file);
  } catch {
    // a read-only cache directory only costs the next start a rebuild
  }
  return built;
}
