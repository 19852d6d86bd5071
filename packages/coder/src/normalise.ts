import { foldText } from "@ccam/ccam";
import { type Quantity, textQuantities } from "./quantities.js";
import { editDistance, STOP_WORDS, stem, type Token, tokenizeWithOffsets } from "./text.js";

/** One search term of the normalised query, tied to the span of the original text it came from. */
export interface QueryTerm {
  /** Stemmed folded term. */
  term: string;
  /** Folded word before stemming. */
  word: string;
  start: number;
  end: number;
  /** 1 for words of the text, lower for expansions of abbreviations. */
  weight: number;
  /** True when the term was produced by an abbreviation or synonym. */
  expanded: boolean;
  /** True when the term names the indication ("pour rupture de la coiffe") or cues it, not the act. */
  indication?: boolean;
}

export type Approach = "open" | "laparoscopy" | "endoscopy" | "percutaneous" | "endovascular" | "none";

export interface QueryFeatures {
  approaches: Set<Approach>;
  /** true: with injection; false: explicitly without; undefined: not said. */
  injection: boolean | undefined;
  laterality: "bilateral" | "unilateral" | undefined;
  extent: "total" | "partial" | undefined;
  guidance: Set<"echo" | "radio" | "scanner" | "mri" | "endoscopic">;
  /** Numbers written in the text (counts, sizes). */
  numbers: number[];
  quantities: Quantity[];
  child: boolean;
  adult: boolean;
  /** Trimester of pregnancy from weeks of amenorrhoea ("9 SA" → 1). */
  trimester?: 1 | 2 | 3;
}

export interface NormalisedQuery {
  original: string;
  terms: QueryTerm[];
  /** Stemmed terms said to be absent ("sans injection", "pas de biopsie"). */
  negated: Set<string>;
  features: QueryFeatures;
  /** Folded, space-joined stems: the learning key. */
  key: string;
}

export interface Lexicon {
  /** Folded key (one or more words, space-joined) → folded expansion words. */
  terms: Map<string, string[]>;
  /** Longest key in words. */
  maxWords: number;
  /** First words of the multi-word keys, as written and as stems: a word that opens none starts no longer key. */
  openers: Set<string>;
  /** Single-word keys by stem, so "cutanées" finds the entry of "cutané". */
  stems: Map<string, string[]>;
  /** Stems the labels use; when set, a prefix is glued to the next word only if the result is one of them. */
  vocabulary?: ReadonlySet<string>;
  /** Organ stem → removal word ("ovair" → ovariectomie), applied when the text says something was removed. */
  ectomies?: ReadonlyMap<string, string>;
  /** Folded words of the labels; with it, misspelt words are corrected before the lexicon is applied. */
  words?: ReadonlySet<string>;
  /** Built lazily from `words` and the single-word keys: doubled letters collapsed → the known word. */
  collapsed?: Map<string, string>;
  /** Single-word keys of 4+ letters by first letter (typos of abbreviations and lay words). */
  keysByInitial?: Map<string, string[]>;
  /** Corrections already searched for among `words` (the search walks every label word). */
  corrected?: { words: ReadonlySet<string>; answers: Map<string, string | undefined> };
}

const collapseDoubles = (w: string): string => w.replace(/(.)\1+/g, "$1");

/**
 * A word neither the lexicon nor the labels know, corrected to one they do: doubled or dropped doubled letters
 * ("tottale", "primippare", "cannal", "avullsion") whatever the distance, or one edit (an adjacent swap counts
 * one) to a lexicon key of 4+ letters with the same first letter ("fodg" → fogd, "stéilet" → stérilet).
 */
export function correctWord(word: string, lexicon: Lexicon): string | undefined {
  const words = lexicon.words;
  if (!words || word.length < 4 || /[0-9]/.test(word) || STOP_WORDS.has(word) || NEGATORS.has(word))
    return undefined;
  if (words.has(word) || lexicon.terms.has(word) || lexicon.stems.has(stem(word))) return undefined;
  if (lexicon.vocabulary?.has(stem(word))) return undefined;
  if (lexicon.corrected?.words !== words) lexicon.corrected = { words, answers: new Map() };
  const { answers } = lexicon.corrected;
  if (answers.has(word)) return answers.get(word);
  const fixed = searchCorrection(word, words, lexicon);
  // Bounded: free text brings new words without end.
  if (answers.size >= MAX_CORRECTED) answers.clear();
  answers.set(word, fixed);
  return fixed;
}

const MAX_CORRECTED = 10_000;

function searchCorrection(word: string, words: ReadonlySet<string>, lexicon: Lexicon): string | undefined {
  if (!lexicon.collapsed) {
    const collapsed = new Map<string, string>();
    const keys = [...lexicon.terms.keys()].filter(
      (k) => !k.includes(" ") && k.length >= 4 && !/[0-9]/.test(k),
    );
    for (const k of keys) if (!collapsed.has(collapseDoubles(k))) collapsed.set(collapseDoubles(k), k);
    for (const w of words)
      if (w.length >= 4 && !collapsed.has(collapseDoubles(w))) collapsed.set(collapseDoubles(w), w);
    const byInitial = new Map<string, string[]>();
    for (const k of keys) {
      const list = byInitial.get(k[0] as string) ?? [];
      list.push(k);
      byInitial.set(k[0] as string, list);
    }
    lexicon.collapsed = collapsed;
    lexicon.keysByInitial = byInitial;
  }
  const same = lexicon.collapsed.get(collapseDoubles(word));
  if (same && same !== word) return same;
  let best: string | undefined;
  let ties = 0;
  // A label word one edit away too ("colpscopie": colposcopie as well as the key coloscopie) leaves the choice
  // to the retrieval's typo matching, which weighs every close label word.
  if (word.length >= 8)
    for (const w of words)
      if (w[0] === word[0] && Math.abs(w.length - word.length) <= 1 && editDistance(word, w, 1) <= 1) ties++;
  for (const k of lexicon.keysByInitial?.get(word[0] as string) ?? []) {
    if (Math.abs(k.length - word.length) > 1) continue;
    // Short words are often real words one letter from an acronym ("voir" / VVIR, "dormi" / Dormia): below six
    // letters only two swapped letters are a typo ("fodg" → FOGD).
    const short = word.length < 6 || k.length < 6;
    if (short ? isAdjacentSwap(word, k) : editDistance(word, k, 1) <= 1) {
      best ??= k;
      ties++;
    }
  }
  return ties === 1 ? best : undefined;
}

function isAdjacentSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return (
    diff.length === 2 &&
    diff[1] === (diff[0] as number) + 1 &&
    a[diff[0] as number] === b[diff[1] as number] &&
    a[diff[1] as number] === b[diff[0] as number]
  );
}

/** Stemmed content words of a phrase, space-joined (the key multi-word entries are also found by). */
function phraseKey(words: string[]): string {
  return words
    .filter((w) => !STOP_WORDS.has(w))
    .map(stem)
    .join(" ");
}

export function buildLexicon(entries: Iterable<[string, string]>): Lexicon {
  const terms = new Map<string, string[]>();
  let maxWords = 1;
  for (const [key, expansion] of entries) {
    const words = tokenizeWithOffsets(key).map((t) => t.text);
    if (words.length === 0) continue;
    const k = words.join(" ");
    if (terms.has(k)) continue;
    terms.set(
      k,
      tokenizeWithOffsets(expansion).map((t) => t.text),
    );
    maxWords = Math.max(maxWords, words.length);
  }
  const stems = new Map<string, string[]>();
  const openers = new Set<string>();
  for (const [k, v] of terms) {
    if (!k.includes(" ")) {
      if (k.length >= 4 && !stems.has(stem(k))) stems.set(stem(k), v);
    } else {
      openers.add(k.split(" ")[0] as string);
      // Multi-word keys also match by stems, articles aside: "dents de sagesse" finds "dent de sagesse". A key
      // left with one word ("par le vagin", "me suis coupé") only matches as written, or it would fire on
      // every "vagin" or "coupe".
      const sk = phraseKey(k.split(" "));
      if (sk.includes(" ")) {
        openers.add(sk.split(" ")[0] as string);
        if (!stems.has(sk)) stems.set(sk, v);
      }
    }
  }
  return { terms, maxWords: maxWords + 1, openers, stems };
}

const LESIONS = new Set(
  [
    "kyste",
    "tumeur",
    "nodule",
    "lipome",
    "polype",
    "adenome",
    "adenofibrome",
    "fibroadenome",
    "lesion",
    "myome",
  ].map(stem),
);
const REMOVAL = new Set(
  ["exerese", "ablation", "resection", "retir", "enlev", "enlever", "excision"].map(stem),
);
const CLOSURE = new Set(["suture", "sutures", "plaie", "plaies", "surjet"].map(stem));
const SPINE: Record<string, string[]> = {
  c: ["cervicale", "vertebre"],
  d: ["thoracique", "vertebre"],
  t: ["thoracique", "vertebre"],
  l: ["lombale", "lombaire", "vertebre"],
  s: ["sacrale", "vertebre"],
};
const ANAESTHESIA = new Set([
  "anesthesie",
  "ag",
  "al",
  "alr",
  "rachianesthesie",
  "sedation",
  "rachi",
  "neuroleptanalgesie",
]);
const GLUED_PREFIXES = new Set([
  "sous",
  "sus",
  "intra",
  "extra",
  "trans",
  "peri",
  "retro",
  "inter",
  "supra",
  "infra",
  "endo",
  "para",
]);
const NEGATION_STOP = new Set([
  "et",
  "ou",
  "avec",
  "pour",
  "par",
  "chez",
  "mais",
  "puis",
  "sous",
  "en",
  "a",
  "au",
  "sur",
]);
// "à cause de mes calculs", "ATCD de fausses couches", "avant chirurgie de la cataracte" name no act either, nor
// does "en complément de la mammographie", "de surveillance d'une résection", "contrôle de position de la sonde"
// or "échec du misoprostol", nor "après l'ostéosynthèse".
const INDICATION_CUES = new Set([
  "pour",
  "pr",
  "complement",
  "surveillance",
  "controle",
  "echec",
  "apres",
  "suspicion",
  "indication",
  "motif",
  "avant",
  "antecedent",
  "antecedents",
  "atcd",
  "cause",
  "suite",
]);
// A subject opens the next clause: "pour mon obésité on m'a fait un bypass".
const INDICATION_STOP = new Set([
  "par",
  "avec",
  "sous",
  "et",
  "puis",
  "sans",
  "on",
  "il",
  "ils",
  "elle",
  "elles",
  "je",
  "j",
  "nous",
  "vous",
]);
const INDICATION_WEIGHT = 0.6;
const NUMBER_WEIGHT = 0.3;
const UNIT_WORDS = new Set([
  "ans",
  "an",
  "mois",
  "cm",
  "mm",
  "kg",
  "g",
  "ml",
  "l",
  "jours",
  "heures",
  "h",
  "min",
]);
const UPPER_ORGANS = "foie|hepatique|vb|vesicule|vbp|voies biliaires|pancreas|rate|reins?|aorte";
const UPPER_ABDOMEN = new RegExp(`\\b(${UPPER_ORGANS})\\b`, "g");
const UPPER_ABDOMEN_WORD = new RegExp(`^(?:${UPPER_ORGANS})$`);
const PELVIC_ORGANS = /\b(vessie|uterus|ovaires?|prostate|pelvis|pelvien(ne)?|petit bassin|endometre)\b/;

const DURATION_UNITS = new Set(["ans", "an", "mois", "semaines", "semaine", "jours", "jour"]);
const NUMBER_WORDS = new Set([
  "un",
  "une",
  "deux",
  "trois",
  "quatre",
  "cinq",
  "six",
  "huit",
  "dix",
  "quelques",
]);
/** Participles saying an act was done: "non réalisée" (not done), "déjà posé" (done before). */
const DONE = new Set([
  "realise",
  "realisee",
  "fait",
  "faite",
  "effectue",
  "effectuee",
  "pratique",
  "pratiquee",
  "pose",
  "posee",
  "place",
  "placee",
]);
const AGE_UNITS = new Set(["ans", "an", "a", "mois"]);
const NEGATORS = new Set(["sans", "pas", "aucun", "aucune", "absence", "non", "ni"]);
const NEGATION_SKIP = new Set([
  "de",
  "d",
  "du",
  "des",
  "la",
  "le",
  "les",
  "l",
  "que",
  "signe",
  "signes",
  "trace",
]);
/**
 * "pour" before one of these verbs says what the act did ("pour regarder l'intérieur de la vessie", "pour
 * aspirer la grossesse"), not why: those words are the act's, not an indication's.
 */
const PURPOSE_VERBS = new Set([
  "regarder",
  "voir",
  "examiner",
  "explorer",
  "visualiser",
  "controler",
  "verifier",
  "enlever",
  "retirer",
  "extraire",
  "aspirer",
  "evacuer",
  "drainer",
  "vider",
  "poser",
  "mettre",
  "remettre",
  "placer",
  "implanter",
  "changer",
  "remplacer",
  "reparer",
  "recoudre",
  "suturer",
  "fermer",
  "ouvrir",
  "liberer",
  "decomprimer",
  "reduire",
  "redresser",
  "stabiliser",
  "fixer",
  "bloquer",
  "boucher",
  "dilater",
  "deboucher",
  "detruire",
  "bruler",
  "couper",
  "sectionner",
  "prelever",
  "injecter",
  "infiltrer",
  "traiter",
  "enregistrer",
  "mesurer",
  "surveiller",
  "analyser",
  "doser",
  "arreter",
  "stopper",
  "desobstruer",
  "nettoyer",
]);

/**
 * Normalises a clinical text: folds, splits elisions, expands abbreviations and lay terms (longest match first),
 * stems, marks negated words, and extracts features. Every term keeps the span of the original text.
 */
export function normalise(text: string, lexicon: Lexicon): NormalisedQuery {
  // Misspelt words are corrected first; a part of a hyphenated compound ("céramo-métallique") is left alone.
  const tokens = tokenizeWithOffsets(text).map((t) => {
    if (text[t.start - 1] === "-" || text[t.end] === "-") return t;
    const fixed = correctWord(t.text, lexicon);
    return fixed ? { ...t, text: fixed } : t;
  });
  const terms: QueryTerm[] = [];
  const negated = new Set<string>();
  const negatedIdx = new Set<number>();
  /** Token index of the negator of each negated token. */
  const negatorOf = new Map<number, number>();

  // Negation scope: after a negator, skip articles and take up to 2 content words, stopping at punctuation
  // and at words that open another clause ("sans geste axillaire" negates both; "sans injection, pour" one).
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as Token;
    // "au lieu d'enlever le morceau", "plutôt que de retirer": the act that was not done.
    const instead =
      (tok.text === "lieu" && tokens[i - 1]?.text === "au") ||
      (tok.text === "plutot" && tokens[i + 1]?.text === "que");
    if (!NEGATORS.has(tok.text) && !instead) continue;
    // "ventriculographie non réalisée", "biopsie non faite": the act before is the one not done.
    if (tok.text === "non" && DONE.has(tokens[i + 1]?.text ?? "")) {
      const before = tokens[i - 1];
      if (before && !STOP_WORDS.has(before.text)) {
        negatedIdx.add(i - 1);
        negatorOf.set(i - 1, i);
        negated.add(stem(before.text));
      }
      continue;
    }
    let taken = 0;
    // "non" qualifies one word ("non descendu palpable": the testis is palpable); "sans", "pas de" up to two.
    const scope = tok.text === "non" ? 1 : 2;
    for (let j = i + 1; j < tokens.length && taken < scope; j++) {
      const next = tokens[j] as Token;
      const gap = text.slice((tokens[j - 1] as Token).end, next.start);
      if (/[,;:.()+]/.test(gap)) break;
      if (NEGATION_SKIP.has(next.text)) continue;
      // "pas de geste sur la coiffe": what was not done is on the coiffe.
      if (next.text === "sur" && tokens[j - 1]?.text === "geste") continue;
      if (NEGATORS.has(next.text) || NEGATION_STOP.has(next.text)) break;
      negatedIdx.add(j);
      negatorOf.set(j, i);
      negated.add(stem(next.text));
      taken++;
    }
  }

  const weak = new Set<number>();
  // The indication ("pour glaucome chronique à angle ouvert", "sur suspicion de") names the disease, not the
  // act: its words count less, up to the next punctuation or clause word.
  const indication = new Set<number>();
  /** The cue words themselves ("contrôle", "surveillance"): they name no act done either, at full weight. */
  const cues = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    const cue = tokens[i] as Token;
    if (!INDICATION_CUES.has(cue.text)) continue;
    // "avant-bras" is a limb, not "before".
    if (text[cue.end] === "-") continue;
    if ((cue.text === "pour" || cue.text === "pr") && PURPOSE_VERBS.has(tokens[i + 1]?.text ?? "")) continue;
    // "sous contrôle échographique" is guidance, not a purpose.
    if (cue.text === "controle" && tokens[i - 1]?.text === "sous") continue;
    cues.add(i);
    for (let j = i + 1; j < tokens.length; j++) {
      const gap = text.slice((tokens[j - 1] as Token).end, (tokens[j] as Token).start);
      if (/[,;:.()+]/.test(gap) || INDICATION_STOP.has((tokens[j] as Token).text)) break;
      indication.add(j);
    }
  }
  // History written after what it qualifies: "opérée de la cataracte il y a deux ans", "inlay-core déjà en
  // place", "… posé à la séance précédente": the clause before is no act of today.
  for (let i = 0; i < tokens.length; i++) {
    const [a, b, c, d, e] = tokens.slice(i, i + 5).map((t) => t.text);
    const ago =
      a === "il" &&
      b === "y" &&
      c === "a" &&
      (/^[0-9]+$/.test(d ?? "") || NUMBER_WORDS.has(d ?? "")) &&
      DURATION_UNITS.has(e ?? "");
    const already = a === "deja" && (DONE.has(b ?? "") || (b === "en" && c === "place"));
    // "(inlay-core posé à la séance précédente)"
    const earlier = a === "seance" && (b === "precedente" || b === "anterieure");
    if (!ago && !already && !earlier) continue;
    for (let j = i - 1; j >= 0; j--) {
      const gap = text.slice((tokens[j] as Token).end, (tokens[j + 1] as Token).start);
      if (/[,;:.()]/.test(gap)) break;
      indication.add(j);
    }
  }
  // "(fract. cheville 2024)": a parenthesis dated by a year is history.
  for (const m of text.matchAll(/\(([^()]*\b(?:19|20)[0-9]{2}\b[^()]*)\)/g)) {
    const from = (m.index ?? 0) + 1;
    const to = from + (m[1] as string).length;
    tokens.forEach((t, j) => {
      if (t.start >= from && t.end <= to) indication.add(j);
    });
  }
  let current = 0;
  const push = (word: string, start: number, end: number, weight: number, expanded: boolean) =>
    terms.push({
      term: stem(word),
      word,
      start,
      end,
      weight: (weak.has(current) ? weight * 0.3 : weight) * (indication.has(current) ? INDICATION_WEIGHT : 1),
      expanded,
      ...(indication.has(current) || cues.has(current) ? { indication: true } : {}),
    });
  const dental = dentalContext(text, tokens);
  // Glued prefixes ("sous-cutané" → souscutané): the labels write them as one word.
  const glues = (tok: Token, next: Token | undefined): boolean =>
    next !== undefined &&
    GLUED_PREFIXES.has(tok.text) &&
    !negatedIdx.has(tokens.indexOf(next)) &&
    (!lexicon.vocabulary || lexicon.vocabulary.has(stem(tok.text + next.text)));
  // Any other hyphenated pair the labels write as one word ("écho-endoscopie" → échoendoscopie,
  // "ventriculo-cisternostomie"): the joined word is added, the parts still count.
  if (lexicon.vocabulary)
    for (let i = 0; i + 1 < tokens.length; i++) {
      const a = tokens[i] as Token;
      const b = tokens[i + 1] as Token;
      if (GLUED_PREFIXES.has(a.text) || a.text.length < 3 || b.text.length < 3) continue;
      if (negatedIdx.has(i) || negatedIdx.has(i + 1) || !/^\s*-\s*$/.test(text.slice(a.end, b.start)))
        continue;
      const joined = a.text + b.text;
      if (lexicon.vocabulary.has(stem(joined)))
        terms.push({
          term: stem(joined),
          word: joined,
          start: a.start,
          end: b.end,
          weight: 0.6,
          expanded: true,
        });
    }

  const excised = tokens.some(
    (t) => REMOVAL.has(stem(t.text)) || t.text === "fuseau" || /ectomies?$/.test(t.text),
  );
  // "pte 47 ans", "pt de 80 ans": before an age, a short abbreviation is the patient, not PTE or PT.
  const beforeAge = (i: number): boolean => {
    const k = tokens[i]?.text ?? "";
    let j = i + 1;
    if (tokens[j]?.text === "de") j++;
    return (
      k.length <= 4 && /^[0-9]+$/.test(tokens[j]?.text ?? "") && AGE_UNITS.has(tokens[j + 1]?.text ?? "")
    );
  };
  for (let i = 0; i < tokens.length; ) {
    const tok = tokens[i] as Token;
    current = i;
    // 1. Lexicon, longest key first (multi-word keys before gluing, so "sous scopie" stays a guidance cue).
    let matched = 0;
    const opens = lexicon.openers.has(tok.text) || lexicon.openers.has(stem(tok.text));
    for (let n = opens ? Math.min(lexicon.maxWords, tokens.length - i) : 1; n >= 1; n--) {
      const slice = tokens.slice(i, i + n);
      const key = slice.map((t) => t.text).join(" ");
      let expansion = lexicon.terms.get(key);
      if (!expansion && n === 1) {
        const next = tokens[i + 1];
        if (glues(tok, next)) break; // glue below
        if (key.length >= 4) expansion = lexicon.stems.get(stem(key));
      } else if (!expansion && !STOP_WORDS.has(tok.text) && !STOP_WORDS.has((slice[n - 1] as Token).text)) {
        const sk = phraseKey(slice.map((t) => t.text));
        if (sk.includes(" ")) expansion = lexicon.stems.get(sk);
      }
      if (!expansion || (n === 1 && beforeAge(i))) continue;
      // After an excision, "suture", "plaies suturées" close it: no wound repair ("exérèse en fuseau, suture
      // simple", "hémorroïdectomie …, plaies suturées").
      if (excised && n <= 2 && CLOSURE.has(stem(tok.text))) expansion = [tok.text];
      const first = slice[0] as Token;
      const last = slice[n - 1] as Token;
      // A key that holds a negator inside ("testicule non descendu", "ventilation non invasive") is one name:
      // that negator negates nothing, inside or after it.
      // A key that opens with its negator ("sans ventriculographie") still negates.
      if (n > 1 && slice.slice(1).some((t) => NEGATORS.has(t.text)))
        for (const [j, negator] of negatorOf)
          if (negator > i && negator < i + n) {
            negatedIdx.delete(j);
            negated.delete(stem((tokens[j] as Token).text));
            negatorOf.delete(j);
          }
      const neg = slice.some((_, k) => negatedIdx.has(i + k));
      // An expansion may itself say "sans X" (Hartmann: colectomy without restoring continuity).
      let negatedInExpansion = 0;
      for (const word of expansion) {
        if (word === "sans") {
          negatedInExpansion = 2;
          continue;
        }
        if (STOP_WORDS.has(word)) continue;
        if (neg || negatedInExpansion > 0) {
          negated.add(stem(word));
          negatedInExpansion--;
        } else push(word, first.start, last.end, 0.8, true);
      }
      // The written word itself still matches short labels and synonyms that use it.
      if (n === 1 && first.text.length >= 3 && !neg && !expansion.includes(first.text))
        push(first.text, first.start, first.end, 0.4, false);
      matched = n;
      break;
    }
    if (matched > 0) {
      i += matched;
      continue;
    }
    // 2. "sous-cutané", "intra articulaire": labels glue the prefix ("souscutanée"); the bare next word counts less.
    const next = tokens[i + 1];
    if (next && glues(tok, next)) {
      push(tok.text + next.text, tok.start, next.end, 1, true);
      weak.add(i + 1);
      i += 1;
      continue;
    }
    // 3. Spinal levels: "L4-L5" → lombale, "C6" → cervicale.
    const level = /^([cdlts])([0-9]{1,2})$/.exec(tok.text);
    if (level) {
      const region = SPINE[level[1] as string];
      if (region) for (const word of region) push(word, tok.start, tok.end, 0.8, true);
      i++;
      continue;
    }
    // "sous anesthésie générale" describes the setting more than the act.
    if (tok.text === "sous" && next && ANAESTHESIA.has(next.text)) {
      weak.add(i + 1);
      if (tokens[i + 2] && ["generale", "locale", "locoregionale"].includes((tokens[i + 2] as Token).text))
        weak.add(i + 2);
    }
    // 4. Teeth written in FDI notation ("la 36", "sur 15") and tooth faces ("MO", "MOD").
    const tooth = dental ? toothTerms(tok.text) : undefined;
    if (tooth) {
      for (const word of tooth) push(word, tok.start, tok.end, 0.8, true);
      i++;
      continue;
    }
    if (!STOP_WORDS.has(tok.text) && !negatedIdx.has(i) && !NEGATORS.has(tok.text)) {
      // Numbers and their units ("8 ans", "3 verrues", "5 cm") are read as quantities; as words they would
      // match any label that writes the same figure ("Avulsion de 8 dents").
      const prev = tokens[i - 1];
      const numeric =
        /^[0-9]+$/.test(tok.text) || (UNIT_WORDS.has(tok.text) && !!prev && /^[0-9]+$/.test(prev.text));
      push(tok.text, tok.start, tok.end, numeric ? NUMBER_WEIGHT : 1, false);
    }
    i++;
  }

  const foldedText = foldText(text);
  let trimester: 1 | 2 | 3 | undefined;
  // "9 SA" is a pregnancy in its 1st trimester: the labels say "au 1er trimestre de la grossesse".
  for (const m of foldedText.matchAll(/\b([0-9]{1,2})\s*(?:sa|semaines? d amenorrhee)\b/g)) {
    const weeks = Number(m[1]);
    const tok = tokens.find((t) => t.start >= (m.index ?? 0)) ?? tokens[0];
    if (!tok || weeks < 4 || weeks > 43) continue;
    trimester = weeks <= 14 ? 1 : weeks <= 28 ? 2 : 3;
    for (const word of ["grossesse", "trimestre"])
      terms.push({ term: stem(word), word, start: tok.start, end: tok.end, weight: 0.5, expanded: true });
    break;
  }

  // In dental text, a removed tooth is an "avulsion", and "du bas" / "du haut" name the arch.
  if (dental) {
    const at = terms.find((t) => REMOVAL.has(t.term) || t.term === stem("extraction"));
    if (at && !terms.some((t) => t.term === stem("avulsion")))
      terms.push({
        term: stem("avulsion"),
        word: "avulsion",
        start: at.start,
        end: at.end,
        weight: 0.8,
        expanded: true,
      });
    for (const tok of tokens) {
      const arch = DENTAL_ARCH[tok.text];
      if (arch && !terms.some((t) => t.term === stem(arch)))
        terms.push({
          term: stem(arch),
          word: arch,
          start: tok.start,
          end: tok.end,
          weight: 0.6,
          expanded: true,
        });
    }
  }

  // "échographie du 3e trimestre": the trimester written out.
  if (!trimester) {
    const m = /\b(1er|1re|premier|1|2e|2eme|deuxieme|second|2|3e|3eme|troisieme|3)\s+trimestre\b/.exec(
      foldedText,
    );
    if (m) {
      const w = m[1] as string;
      trimester =
        w.startsWith("1") || w === "premier"
          ? 1
          : w.startsWith("2") || w === "deuxieme" || w === "second"
            ? 2
            : 3;
    }
  }

  // "on m'a enlevé un kyste à l'ovaire" → kystectomie, ovariectomie.
  // A removal named in the indication ("surveillance d'une résection de tumeur vésicale") names no removal done.
  // A lesion removed from an organ ("exérèse d'un adénofibrome du sein") leaves the organ: only the lesion's
  // -ectomy applies.
  if (lexicon.ectomies && terms.some((t) => REMOVAL.has(t.term) && !t.indication)) {
    const lesion = terms.some((t) => LESIONS.has(t.term));
    for (const t of [...terms]) {
      const word = lexicon.ectomies.get(t.term);
      if (word && !t.indication && (!lesion || LESIONS.has(t.term)))
        terms.push({ term: stem(word), word, start: t.start, end: t.end, weight: 0.8, expanded: true });
    }
  }

  // A word the act asserts elsewhere is not negated by an expansion that also holds it ("ETO …, pas d'ETT":
  // the échographie-doppler du cœur is done, only its transthoracic way is not).
  for (const t of terms) if (!t.indication) negated.delete(t.term);
  const words = new Set(terms.map((t) => t.word));
  const folded = tokens.map((t) => t.text).join(" ");
  // Setting cues the labels write as "en urgence" / "en dehors de l'urgence" and "dans un bloc médicotechnique"
  // / "en dehors d'un bloc médicotechnique": a scheduled act is not urgent, a ward or emergency-room act is
  // not in a bloc.
  if (/\b(programmee?s?|a froid|reglee?|elective|en dehors de l urgence)\b/.test(folded))
    negated.add(stem("urgence"));
  if (
    /\b(aux urgences|en reanimation|en rea|au lit|dans le service|dans la chambre|en chambre|smur|samu|sau|au domicile|en salle|dechocage|prehospitalier)\b/.test(
      folded,
    ) &&
    !/\bau bloc\b/.test(folded)
  )
    negated.add(stem("bloc"));
  const has = (...ws: string[]) => ws.some((w) => words.has(w));
  const hasPrefix = (...ps: string[]) => [...words].some((w) => ps.some((p) => w.startsWith(p)));

  const approaches = detectApproaches(words, folded);
  // Through a scope or a vessel, a "prothèse" is a stent: the labels say "endoprothèse".
  if (approaches.has("endoscopy") || approaches.has("endovascular")) {
    const at = terms.find((t) => t.term === stem("prothese") && !t.expanded);
    if (at && !terms.some((t) => t.term === stem("endoprothese")))
      terms.push({
        term: stem("endoprothese"),
        word: "endoprothese",
        start: at.start,
        end: at.end,
        weight: 0.8,
        expanded: true,
      });
  }
  // A puncture during an endoscopy is a needle biopsy through the scope (EUS-FNA, EBUS-TBNA), not a
  // percutaneous act.
  if (approaches.has("endoscopy") && approaches.has("percutaneous") && !/transcutan|percutan/.test(folded)) {
    approaches.delete("percutaneous");
    const at = terms.find((t) => t.term === stem("ponction") || t.term === stem("cytoponction"));
    if (at && !terms.some((t) => t.term === stem("biopsie")))
      terms.push({
        term: stem("biopsie"),
        word: "biopsie",
        start: at.start,
        end: at.end,
        weight: 0.6,
        expanded: true,
      });
  }

  // "IV+", "PDC+", "inj-": the scanner and MRI shorthand; "temps portal / artériel / tardif" are injected phases.
  const lower = text.toLowerCase();
  // An abdominal ultrasound listing three or more upper-abdominal organs and no pelvic one covers the upper
  // abdomen ("foie, VB, pancréas, rate et reins"): the labels say "étage supérieur de l'abdomen".
  if (/\bech/.test(folded)) {
    const upper = new Set(
      [...folded.matchAll(UPPER_ABDOMEN)].map((m) => (m[1] as string).replace(/s$/, "").slice(0, 4)),
    );
    const at = tokens.find((t) => UPPER_ABDOMEN_WORD.test(t.text));
    // With pelvic organs too, it is the whole abdomen with the pelvis.
    const region = PELVIC_ORGANS.test(folded)
      ? ["abdomen", "petit", "bassin"]
      : ["etage", "superieur", "abdomen"];
    if (upper.size >= 3 && at)
      for (const word of region)
        terms.push({ term: stem(word), word, start: at.start, end: at.end, weight: 0.8, expanded: true });
  }

  const negatedInjection =
    negated.has(stem("injection")) ||
    /sans (produit de )?contraste/.test(folded) ||
    /\b(?:iv|pdc|inj|gado)-(?![a-z0-9])/.test(lower);
  let injection: boolean | undefined;
  if (negatedInjection) injection = false;
  else if (
    hasPrefix("inject", "gadolin", "contraste", "angio") ||
    /\b(?:iv|pdc|inj|gado) ?\+/.test(lower) ||
    /\btemps (?:portal|arteriel|tardif|veineux)/.test(folded) ||
    // "une IRM avec produit": the patient's word for the contrast agent.
    /\bavec (?:du |le |un )?produit\b/.test(folded)
  )
    injection = true;

  let laterality: QueryFeatures["laterality"];
  if (hasPrefix("bilateral")) laterality = "bilateral";
  else if (hasPrefix("unilateral") || has("droit", "droite", "gauche")) laterality = "unilateral";

  let extent: QueryFeatures["extent"];
  if (has("totale", "total", "complete", "complet") && !negated.has(stem("totale"))) extent = "total";
  else if (has("partielle", "partiel", "subtotale", "subtotal")) extent = "partial";

  const guidance = new Set<QueryFeatures["guidance"] extends Set<infer G> ? G : never>();
  if (
    /guidage echographique|echoguid|echo guid|sous (?:controle )?echo/.test(folded) ||
    words.has("echographique")
  )
    guidance.add("echo");
  // "scopie", "sous scopie", "radioscopie", "fluoroscopie": not the "-scopie" of an endoscopy.
  if (/guidage radiologique|\b(?:radio|fluoro)?scopi|radioguid/.test(folded)) guidance.add("radio");
  if (/guidage scanographique|sous (?:controle )?(?:scanner|tdm|scanographi)|scann?oguid/.test(folded))
    guidance.add("scanner");
  if (/guidage endoscopique/.test(folded)) guidance.add("endoscopic");

  const numbers = tokens.filter((t) => /^[0-9]+$/.test(t.text)).map((t) => Number(t.text));
  const child =
    /\b(enfant|nourrisson|bebe|nouveau ne|garcon|fillette|premature|fils|fille)\b/.test(folded) ||
    /\b([0-9]|1[0-5]) (ans|mois)\b/.test(folded);
  const adult = /\badulte\b/.test(folded);

  const key = [...new Set(terms.map((t) => t.term))].sort().join(" ");
  return {
    original: text,
    terms,
    negated,
    features: {
      approaches,
      injection,
      laterality,
      extent,
      guidance,
      numbers,
      quantities: dental ? dentalQuantities(text, foldedText) : textQuantities(foldedText),
      child,
      adult,
      ...(trimester ? { trimester } : {}),
    },
    key,
  };
}

const DENTAL_WORDS =
  /\b(dent|dents|dentaire|dentiste|molaire|premolaire|incisive|canine|compo|composite|amalgame|couronne|bridge|carie|pulp\w*|devitalis\w*|endodont\w*|detartrage|avulsion|implant|scellement|sillons|parodont\w*|gingiv\w*|surfacage|inlay|onlay|obturation)\b/;
const DENTAL_ARCH: Record<string, string> = {
  bas: "mandibulaire",
  inferieure: "mandibulaire",
  inferieures: "mandibulaire",
  haut: "maxillaire",
  superieure: "maxillaire",
  superieures: "maxillaire",
};
const FACES = /^(?=[MODVLP]{2,5}$)(?!.*(.).*\1)[MODVLP]+$/;

function dentalContext(text: string, tokens: Token[]): boolean {
  return (
    DENTAL_WORDS.test(tokens.map((t) => t.text).join(" ")) || text.split(/\s+/).some((w) => FACES.test(w))
  );
}

/** FDI tooth numbers: 11–48 permanent, 51–85 deciduous; sector from the position in the quadrant. */
function toothTerms(word: string): string[] | undefined {
  const m = /^([1-8])([1-8])$/.exec(word);
  if (!m) return undefined;
  const quadrant = Number(m[1]);
  const position = Number(m[2]);
  if (quadrant >= 5 && position > 5) return undefined;
  const kind = quadrant <= 4 ? "permanente" : "temporaire";
  const sector = position <= 3 ? "incisivocanin" : "premolomolaire";
  // 18, 28, 38, 48: wisdom teeth ("troisième molaire").
  if (quadrant <= 4 && position === 8)
    return ["dent", kind, sector, "troisieme", "molaire", quadrant <= 2 ? "maxillaire" : "mandibulaire"];
  const arch =
    quadrant === 1 || quadrant === 2 || quadrant === 5 || quadrant === 6 ? "maxillaire" : "mandibulaire";
  return ["dent", kind, sector, arch];
}

/** In dental text, numbers are teeth, not counts; "MOD" is three faces; "36 et 46" counts 2 teeth. */
function dentalQuantities(text: string, folded: string): Quantity[] {
  const out = textQuantities(folded).filter((q) => q.unit !== null || q.value <= 10);
  const teeth = new Set(
    tokenizeWithOffsets(text)
      .filter((t) => toothTerms(t.text))
      .map((t) => t.text),
  );
  if (teeth.size > 0 && !out.some((q) => q.unit === null && q.nouns?.includes(stem("dents"))))
    out.push({ value: teeth.size, unit: null, nouns: [stem("dents")] });
  for (const w of text.split(/[\s,;.()]+/))
    if (FACES.test(w)) out.push({ value: w.length, unit: null, nouns: [stem("faces")] });
  return out;
}

/** Approach cues of a folded text given its words ("coelioscopie" → laparoscopy, "laparotomie" → open, …). */
export function detectApproaches(words: ReadonlySet<string>, folded: string): Set<Approach> {
  const approaches = new Set<Approach>();
  const has = (...ws: string[]) => ws.some((w) => words.has(w));
  const hasPrefix = (...ps: string[]) => [...words].some((w) => ps.some((p) => w.startsWith(p)));
  if (
    hasPrefix(
      "coelioscop",
      "arthroscop",
      "thoracoscop",
      "videochirurg",
      "retroperitoneoscop",
      "mediastinoscop",
    )
  )
    approaches.add("laparoscopy");
  if (
    hasPrefix("laparotom", "thoracotom", "sternotom", "lombotom", "cervicotom", "craniotom", "arthrotom") ||
    has("abord", "incision", "ouvert", "chirurgical", "chirurgicale")
  )
    approaches.add("open");
  if (
    hasPrefix(
      "endoscop",
      "echoendoscop",
      "fibroscop",
      "coloscop",
      "gastroscop",
      "duodenoscop",
      "cystoscop",
      "urethrocystoscop",
      "ureteroscop",
      "hysteroscop",
      "bronchoscop",
      "laryngoscop",
      "rectoscop",
      "sigmoidoscop",
      "nasofibroscop",
      "ileoscop",
    )
  )
    approaches.add("endoscopy");
  if (hasPrefix("transcutan", "percutan", "ponction", "cytoponction")) approaches.add("percutaneous");
  if (
    hasPrefix("endovascul", "intraluminal", "angioplast", "embolis") ||
    /voie (arterielle|veineuse|femorale|radiale)/.test(folded)
  )
    approaches.add("endovascular");

  return approaches;
}
