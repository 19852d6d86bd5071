import type { Note } from "../model.js";
import type { Referential } from "../referential.js";

/**
 * Machine rules read from the notes of the official sheet (act notes and chapter notes, the latter applying to
 * every act below the chapter). Pure: text in, rules out.
 *
 * - "À l'exclusion de : … (CODE)": the act does not describe CODE's case (a coding exclusion) → warning;
 * - "ne peut pas être facturé avec / en sus …", "non associable à", "non cumulable avec" → blocking pair;
 *   a clause with an exception that names no code ("à l'exception de sa réalisation lors des bilans …") depends on
 *   a clinical fact we cannot see → warning;
 * - targets: explicit codes, a chapter ("les actes du sous chapitre 08.03"), a chapter range ("des chapitres 1 à
 *   17 à l'exception de … (DEQP003)": codes after the exception are allowed), or "un geste d'anesthésie".
 */

export type NoteTarget =
  | { kind: "code"; code: string }
  | { kind: "chapter"; path: string }
  | { kind: "chapterRange"; from: number; to: number; except: string[] }
  | { kind: "anesthesia" };

export interface NoteRule {
  /** "exclusion" = À l'exclusion de (coding); "incompatibility" = cannot be billed together. */
  type: "exclusion" | "incompatibility";
  severity: "blocking" | "warning";
  target: NoteTarget;
  /** The act code or chapter path whose note this is. */
  owner: string;
  ownerKind: "act" | "chapter";
  /** The note's text, cited in messages. */
  text: string;
}

export interface NoteCoverage {
  /** Notes that state an exclusion or an incompatibility (by their wording). */
  candidates: number;
  /** Of those, notes that yielded at least one machine rule. */
  parsed: number;
  /** Machine rules produced. */
  rules: number;
  /** Candidate notes that name at least one CCAM code, and how many of those yielded a rule. */
  withCodes: number;
  withCodesParsed: number;
  /** Candidate notes that yielded nothing (for review), as "OWNER: text". */
  unparsed: string[];
}

const CODE = /\b[A-Z]{4}\d{3}\b/g;
const EXCLUSION_HEAD = /^\s*(?:À|A)\s+l[’']exclusion\s+d/iu;
/** Wording of an incompatibility: "ne peut (pas) être facturé(e)(s) avec | en sus", "non associable", … */
const NEGATIVE =
  /(?<![\p{L}\p{N}])ne\s+(?:peut|peuvent)\s+(?:pas\s+)?(?:être\s+)?(?:facturée?s?|codée?s?|associée?s?|cumulée?s?)(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])non\s+(?:associables?|cumulables?)(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])est\s+non\s+facturable(?![\p{L}\p{N}])/iu;
/** Allowed wording, which must not be read as a prohibition: "peut être facturé en sus", "associable à". */
const POSITIVE =
  /(?<!ne\s)(?<!ne\s+pas\s)(?<![\p{L}\p{N}])(?:peut|peuvent)\s+être\s+(?:facturée?s?|associée?s?)(?![\p{L}\p{N}])|(?<!non\s)(?<![\p{L}\p{N}])associables?\s+(?:à|avec)(?![\p{L}\p{N}])/iu;
const EXCEPTION =
  /(?<![\p{L}\p{N}])à\s+l[’']exception(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])sauf(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])excepté(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])en dehors de(?![\p{L}\p{N}])/iu;
const CHAPTER_RANGE = /(?<![\p{L}\p{N}])chapitres?\s+(\d{1,2})\s+à\s+(\d{1,2})(?![\p{L}\p{N}])/iu;
const CHAPTER_REF =
  /(?<![\p{L}\p{N}])(?:du|des|au|aux)\s+(?:sous[- ]?chapitres?|chapitres?|paragraphes?|sous[- ]?paragraphes?)\s+(\d{2}(?:\.\d{2}){0,3})(?![\p{L}\p{N}])/giu;
const ANESTHESIA = /(?<![\p{L}\p{N}])gestes?\s+d[’']anesthésie(?![\p{L}\p{N}])/iu;

/** Splits a note into clauses: each line holding a wording (negative or positive) starts a new clause. */
function clauses(text: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of text.split(/\n+/)) {
    if ((NEGATIVE.test(line) || POSITIVE.test(line)) && current) {
      out.push(current);
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) out.push(current);
  return out;
}

function codesIn(text: string, self: string): string[] {
  return [...new Set(text.match(CODE) ?? [])].filter((c) => c !== self);
}

/** Reads one note into rules (empty when it states no exclusion or incompatibility we can act on). */
export function parseNoteRules(
  note: Note,
  owner: string,
  ownerKind: "act" | "chapter",
): { candidate: boolean; rules: NoteRule[] } {
  const text = note.text;
  const base = { owner, ownerKind, text };
  if (note.kind === "exclusion" || EXCLUSION_HEAD.test(text)) {
    const head = text.split(EXCEPTION)[0] ?? text;
    const rules = codesIn(head, owner).map(
      (code): NoteRule => ({
        ...base,
        type: "exclusion",
        severity: "warning",
        target: { kind: "code", code },
      }),
    );
    return { candidate: true, rules };
  }
  if (!NEGATIVE.test(text)) return { candidate: false, rules: [] };
  const rules: NoteRule[] = [];
  for (const clause of clauses(text)) {
    const negative = NEGATIVE.exec(clause);
    if (!negative) continue;
    const positive = POSITIVE.exec(clause);
    // "peut être facturé avec X … ne peut pas …": keep only the part from the prohibition on.
    const from = positive && positive.index < negative.index ? negative.index : 0;
    const scoped = clause.slice(from);
    const exception = EXCEPTION.exec(scoped);
    const main = exception ? scoped.slice(0, exception.index) : scoped;
    const after = exception ? scoped.slice(exception.index) : "";
    const exceptCodes = codesIn(after, owner);
    // An exception that names no code is a clinical condition: the prohibition is then only a warning.
    const severity = exception && exceptCodes.length === 0 ? "warning" : "blocking";
    const range = CHAPTER_RANGE.exec(main);
    if (range) {
      rules.push({
        ...base,
        type: "incompatibility",
        severity,
        target: { kind: "chapterRange", from: Number(range[1]), to: Number(range[2]), except: exceptCodes },
      });
      continue;
    }
    for (const code of codesIn(main, owner))
      rules.push({ ...base, type: "incompatibility", severity, target: { kind: "code", code } });
    for (const match of main.matchAll(CHAPTER_REF)) {
      const path = match[1] as string;
      if (path !== owner)
        rules.push({ ...base, type: "incompatibility", severity, target: { kind: "chapter", path } });
    }
    if (ANESTHESIA.test(main))
      rules.push({ ...base, type: "incompatibility", severity, target: { kind: "anesthesia" } });
  }
  return { candidate: true, rules };
}

export interface CompiledNoteRules {
  /** Rules by owner (act code or chapter path). */
  byOwner: ReadonlyMap<string, readonly NoteRule[]>;
  coverage: NoteCoverage;
}

const compiled = new WeakMap<Referential, CompiledNoteRules>();

/** All note rules of a referential, computed once per loaded version (memoised, no I/O). */
export function noteRules(referential: Referential): CompiledNoteRules {
  let result = compiled.get(referential);
  if (!result) {
    result = compileNoteRules(referential);
    compiled.set(referential, result);
  }
  return result;
}

function compileNoteRules(referential: Referential): CompiledNoteRules {
  const byOwner = new Map<string, NoteRule[]>();
  const coverage: NoteCoverage = {
    candidates: 0,
    parsed: 0,
    rules: 0,
    withCodes: 0,
    withCodesParsed: 0,
    unparsed: [],
  };
  const read = (notes: readonly Note[], owner: string, ownerKind: "act" | "chapter") => {
    for (const note of notes) {
      const { candidate, rules } = parseNoteRules(note, owner, ownerKind);
      if (!candidate) continue;
      coverage.candidates++;
      const named = codesIn(note.text, owner).length > 0;
      if (named) coverage.withCodes++;
      if (named && rules.length > 0) coverage.withCodesParsed++;
      if (rules.length === 0) {
        coverage.unparsed.push(`${owner}: ${note.text.replace(/\s+/g, " ").slice(0, 200)}`);
        continue;
      }
      coverage.parsed++;
      coverage.rules += rules.length;
      const list = byOwner.get(owner) ?? [];
      list.push(...rules);
      byOwner.set(owner, list);
    }
  };
  for (const act of referential.acts.values()) read(act.notes, act.code, "act");
  for (const chapter of referential.chapters.values()) {
    if (chapter.path.startsWith("19.03")) continue; // the modifier table: its notes concern modifiers
    read(chapter.notes, chapter.path, "chapter");
  }
  return { byOwner, coverage };
}

/** Coverage of the exclusion parser on a referential: how many notes yielded machine rules. */
export function noteRuleCoverage(referential: Referential): NoteCoverage {
  return noteRules(referential).coverage;
}
