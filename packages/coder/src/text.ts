import { type Act, foldText } from "@ccam/ccam";

/** A word of the original text: folded form and its position in the original string. */
export interface Token {
  /** Folded form (lower case, no accents). */
  text: string;
  start: number;
  end: number;
}

const ASCII_WORD = /^[A-Za-z0-9]+$/;

/** Words of `text` with their offsets in the ORIGINAL string (letters and digits; apostrophes split elisions). */
export function tokenizeWithOffsets(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    // Plain ASCII words (most of them) fold to their lower case.
    const folded = ASCII_WORD.test(match[0])
      ? match[0].toLowerCase()
      : foldText(match[0]).replace(/[^a-z0-9]/g, "");
    if (folded) tokens.push({ text: folded, start: match.index, end: match.index + match[0].length });
  }
  return tokens;
}

/** Function words that never discriminate between acts. */
export const STOP_WORDS = new Set(
  (
    "a au aux avec ce ces cet cette d dans de des du en et est il ils j je l la le les leur lui m ma me mes mon " +
    "n ne nous on ont ou par pas pour qu que qui s sa se ses son sur t ta te tes ton un une vos votre y " +
    "ete etait fait faite faits avait avoir suis sont ai as c ca cela chez lors apres avant puis plus tres bien " +
    "patient patiente madame monsieur mme mr mon ma fils fille dr docteur"
  ).split(" "),
);

const SUFFIXES = [
  "issantes",
  "issants",
  "issante",
  "issant",
  "issements",
  "issement",
  "ements",
  "ement",
  "ations",
  "ation",
  "atrices",
  "atrice",
  "ateurs",
  "ateur",
  "iques",
  "ique",
  "iennes",
  "ienne",
  "iens",
  "ien",
  "euses",
  "euse",
  "eux",
  "ales",
  "aux",
  "ale",
  "al",
  "ees",
  "ee",
  "es",
  "e",
  "s",
  "x",
];

/** Stems already computed: the same words are stemmed many times per text. */
const stems = new Map<string, string>();
const MAX_STEMS = 10_000;

/** Light French stemmer: strips plural and common derivational endings so "rénale" ~ "rénal", "ablations" ~ "ablation". */
export function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    stemmed = stemOf(word);
    // Bounded: free text brings new words without end.
    if (stems.size >= MAX_STEMS) stems.clear();
    stems.set(word, stemmed);
  }
  return stemmed;
}

function stemOf(word: string): string {
  if (word.length <= 3 || /^[0-9]+$/.test(word)) return word;
  for (const suffix of SUFFIXES) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 4) {
      const base = word.slice(0, -suffix.length);
      // "envahissant" and "envahissement" share "envahiss".
      return suffix.startsWith("issant") || suffix.startsWith("issement") ? `${base}iss` : base;
    }
  }
  return word;
}

/** Folded, stemmed, stop-word-free terms of a label (for indexing). */
export function indexTerms(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenizeWithOffsets(text)) {
    if (STOP_WORDS.has(token.text)) continue;
    out.push(stem(token.text));
  }
  return out;
}

/** Damerau–Levenshtein distance (adjacent swaps count one), or max + 1 once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return Math.min(prev[b.length] as number, max + 1);
}

/** The act's other names: its untitled notes (mostly synonyms) and its curated aliases (data/aliases). */
export function otherNamesOf(act: Act, aliases: readonly string[] = []): string {
  return [...act.notes.filter((n) => n.kind === "other").map((n) => n.text), ...aliases].join(" ");
}
