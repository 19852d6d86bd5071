import { type Act, type Referential, type ValidationIssue, validate as validateRules } from "@ccam/ccam";
import { calibrate, DEFAULT_CALIBRATION } from "./calibration.js";
import {
  type ActProfile,
  DEFAULT_WEIGHTS,
  type FeatureWeights,
  featureScore,
  mineActionHeads,
  mineConjunctions,
  mineTopographies,
  profileAct,
  queryActions,
  queryTopographies,
  viewQuery,
} from "./features.js";
import { InMemoryLearningStore } from "./learning/store.js";
import { loadAliases, loadEctomies, loadLexiconEntries } from "./lexicon.js";
import { buildLexicon, type Lexicon, type NormalisedQuery, normalise } from "./normalise.js";
import { loadOrBuildIndex, type RetrievalIndex } from "./retrieval.js";
import { inScope, specialtyScope } from "./specialty.js";
import { editDistance, indexTerms, otherNamesOf, STOP_WORDS, stem, tokenizeWithOffsets } from "./text.js";

export { editDistance };

import type {
  Coder,
  CoderOptions,
  Evidence,
  Finding,
  LearnInput,
  SuggestInput,
  Suggestion,
  SuggestResult,
} from "./types.js";

const POOL = 80;
const SEGMENT_POOL = 25;
/** Rule-engine answers kept per (date, code). */
const MAX_KEPT_ISSUES = 20_000;

export interface Candidate {
  code: string;
  score: number;
  retrieval: number;
  parts: Record<string, number>;
  matchedTerms: Set<string>;
}

/** Internals exposed for the evaluation harness and the bench (not part of the stable API). */
export interface CoderInternals {
  index: RetrievalIndex;
  lexicon: Lexicon;
  weights: FeatureWeights;
  normalise(text: string): NormalisedQuery;
  rank(
    input: SuggestInput,
    context?: string,
    poolSize?: number,
  ): Promise<{ query: NormalisedQuery; candidates: Candidate[] }>;
}

/** Act profiles kept in memory (about 1.7 KiB each). */
const MAX_PROFILES = 4_096;

/** Builds the offline coder for one referential version (index loaded from cache when possible). */
export async function createCoder(options: CoderOptions): Promise<Coder & { internals: CoderInternals }> {
  const { referential } = options;
  const store = options.learningStore ?? new InMemoryLearningStore();
  const aliases = await loadAliases();
  const index = await loadOrBuildIndex(referential, options.cacheDir, aliases);
  const lexicon = buildLexicon([...(await loadLexiconEntries()), ...index.mined]);
  const conjunctions = mineConjunctions(referential.acts.values());
  // The act with its profile, so a candidate costs one lookup. Least recently used out first: varied texts
  // weigh nearly every act over a day (≈ 14 MiB of profiles for all of V81), a site's usual acts stay.
  const profiles = new Map<string, { act: Act; profile: ActProfile }>();
  const profiled = (code: string): { act: Act; profile: ActProfile } | undefined => {
    let entry = profiles.get(code);
    if (entry) profiles.delete(code);
    else {
      const act = referential.act(code);
      if (!act) return undefined;
      entry = { act, profile: profileAct(act, aliases.byCode.get(code), conjunctions.get(code)) };
      if (profiles.size >= MAX_PROFILES) profiles.delete(profiles.keys().next().value as string);
    }
    profiles.set(code, entry);
    return entry;
  };
  const weights = { ...DEFAULT_WEIGHTS };
  const heads = mineActionHeads(referential.acts.values());
  const topographies = mineTopographies(referential.acts.values());
  // Document frequency of each term over the long labels and synonyms: rare words weigh most in learning.
  const df = new Map<string, number>();
  for (const act of referential.acts.values()) {
    const doc = new Set(indexTerms(`${act.label} ${otherNamesOf(act, aliases.byCode.get(act.code))}`));
    for (const t of doc) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const idf = (term: string) => Math.log((referential.acts.size + 1) / ((df.get(term) ?? 0) + 1));
  // Coverage weight of a query term: its IDF over the labels, by prefix for a stem the labels only extend
  // ("arterioveineu" of "artérioveineuse"); a word no label uses cannot tell codes apart and weighs little.
  const coverageIdf = new Map<string, number>();
  const dfKeys = [...df.keys()];
  const coverageWeight = (term: string): number => {
    let w = coverageIdf.get(term);
    if (w === undefined) {
      let n = df.get(term) ?? 0;
      if (n === 0 && term.length >= 5)
        for (const k of dfKeys) if (k.startsWith(term)) n = Math.max(n, df.get(k) ?? 0);
      w = n === 0 ? 0.5 : Math.log((referential.acts.size + 1) / (n + 1));
      coverageIdf.set(term, w);
    }
    return w;
  };
  let generation = 0;
  const validate = options.validate ?? validateRules;

  lexicon.vocabulary = new Set(df.keys());
  const labelWords = new Set<string>();
  for (const act of referential.acts.values())
    for (const t of tokenizeWithOffsets(`${act.label} ${act.shortLabel ?? ""}`))
      if (t.text.length >= 4) labelWords.add(t.text);
  lexicon.words = labelWords;
  lexicon.ectomies = new Map((await loadEctomies()).map(([organ, word]) => [stem(organ), word]));
  // Compound words: "prostatectomie" finds "vésiculoprostatectomie", "nasofibroscopie" finds "fibroscopie".
  const vocabulary = [...df.keys()].filter((t) => t.length >= 6);
  const compounds = new Map<string, string[]>();
  const compoundsOf = (term: string): string[] => {
    let found = compounds.get(term);
    if (!found) {
      found = [];
      if (term.length >= 7 && !df.has(term)) {
        found = vocabulary.filter((v) => v.length > term.length && v.endsWith(term)).slice(0, 5);
        const suffix = vocabulary
          .filter((v) => term.endsWith(v) && v.length * 2 >= term.length)
          .sort((a, b) => b.length - a.length)[0];
        if (suffix) found.push(suffix);
      }
      compounds.set(term, found);
    }
    return found;
  };

  // Typos: a word no label uses is matched to the label words one edit away (two for long words), an
  // adjacent swap counting as one edit ("ingiunal" → inguinal, "colecystectomie" → cholécystectomie).
  const byInitial = new Map<string, string[]>();
  for (const v of df.keys())
    if (v.length >= 4 && !/[0-9]/.test(v)) {
      const list = byInitial.get(v[0] as string) ?? [];
      list.push(v);
      byInitial.set(v[0] as string, list);
    }
  const corrections = new Map<string, string[]>();
  const correctionsOf = (term: string, word: string = term): string[] => {
    let found = corrections.get(term);
    if (!found) {
      found = [];
      // The written word's length decides ("cuanée" is stemmed to a 4-letter "cuan").
      if (term.length >= 4 && word.length >= 5 && !/[0-9]/.test(term) && coverageWeight(term) === 0.5) {
        const max = term.length >= 9 ? 2 : 1;
        let best = max + 1;
        // The first letter is rarely wrong; also try the word without it ("hcolécystectomie").
        const same = byInitial.get(term[0] as string) ?? [];
        for (const v of [...same, ...(byInitial.get(term[1] as string) ?? [])]) {
          if (Math.abs(v.length - term.length) > max) continue;
          const limit = v[0] === term[0] ? max : 1;
          const d = editDistance(term, v, limit);
          if (d > limit) continue;
          if (d < best) {
            best = d;
            found = [v];
          } else if (d === best && found.length < 3) found.push(v);
        }
      }
      corrections.set(term, found);
    }
    return found;
  };

  // Glued compounds the labels hyphenate: "dacryocystorhinostomie" → dacryo, cysto, rhinostomie (the fewest
  // label words of 4+ letters that spell the word).
  const pieces = new Map<string, string[]>();
  const piecesOf = (term: string): string[] => {
    let found = pieces.get(term);
    if (!found) {
      found = [];
      if (term.length >= 10 && !/[0-9]/.test(term) && !df.has(term)) {
        const best: (string[] | undefined)[] = [[]];
        for (let end = 4; end <= term.length; end++)
          for (let start = 0; start <= end - 4; start++) {
            const head = best[start];
            const piece = term.slice(start, end);
            if (!head || !df.has(piece)) continue;
            const candidate = [...head, piece];
            const current = best[end];
            if (candidate.length <= 4 && (!current || candidate.length < current.length))
              best[end] = candidate;
          }
        const split = best[term.length];
        if (split && split.length >= 2) found = split;
      }
      pieces.set(term, found);
    }
    return found;
  };

  const rank: CoderInternals["rank"] = async (input, context, poolSize = POOL) => {
    const query = normalise(input.text, lexicon);
    // A segment of a several-act text keeps the rest of the text as faint context ("coloscopie …, exérèse d'un
    // polype": the polyp is in the colon).
    if (context)
      for (const t of normalise(context, lexicon).terms)
        if (!query.terms.some((q) => q.term === t.term))
          query.terms.push({ ...t, start: 0, end: 0, weight: t.weight * 0.1, expanded: true });
    for (const t of [...query.terms])
      if (t.weight >= 0.8) {
        const fixed = t.expanded ? [] : correctionsOf(t.term, t.word);
        // One close label word for a long word is almost surely what was meant.
        const w = fixed.length === 1 && t.word.length >= 7 ? 0.85 : 0.6;
        for (const c of fixed) query.terms.push({ ...t, term: c, word: c, weight: w, expanded: true });
        if (fixed.length === 0) {
          const compound = compoundsOf(t.term);
          for (const c of compound) query.terms.push({ ...t, term: c, word: c, weight: 0.7, expanded: true });
          if (compound.length === 0 && !t.expanded)
            for (const c of piecesOf(t.term))
              query.terms.push({ ...t, term: c, word: c, weight: 0.7, expanded: true });
        }
      }
    const boostOf = new Map<string, number>();
    for (const t of query.terms) boostOf.set(t.term, Math.max(boostOf.get(t.term) ?? 0, t.weight));
    // Only the pool is ranked: the retriever keeps its best documents only.
    const pool = index.retriever.search(boostOf, poolSize);
    const learned = input.site
      ? await store.boosts(query.key, input.site, { termWeight: idf })
      : new Map<string, number>();
    for (const code of learned.keys())
      if (!pool.some((h) => h.id === code)) pool.push({ id: code, score: 0 } as never);
    const top = pool[0]?.score ?? 1;
    const actions = queryActions(query, heads);
    const topos = queryTopographies(query, topographies);
    const scope = specialtyScope(input.specialty);
    const view = viewQuery(query, coverageWeight, heads);
    const candidates: Candidate[] = [];
    for (const hit of pool) {
      const code = String(hit.id);
      const entry = profiled(code);
      if (!entry) continue;
      const { act, profile: p } = entry;
      if (
        input.date &&
        ((act.startDate && act.startDate > input.date) || (act.endDate && act.endDate < input.date))
      )
        continue;
      if (
        input.patient &&
        act.sex &&
        act.sex !== "any" &&
        act.sex !== (input.patient.sex === "M" ? "male" : "female")
      )
        continue;
      const retrieval = top > 0 ? hit.score / top : 0;
      const fs = featureScore(view, p, weights, actions, topos);
      const boost = learned.get(code) ?? 0;
      if (boost) fs.parts.learned = weights.learned * boost;
      if (scope && inScope(scope, code)) {
        fs.parts.specialty = weights.specialty;
        fs.total += weights.specialty;
      }
      candidates.push({
        code,
        retrieval,
        score: weights.retrieval * retrieval + fs.total + (fs.parts.learned ?? 0),
        parts: { retrieval, ...fs.parts },
        matchedTerms: fs.matchedTerms,
      });
    }
    candidates.sort((a, b) => b.score - a.score);
    return { query, candidates };
  };

  const evidenceOf = (query: NormalisedQuery, matched: Set<string>): Evidence[] => {
    const spans = query.terms
      .filter((t) => matched.has(t.term) && t.end > t.start)
      .map((t) => ({ start: t.start, end: t.end }))
      .sort((a, b) => a.start - b.start);
    const merged: { start: number; end: number }[] = [];
    for (const s of spans) {
      const last = merged[merged.length - 1];
      if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
      else merged.push({ ...s });
    }
    return merged.map((s) => ({ ...s, text: query.original.slice(s.start, s.end) }));
  };

  // The rule engine is pure: without a patient, one code on one date always gets the same issues, so they are
  // kept (bounded; a validator given in the options is asked every time).
  const issuesKept = new Map<string, ValidationIssue[]>();
  const issuesOf = (code: string, input: SuggestInput): ValidationIssue[] => {
    const date = input.date ?? new Date().toISOString().slice(0, 10);
    const run = () =>
      validate(
        {
          date,
          ...(input.patient ? { patient: input.patient } : {}),
          acts: [{ code, activity: 1, phase: 0 }],
        },
        referential,
      ).issues;
    if (input.patient || options.validate) return run();
    const key = `${date} ${code}`;
    let issues = issuesKept.get(key);
    if (!issues) {
      issues = run();
      if (issuesKept.size >= MAX_KEPT_ISSUES) issuesKept.clear();
      issuesKept.set(key, issues);
    }
    return issues;
  };

  /** The rule engine on the suggestion alone: a suggestion that would be rejected is never offered as valid. */
  const findingsOf = (code: string, input: SuggestInput): { findings: Finding[]; blocked: boolean } => {
    const findings = issuesOf(code, input).map((issue) => ({
      rule: issue.rule,
      severity: issue.severity,
      ...(issue.code ? { code: issue.code } : {}),
      message: issue.message,
      reference: issue.reference,
    }));
    return { findings, blocked: findings.some((f) => f.severity === "blocking") };
  };

  const coder = {
    internals: {
      index,
      lexicon,
      weights,
      normalise: (text: string) => normalise(text, lexicon),
      rank,
    } satisfies CoderInternals,

    async suggest(input: SuggestInput): Promise<SuggestResult> {
      const start = performance.now();
      const limit = input.limit ?? 10;
      const { query, candidates } = await rank(input);
      let ordered = candidates;
      let engine: SuggestResult["engine"] = "offline";
      if (options.llm && candidates.length > 1) {
        const reranked = await rerankWithLlm(options, input.text, candidates.slice(0, 10), referential);
        if (reranked) {
          ordered = [...reranked, ...candidates.slice(10)];
          engine = "offline+llm";
        }
      }
      // Each candidate's margin over the best of the others: the best's over the runner-up, the others' over the best.
      let first = -1;
      for (let i = 0; i < ordered.length; i++)
        if (first < 0 || (ordered[i] as Candidate).score > (ordered[first] as Candidate).score) first = i;
      let runnerUp = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < ordered.length; i++)
        if (i !== first) runnerUp = Math.max(runnerUp, (ordered[i] as Candidate).score);
      const margins = ordered.map((c, i) => {
        const best = i === first ? runnerUp : (ordered[first] as Candidate).score;
        return Number.isFinite(best) ? c.score - best : 1;
      });
      type Entry = {
        c: Candidate;
        margin: number;
        query: NormalisedQuery;
        offset: number;
        segment?: Segment;
      };
      let entries: Entry[] = ordered.map((c, i) => ({ c, margin: margins[i] as number, query, offset: 0 }));
      // Several acts in one text ("cholécystectomie coelio + cholangiographie peropératoire"): the best code of
      // each described act comes right after the whole text's first suggestion.
      const segments = segmentsOf(query, heads);
      if (segments.length > 1) {
        const head = entries.slice(0, 1);
        const seen = new Set(head.map((e) => e.c.code));
        const perSegment: Entry[] = [];
        for (const seg of segments) {
          const context = `${query.original.slice(0, seg.start)} ${query.original.slice(seg.end)}`;
          // Only its best code is used: a smaller pool keeps several-act texts within the latency budget.
          const ranked = await rank({ ...input, text: seg.text }, context, SEGMENT_POOL);
          const [first, second] = ranked.candidates;
          // A bare act word ("et biopsies") is too vague to code on its own.
          const strong = new Set(
            ranked.query.terms.filter((t) => t.weight >= 0.5 && t.end > t.start).map((t) => t.term),
          );
          if (!first || strong.size < 2) continue;
          if (head[0] && head[0].c.code === first.code) {
            head[0].segment ??= seg;
            continue;
          }
          if (seen.has(first.code)) continue;
          seen.add(first.code);
          const margin = second ? first.score - second.score : 1;
          perSegment.push({ c: first, margin, query: ranked.query, offset: seg.start, segment: seg });
        }
        entries = [...head, ...perSegment, ...entries.slice(1).filter((e) => !seen.has(e.c.code))];
      }
      const suggestions: Suggestion[] = entries
        .slice(0, limit)
        .map(({ c, margin, query: q, offset, segment }) => {
          const act = referential.act(c.code);
          const line = referential.line(c.code, 1, 0);
          return {
            code: c.code,
            label: act?.label ?? "",
            confidence: calibrate(margin, DEFAULT_CALIBRATION),
            evidence: evidenceOf(q, c.matchedTerms).map((e) => ({
              start: e.start + offset,
              end: e.end + offset,
              text: e.text,
            })),
            activity: 1,
            phase: 0,
            tariff: line?.tariffSecteur1 ?? null,
            ...findingsOf(c.code, input),
            ...(segment ? { segment } : {}),
          };
        });
      return {
        engine,
        referentialVersion: referential.version.version,
        latencyMs: Math.round((performance.now() - start) * 100) / 100,
        suggestions,
      };
    },

    async learn(input: LearnInput): Promise<void> {
      const query = normalise(input.text, lexicon);
      await store.record({
        terms: query.key.split(" ").filter(Boolean),
        site: input.site,
        chosenCodes: input.chosenCodes,
        rejectedCodes: input.rejectedCodes,
        at: input.at,
      });
      generation++;
    },

    generation: () => generation,
  };
  return coder;
}

interface Segment {
  start: number;
  end: number;
  text: string;
}

const STRONG_SEPARATOR = /[+;\n]/;
const JOINERS = new Set(["et", "puis", "avec", "ou"]);

/**
 * Spans of a text that describe separate acts. A cut falls at "+", ";", a new line or "puis" when both sides
 * name an act, and at "," or "et" when the next words open with an act word (a label head such as *exérèse*,
 * *pose*, *échographie*, found by stem or through the lexicon) and the text before names one too. A text with
 * one act gives one span (no segmentation).
 */
export function segmentsOf(query: NormalisedQuery, heads: ReadonlyMap<string, string>): Segment[] {
  const text = query.original;
  const tokens = tokenizeWithOffsets(text);
  const actAt = new Set<number>();
  for (const t of query.terms) if (t.weight >= 0.5 && heads.has(t.term)) actAt.add(t.start);
  const isAct = (i: number) => actAt.has((tokens[i] as { start: number }).start);
  const cuts: number[] = [0];
  for (let i = 1; i < tokens.length; i++) {
    const prev = tokens[i - 1] as { text: string; end: number };
    const gap = text.slice(prev.end, (tokens[i] as { start: number }).start);
    const strong = STRONG_SEPARATOR.test(gap) || prev.text === "puis";
    const weak = gap.includes(",") || prev.text === "et";
    if (!strong && !weak) continue;
    let j = i;
    while (j < tokens.length && STOP_WORDS.has((tokens[j] as { text: string }).text) && !isAct(j)) j++;
    if (j >= tokens.length) continue;
    const from = cuts[cuts.length - 1] as number;
    let before = false;
    for (let k = from; k < i; k++) if (isAct(k)) before = true;
    if (!before) continue;
    let after = isAct(j);
    if (strong && !after) {
      let k = j;
      while (
        k < tokens.length &&
        !STRONG_SEPARATOR.test(
          text.slice((tokens[k - 1] as { end: number }).end, (tokens[k] as { start: number }).start),
        ) &&
        !after
      ) {
        if (isAct(k)) after = true;
        k++;
      }
    }
    if (after) cuts.push(i);
  }
  if (cuts.length < 2) return [];
  return cuts.map((c, n) => {
    const start = (tokens[c] as { start: number }).start;
    const next = cuts[n + 1];
    let last = next === undefined ? tokens.length - 1 : next - 1;
    while (last > c && JOINERS.has((tokens[last] as { text: string }).text)) last--;
    const end =
      next === undefined && last === tokens.length - 1 ? text.length : (tokens[last] as { end: number }).end;
    return { start, end, text: text.slice(start, end) };
  });
}

async function rerankWithLlm(
  options: CoderOptions,
  text: string,
  top: Candidate[],
  referential: Referential,
): Promise<Candidate[] | undefined> {
  const llm = options.llm;
  if (!llm) return undefined;
  const controller = new AbortController();
  const budget = options.llmBudgetMs ?? 1500;
  let timer: NodeJS.Timeout | undefined;
  try {
    const codes = await Promise.race([
      llm.rerank({
        text,
        candidates: top.map((c) => ({ code: c.code, label: referential.act(c.code)?.label ?? "" })),
        signal: controller.signal,
      }),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve(undefined);
        }, budget);
      }),
    ]);
    if (!codes) return undefined;
    const byCode = new Map(top.map((c) => [c.code, c]));
    const chosen = [...new Set(codes)].filter((c) => byCode.has(c));
    if (chosen.length === 0) return undefined;
    const rest = top.filter((c) => !chosen.includes(c.code));
    // Keep the offline scores' scale: the re-ranked order gets strictly decreasing scores above the rest.
    const ceiling = Math.max(...top.map((c) => c.score));
    const picked = chosen.map((code, i) => ({
      ...(byCode.get(code) as Candidate),
      score: ceiling + (chosen.length - i) * 0.05,
    }));
    return [...picked, ...rest];
  } catch {
    return undefined;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
