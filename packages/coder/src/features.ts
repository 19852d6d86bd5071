import type { Act } from "@ccam/ccam";
import { foldText } from "@ccam/ccam";
import { type Approach, detectApproaches, type NormalisedQuery } from "./normalise.js";
import { labelRanges, quantityAgreement, type Range } from "./quantities.js";
import { indexTerms, otherNamesOf, stem, tokenizeWithOffsets } from "./text.js";

/** What the scorer needs to know about one act, precomputed once. */
export interface ActProfile {
  code: string;
  terms: Set<string>;
  /** `terms` in code-unit order, so a prefix is found by binary search. */
  sortedTerms: string[];
  /** The terms' `headBit`s: a term (or prefix) whose bit is not set is none of them and starts none. */
  headMask: number;
  /** Content terms of the long label only. */
  labelTerms: string[];
  /** `labelTerms` without the figures (compared as quantities, not as words). */
  labelWords: string[];
  approach: Approach | "orifice" | "imaging" | "other";
  injection: boolean | undefined;
  laterality: "bilateral" | "unilateral" | undefined;
  extent: "total" | "partial" | undefined;
  /** Stems of the label's head words, before the first "de" ("Parage et/ou suture" → parag, sutur). */
  heads: string[];
  /** Stems that follow "sans" / "avec" in the label. */
  without: readonly string[][];
  /** Each `without` phrase without its generic act words ("pose", "mise en place"). */
  withoutContent: readonly string[][];
  with: readonly string[][];
  /**
   * Each "avec"/"dans" clause whole (the approach left out), as its alternatives ("avec ondes de choc ou laser"):
   * each with its head (first content term), content terms and adjacent pairs.
   */
  withClauses: readonly WithClause[][];
  child: boolean;
  adult: boolean;
  guidance: ReadonlySet<string>;
  complement: boolean;
  tariff: number | null;
  ranges: readonly Range[];
  /** Approaches the label names, whatever its 4th letter. */
  labelApproaches: ReadonlySet<Approach>;
  /** Stems the label itself negates ("Biopsie non ciblée" → cibl). */
  nonTerms: readonly string[];
  /** Letter 3 of the code: the action. */
  action: string;
  /** "au 1er trimestre de la grossesse" → 1. */
  trimester?: 1 | 2 | 3;
  /** Pairs of single words the label offers as alternatives ("intraatriale ou intraventriculaire"). */
  alternatives: readonly [string, string][];
  /** Set when a sibling label differs only by "X ou Y" / "X et Y" ("de l'abdomen ou du petit bassin"). */
  conjunction?: Conjunction;
}

/** One alternative of an "avec"/"dans" clause: its head (first content term), content terms and adjacent pairs. */
export interface WithClause {
  head: string;
  content: string[];
  pairs: string[];
}

export interface Conjunction {
  /** "et": both; "ou": one of them. */
  both: boolean;
  left: string[];
  right: string[];
}

const LETTER4: Record<string, ActProfile["approach"]> = {
  A: "open",
  B: "percutaneous",
  C: "laparoscopy",
  D: "orifice",
  E: "endoscopy",
  F: "endovascular",
  G: "endoscopy",
  H: "percutaneous",
  J: "percutaneous",
  K: "imaging",
  L: "imaging",
  M: "imaging",
  N: "imaging",
  P: "other",
  X: "other",
};

/** A word in at most ~50 of the 8,000 labels (ln(8,258 / 51) ≈ 5.1) names something particular. */
const RARE_IDF = 5;

/** Words that name no particular thing in "avec/sans pose d'endoprothèse": the device is what tells. */
const GENERIC_ACTS = new Set(["pose", "mise", "place", "utilisation", "realisation"].map(stem));

const PATHOLOGY_CUES = [
  "anatomopatholog",
  "anapath",
  "histolog",
  "histopatholog",
  "cytolog",
  "cytopatholog",
  "extemporan",
  "examen",
];

const HEAD_SKIP = new Set(["seance", "en", "un", "une", "1"]);

function labelHeads(folded: string): string[] {
  const words = folded
    .replace(/[[\]'(),/-]/g, " ")
    .split(/\s+/)
    .filter(Boolean);
  const heads: string[] = [];
  let conjunction = false;
  for (const w of words) {
    if (w === "et" || w === "ou") {
      conjunction = true;
      continue;
    }
    if (conjunction && ["de", "d", "du", "des", "la", "le", "les", "l"].includes(w)) continue;
    conjunction = false;
    if (
      [
        "de",
        "d",
        "du",
        "des",
        "par",
        "avec",
        "sans",
        "sur",
        "dans",
        "pour",
        "a",
        "au",
        "aux",
        "la",
        "le",
        "les",
        "l",
      ].includes(w)
    ) {
      if (heads.length > 0) break;
      continue;
    }
    if (!HEAD_SKIP.has(w)) heads.push(stem(w));
  }
  return heads;
}

const CLAUSE_MARKERS = /\b(avec ou sans|avec|sans|en dehors d(?:e|u|es)?|hors|dans)\b/g;

/**
 * The "avec …" / "sans …" clauses of a label, each as the stems that set it apart from the label's main part:
 * "Échographie-doppler des artères cervicocéphaliques, avec échographie-doppler des artères des membres
 * inférieurs" → with [[membr, inferieur]].
 */
function clauses(folded: string): {
  with: string[][];
  without: string[][];
  withClauses: WithClause[][];
} {
  const text = folded.replace(/'/g, " ");
  const markers = [...text.matchAll(CLAUSE_MARKERS)];
  const out = {
    with: [] as string[][],
    without: [] as string[][],
    withClauses: [] as WithClause[][],
  };
  if (markers.length === 0) return out;
  const main = new Set(indexTerms(text.slice(0, markers[0]?.index ?? 0)));
  markers.forEach((m, k) => {
    const kind = m[1] ?? "";
    if (kind === "avec ou sans") return;
    const start = (m.index ?? 0) + m[0].length;
    const next = markers[k + 1]?.index ?? text.length;
    const comma = text.indexOf(",", start);
    const clause = text.slice(start, comma >= 0 && comma < next ? comma : next);
    const stems = indexTerms(clause);
    const distinct = stems.filter((t) => !main.has(t));
    const phrase = (distinct.length > 0 ? distinct : stems).slice(0, 4);
    if (phrase.length === 0) return;
    if (kind === "avec" || kind === "dans") {
      out.with.push(phrase);
      // Bracketed words name the whole act ("[Lithotritie intrarénale]"), not the clause.
      const part = (clause.split(/ par (?:voie|abord)\b/)[0] ?? "").replace(/\[[^\]]*\]?/g, " ");
      out.withClauses.push(
        part.split(/ ou /).flatMap((alternative) => {
          const whole = indexTerms(alternative);
          const named = whole.filter((w) => !GENERIC_ACTS.has(w));
          // What sets the clause apart: its words the label's main part does not already say.
          const distinct = named.filter((w) => !main.has(w));
          const content = distinct.length > 0 ? distinct : named;
          return content[0] ? [{ head: content[0], content, pairs: pairsOf(whole) }] : [];
        }),
      );
    } else out.without.push(phrase);
  });
  return out;
}

// A profile is kept for every act a suggestion weighs (in a long run, all of them): most of its lists are empty,
// and each empty array or set would cost 16–80 bytes of its own (≈ 3 MiB over the 8,257 acts of V81).
const NONE: readonly never[] = Object.freeze([]);
const NO_MEMBERS: ReadonlySet<never> = new Set<never>();
function orNone<T>(list: readonly T[]): readonly T[];
function orNone<T>(set: ReadonlySet<T>): ReadonlySet<T>;
function orNone<T>(items: readonly T[] | ReadonlySet<T>): readonly T[] | ReadonlySet<T> {
  if (items instanceof Set) return items.size === 0 ? NO_MEMBERS : items;
  return (items as readonly T[]).length === 0 ? NONE : items;
}

export function profileAct(act: Act, aliases: readonly string[] = [], conjunction?: Conjunction): ActProfile {
  const folded = foldText(act.label);
  const notes = otherNamesOf(act, aliases);
  const labelTerms = [...new Set(indexTerms(act.label))];
  const terms = new Set([...labelTerms, ...indexTerms(act.shortLabel ?? ""), ...indexTerms(notes)]);
  const injection = /sans injection/.test(folded)
    ? false
    : /avec injection|apres injection/.test(folded)
      ? true
      : undefined;
  const laterality =
    /\bbilateral/.test(folded) && !/unilateral/.test(folded)
      ? "bilateral"
      : /\bunilateral/.test(folded) && !/bilateral/.test(folded)
        ? "unilateral"
        : undefined;
  const extent =
    /\b(totale?|complete?)\b/.test(folded) && !/partielle?|subtotale?/.test(folded)
      ? "total"
      : /partielle?|subtotale?/.test(folded) && !/\btotale?\b/.test(folded)
        ? "partial"
        : undefined;
  const guidance = new Set<string>();
  if (/guidage echographique/.test(folded)) guidance.add("echo");
  if (/guidage radiologique/.test(folded)) guidance.add("radio");
  if (/guidage scanographique/.test(folded)) guidance.add("scanner");
  if (/guidage endoscopique/.test(folded)) guidance.add("endoscopic");
  const line = act.lines.find((l) => l.activity === 1 && l.phase === 0);
  const { with: withStems, without, withClauses } = clauses(folded);
  return {
    code: act.code,
    terms,
    sortedTerms: [...terms].sort(),
    headMask: [...terms].reduce((mask, t) => mask | headBit(t), 0),
    labelTerms,
    labelWords: labelTerms.filter((t) => !/^[0-9]+$/.test(t)),
    approach: LETTER4[act.code[3] ?? ""] ?? "other",
    injection,
    laterality,
    extent,
    with: orNone(withStems),
    without: orNone(without),
    withClauses: orNone(withClauses),
    withoutContent: orNone(without.map((ph) => ph.filter((w) => !GENERIC_ACTS.has(w)))),
    heads: labelHeads(folded),
    child: /enfant|nourrisson|nouveau-ne|nouveau ne|premature|avant l'age/.test(folded),
    adult: /adulte/.test(folded),
    guidance: orNone(guidance),
    complement: act.type === "complement",
    tariff: line?.tariffSecteur1 ?? null,
    ranges: orNone(labelRanges(folded)),
    labelApproaches: orNone(
      detectApproaches(new Set(tokenizeWithOffsets(folded).map((t) => t.text)), folded),
    ),
    action: act.code[2] ?? "",
    nonTerms: orNone(
      [...folded.replace(/'/g, " ").matchAll(/\bnon ([a-z]{3,})/g)].map((m) => stem(m[1] as string)),
    ),
    alternatives: orNone(
      [...folded.replace(/\[[^\]]*\]/g, " ").matchAll(/\b([a-z]{5,}) ou ([a-z]{5,})\b/g)].map(
        (m): [string, string] => [stem(m[1] as string), stem(m[2] as string)],
      ),
    ),
    ...trimesterOf(folded),
    ...(conjunction ? { conjunction } : {}),
  };
}

/**
 * Sibling labels that differ only by their first "ou" written "et" (the scanner of "l'abdomen ou du petit bassin"
 * and of "l'abdomen et du petit bassin"; "audiométrie tonale ou vocale"): code → its conjuncts, the word before
 * and the words after that are not already before.
 */
export function mineConjunctions(acts: Iterable<Act>): Map<string, Conjunction> {
  const byLabel = new Map<string, string>();
  for (const act of acts) {
    const folded = foldText(act.label);
    if (!byLabel.has(folded)) byLabel.set(folded, act.code);
  }
  const out = new Map<string, Conjunction>();
  for (const [label, code] of byLabel) {
    const at = label.indexOf(" ou ");
    if (at < 0) continue;
    const sibling = byLabel.get(`${label.slice(0, at)} et ${label.slice(at + 4)}`);
    if (!sibling) continue;
    const before = indexTerms(label.slice(0, at));
    const left = before.slice(-1);
    const right = indexTerms(label.slice(at + 4).split(/[,[]/)[0] ?? "")
      .slice(0, 2)
      .filter((w) => !before.includes(w));
    if (left.length === 0 || right.length === 0) continue;
    out.set(code, { both: false, left, right });
    out.set(sibling, { both: true, left, right });
  }
  return out;
}

function pairsOf(stems: readonly string[]): string[] {
  const out = new Set<string>();
  for (let i = 0; i + 1 < stems.length; i++)
    if (stems[i] !== stems[i + 1]) out.add(`${stems[i]} ${stems[i + 1]}`);
  return [...out];
}

function trimesterOf(folded: string): { trimester?: 1 | 2 | 3 } {
  const m = /\b(1er|2e|2eme|3e|3eme) trimestre/.exec(folded);
  if (!m) return {};
  return { trimester: m[1] === "1er" ? 1 : (m[1] as string).startsWith("2") ? 2 : 3 };
}

export interface FeatureScore {
  total: number;
  parts: Record<string, number>;
  matchedTerms: Set<string>;
}

/**
 * What the feature score needs of a query, computed once per query rather than once per candidate: each term
 * once at its highest weight times its IDF, the terms long enough to match by prefix, and the word tests the
 * candidates' labels ask over and over (each word's answer kept for the query's other candidates).
 */
export interface QueryView {
  query: NormalisedQuery;
  /** term → weight × idf (a term written twice, an expansion and the word itself, counts once, at its highest weight). */
  weighted: [string, number][];
  /** The `headBit` of each weighted term. */
  weightedBits: number[];
  total: number;
  seen: Set<string>;
  /** Adjacent terms as written or expanded ("sond intraatri"), in the text's order. */
  pairs: Set<string>;
  /** The act's words that head labels of acts other than examinations (action letter not Q): "exérèse". */
  therapy: string[];
  idf: (term: string) => number;
  /** Said by the act's words (not only the indication's), as written or by a prefix of 5+ letters. */
  says: (w: string) => boolean;
  /**
   * Mentioned by the same stem or a derivation sharing its root ("verrouillé" for "verrouillage", "cimenté" for
   * "cimentée").
   */
  mentions: (w: string) => boolean;
  /** Seen as written or by a prefix of 5+ letters. */
  names: (w: string) => boolean;
  /** A pathology examination is asked for ("anatomopathologique", "extemporané", …). */
  pathology: boolean;
  /** A supplement or flat rate is asked for. */
  supplement: boolean;
}

/** `test` with each word's answer kept: the same label words come back with every candidate of a query. */
function memoised(test: (w: string) => boolean): (w: string) => boolean {
  const answers = new Map<string, boolean>();
  return (w) => {
    let answer = answers.get(w);
    if (answer === undefined) {
      answer = test(w);
      answers.set(w, answer);
    }
    return answer;
  };
}

const SUPPLEMENT = stem("supplement");

export function viewQuery(
  q: NormalisedQuery,
  idf: (term: string) => number = () => 1,
  heads: ReadonlyMap<string, string> = new Map(),
): QueryView {
  const best = new Map<string, number>();
  for (const t of q.terms) best.set(t.term, Math.max(best.get(t.term) ?? 0, t.weight));
  // Rare words weigh most: "trabéculectomie" says more than "gauche" or "angle".
  const weighted = [...best].map(([term, weight]): [string, number] => [term, weight * idf(term)]);
  let total = 0;
  for (const [, w] of weighted) total += w;
  const seen = new Set(best.keys());
  // Seen terms of 5+ letters (prefix matches), and the terms that name the act somewhere (not only its indication).
  const long = [...seen].filter((s) => s.length >= 5);
  const acted = new Set(q.terms.filter((t) => !t.indication).map((t) => t.term));
  const actedLong = long.filter((s) => acted.has(s));
  // Terms in the text's order (a key's expansion words keep theirs); faint context terms have no span.
  const ordered = q.terms.filter((t) => t.end > t.start).sort((a, b) => a.start - b.start);
  return {
    query: q,
    weighted,
    weightedBits: weighted.map(([term]) => headBit(term)),
    total,
    seen,
    pairs: new Set(pairsOf(ordered.map((t) => t.term))),
    therapy: [
      ...new Set(
        q.terms
          .filter((t) => !t.indication && heads.has(t.term) && heads.get(t.term) !== "Q")
          .map((t) => t.term),
      ),
    ],
    idf,
    says: memoised((w) => acted.has(w) || (w.length >= 5 && actedLong.some((s) => w.startsWith(s)))),
    mentions: memoised(
      (w) =>
        seen.has(w) ||
        (w.length >= 5 && long.some((s) => (w.startsWith(s) || s.startsWith(w)) && !/^[0-9]/.test(s))),
    ),
    names: memoised((w) => seen.has(w) || (w.length >= 5 && long.some((s) => w.startsWith(s)))),
    pathology: PATHOLOGY_CUES.some((c) => [...seen].some((s) => s.startsWith(c))),
    supplement: seen.has(SUPPLEMENT) || seen.has("forfait"),
  };
}

const NO_TERMS: ReadonlySet<string> = new Set();

/** Feature agreement between the query and an act: positive when they agree, negative when they contradict. */
export function featureScore(
  view: QueryView,
  p: ActProfile,
  weights: FeatureWeights,
  actions: ReadonlySet<string>,
  topographies: ReadonlySet<string> = NO_TERMS,
): FeatureScore {
  const { query: q, seen, says, mentions } = view;
  const parts: Record<string, number> = {};
  const f = q.features;
  // Lexical coverage, both ways.
  const matchedTerms = new Set<string>();
  const qWeight = view.total;
  let qMatched = 0;
  for (let i = 0; i < view.weighted.length; i++) {
    const [term, w] = view.weighted[i] as [string, number];
    if ((p.headMask & (view.weightedBits[i] as number)) === 0) continue;
    // From 5 letters the term itself or a longer term of the act: the binary search finds either.
    if (term.length >= 5 ? hasPrefixOf(p.sortedTerms, term) : p.terms.has(term)) {
      qMatched += w;
      matchedTerms.add(term);
    }
  }
  parts.queryCoverage = qWeight > 0 ? (weights.queryCoverage * qMatched) / qWeight : 0;
  // Figures are compared as quantities, not as words ("8 ans" says nothing for "Avulsion de 8 dents").
  const labelWords = p.labelWords;
  // Only the act's words cover the label ("échec du misoprostol" covers no "moyen médicamenteux"), and a clause
  // the label excludes ("en dehors d'un bloc médicotechnique") is covered by the text excluding it ("en chambre").
  const agreed =
    q.negated.size === 0
      ? NO_TERMS
      : new Set([
          ...p.without.filter((ph) => ph.some((w) => q.negated.has(w))).flat(),
          ...p.nonTerms.filter((w) => q.negated.has(w)),
        ]);
  let labelMatched = 0;
  for (const t of labelWords) if (says(t) || agreed.has(t)) labelMatched++;
  parts.labelCoverage =
    labelWords.length > 0 ? (weights.labelCoverage * labelMatched) / labelWords.length : 0;

  if (f.approaches.size > 0) {
    // The code's 4th letter, or an approach the label names ("par cœlioscopie ou par laparotomie" is coded A).
    if (f.approaches.has(p.approach as Approach) || someIn(p.labelApproaches, f.approaches))
      parts.approach = weights.approach;
    // Letter C is an endoscopic approach too (through the wall): "endoscopique" does not contradict it.
    else if (f.approaches.has("endoscopy") && p.approach === "laparoscopy") parts.approach = 0;
    else if (
      p.approach === "open" ||
      p.approach === "laparoscopy" ||
      p.approach === "endoscopy" ||
      p.approach === "endovascular" ||
      // A transcutaneous code when the text names an endoscopy (and no transcutaneous access).
      (p.approach === "percutaneous" && f.approaches.has("endoscopy") && !f.approaches.has("percutaneous"))
    )
      parts.approach = -weights.approach;
  }
  if (f.injection !== undefined && p.injection !== undefined)
    parts.injection = f.injection === p.injection ? weights.injection : -weights.injection;
  if (f.laterality === "bilateral" && p.laterality)
    parts.laterality = p.laterality === "bilateral" ? weights.laterality : -weights.laterality;
  else if (f.laterality === "unilateral" && p.laterality)
    parts.laterality = p.laterality === "unilateral" ? weights.laterality / 2 : -weights.laterality;
  if (f.extent && p.extent) parts.extent = f.extent === p.extent ? weights.extent : -weights.extent;
  // An unqualified "-ectomie" is total: a partial variant needs the text to say so.
  else if (!f.extent && p.extent === "partial") parts.extent = -weights.extent / 2;
  // Pathology examinations of a specimen (letters 3-4 QX) are the pathologist's acts: only on an explicit cue.
  if (p.code[2] === "Q" && p.code[3] === "X" && !view.pathology) parts.pathology = -weights.supplement;
  // Supplements and flat rates (YYYY) only on an explicit cue.
  if (p.code.startsWith("YYYY") && !view.supplement) parts.supplement = -weights.supplement;
  if (p.child) parts.age = f.child ? weights.age : -weights.age;
  else if (p.adult && f.child) parts.age = -weights.age;
  for (const g of p.guidance)
    parts.guidance = (parts.guidance ?? 0) + (f.guidance.has(g as never) ? weights.guidance : 0);
  // Negations: "sans X" in the text against "avec X" / "sans X" in the label, and the reverse.
  let neg = 0;
  for (const n of q.negated) {
    // "non ciblée" in the text agrees with "Biopsie non ciblée".
    // "avec X" in the label contradicts "sans X" even when another clause says "sans X …" (BFGA427: "avec
    // implantation de cristallin …, sans implantation de dispositif de drainage").
    if (p.with.some((ph) => ph.includes(n))) neg -= weights.negation;
    else if (p.without.some((ph) => ph.includes(n)) || p.nonTerms.includes(n)) neg += weights.negation;
    else if (p.labelTerms.includes(n)) neg -= weights.negation;
  }
  // "non X" in the label when the text says X.
  for (const n of p.nonTerms) if (seen.has(n) && !q.negated.has(n)) neg -= weights.negation;
  // "sans X Y" in the label when the text says most of X Y (and negates none of it).
  for (let k = 0; k < p.without.length; k++) {
    const content = p.withoutContent[k] as string[];
    let mentioned = 0;
    for (const w of content) if (mentions(w)) mentioned++;
    if (!someIn(p.without[k] as string[], q.negated) && mentioned * 2 >= content.length + 1)
      neg -= weights.negation;
  }
  if (neg) parts.negation = neg;
  // The plain variant is the default: an "avec X" the text does not mention costs, a "sans X" it does not mention helps.
  let plain = 0;
  for (const alternatives of p.withClauses) if (!clauseSaid(view, alternatives)) plain -= weights.plain;
  for (const ph of p.without)
    if (!ph.some((w) => mentions(w) || q.negated.has(w))) plain += weights.plain / 2;
  if (plain) parts.plain = plain;
  if (p.heads.some(view.names)) parts.head = weights.head;
  const quantity = quantityAgreement(p.ranges, f.quantities);
  if (quantity) parts.quantity = weights.quantity * quantity;
  if (actions.size > 0) {
    if (actions.has(p.action)) parts.action = weights.action;
  } else if (p.action === "Q") parts.action = weights.action / 2;
  // An examination (letter Q) when the text also does something its label does not name ("coloscopie totale …
  // exérèse de 2 polypes"): the therapeutic act's code includes the examination.
  if (p.action === "Q" && view.therapy.length > 0 && !view.therapy.some((t) => p.terms.has(t)))
    parts.action = -weights.action;
  if (topographies.has(p.code.slice(0, 2))) parts.topography = weights.topography;
  if (f.trimester && p.trimester)
    parts.trimester = f.trimester === p.trimester ? weights.quantity : -2 * weights.quantity;
  // "TDM abdomino-pelvienne" names both conjuncts: the "et" sibling; "scanner abdominal" one: the "ou" sibling.
  if (p.conjunction) {
    const { both, left, right } = p.conjunction;
    const l = left.some(mentions);
    const r = right.some(mentions);
    if ((l || r) && (l && r) !== both) parts.conjunction = -weights.extent;
  }
  // "une sonde dans l'oreillette et une dans le ventricule" is not "une sonde intraatriale ou intraventriculaire":
  // a label offering one of two things the text both names.
  else if (p.alternatives.some(([a, b]) => says(a) && says(b))) parts.conjunction = -weights.extent;
  if (p.complement) parts.complement = -weights.complement;
  if (p.tariff === null) parts.unpaid = -weights.unpaid;
  // Summed in the parts' order, as the scores always were.
  let total = 0;
  for (const k in parts) total += parts[k] as number;
  return { total, parts, matchedTerms };
}

/**
 * A clause (one of its alternatives: "avec ondes de choc ou laser") is said when two of its words stand
 * together in the text ("angle colique" of ACG), when the text names one of its rare words ("pléthysmo" says
 * "avec mesure des volumes … par pléthysmographie"), or its only word; common words scattered over the text
 * do not say it ("veine céphalique gauche" is no "sonde dans une veine cardiaque gauche"). Only the act's
 * words count, not the indication's ("pour rupture de la coiffe" says no "avec réinsertion … de la coiffe").
 */
function clauseSaid(view: QueryView, alternatives: ActProfile["withClauses"][number]): boolean {
  if (alternatives.length === 0) return true;
  for (const a of alternatives) {
    for (const pair of a.pairs) if (view.pairs.has(pair)) return true;
    for (const w of a.content) if (view.says(w) && view.idf(w) >= RARE_IDF) return true;
    if (view.says(a.head) && a.content.length <= 1) return true;
  }
  return false;
}

function someIn<T>(values: Iterable<T>, set: ReadonlySet<T>): boolean {
  for (const v of values) if (set.has(v)) return true;
  return false;
}

/**
 * One of 32 bits for a term's first three letters (every bit for a shorter term): a term and the terms it
 * starts share it, so an act lacking the bit of a query term has neither.
 */
function headBit(term: string): number {
  if (term.length < 3) return -1;
  return 1 << ((term.charCodeAt(0) * 961 + term.charCodeAt(1) * 31 + term.charCodeAt(2)) & 31);
}

/** Whether a term of the sorted list starts with `prefix`: they all sort right after it. */
function hasPrefixOf(sorted: readonly string[], prefix: string): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as string) < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && (sorted[lo] as string).startsWith(prefix);
}

export interface FeatureWeights {
  retrieval: number;
  queryCoverage: number;
  labelCoverage: number;
  approach: number;
  injection: number;
  laterality: number;
  extent: number;
  age: number;
  guidance: number;
  negation: number;
  complement: number;
  unpaid: number;
  learned: number;
  quantity: number;
  action: number;
  plain: number;
  head: number;
  topography: number;
  supplement: number;
  specialty: number;
}

export const DEFAULT_WEIGHTS: FeatureWeights = {
  retrieval: 1,
  queryCoverage: 0.6,
  labelCoverage: 0.6,
  approach: 0.3,
  injection: 0.4,
  laterality: 0.25,
  extent: 0.15,
  age: 0.2,
  guidance: 0.15,
  negation: 0.25,
  complement: 0.2,
  unpaid: 0.1,
  learned: 2,
  quantity: 0.2,
  action: 0.2,
  plain: 0.1,
  head: 0.2,
  topography: 0.2,
  supplement: 0.5,
  specialty: 0.2,
};

/**
 * Letter 3 (action) of the acts whose label starts with each word: "exérèse" → F, "pose" → L, "biopsie" → H.
 * Kept when one letter covers at least 80 % of at least 3 labels.
 */
export function mineActionHeads(acts: Iterable<Act>): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const act of acts) {
    const head = indexTerms(act.label)[0];
    const letter = act.code[2];
    if (!head || !letter || act.code.startsWith("YYYY")) continue;
    const byLetter = counts.get(head) ?? new Map<string, number>();
    byLetter.set(letter, (byLetter.get(letter) ?? 0) + 1);
    counts.set(head, byLetter);
  }
  const out = new Map<string, string>();
  for (const [head, byLetter] of counts) {
    const total = [...byLetter.values()].reduce((a, b) => a + b, 0);
    const [letter, n] = [...byLetter].sort((a, b) => b[1] - a[1])[0] as [string, number];
    if (total >= 3 && n / total >= 0.8) out.set(head, letter);
  }
  return out;
}

/**
 * Topography (letters 1–2) of the acts whose label contains each word: "côlon" → HH, "prostate" → JG.
 * Kept when one topography covers at least 80 % of at least 5 labels.
 */
export function mineTopographies(acts: Iterable<Act>): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const act of acts) {
    if (act.code.startsWith("YYYY")) continue;
    const topo = act.code.slice(0, 2);
    for (const term of new Set(indexTerms(act.label))) {
      const byTopo = counts.get(term) ?? new Map<string, number>();
      byTopo.set(topo, (byTopo.get(topo) ?? 0) + 1);
      counts.set(term, byTopo);
    }
  }
  const out = new Map<string, string>();
  for (const [term, byTopo] of counts) {
    const total = [...byTopo.values()].reduce((a, b) => a + b, 0);
    const [topo, n] = [...byTopo].sort((a, b) => b[1] - a[1])[0] as [string, number];
    if (total >= 5 && n / total >= 0.8) out.set(term, topo);
  }
  return out;
}

/** Topographies named by the text's words. */
export function queryTopographies(
  q: NormalisedQuery,
  topographies: ReadonlyMap<string, string>,
): Set<string> {
  const out = new Set<string>();
  for (const t of q.terms) {
    if (t.weight < 0.5) continue;
    const topo = topographies.get(t.term);
    if (topo) out.add(topo);
  }
  return out;
}

/** Actions named by the text's words (letters of `mineActionHeads`). */
export function queryActions(q: NormalisedQuery, heads: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const t of q.terms) {
    const letter = heads.get(t.term);
    if (letter) out.add(letter);
  }
  return out;
}
