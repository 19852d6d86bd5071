import type {
  Act,
  ActLine,
  Chapter,
  Modifier,
  ModifierRate,
  Note,
  NoteKind,
  ParsedReferential,
  SkippedRow,
  VersionMeta,
} from "./model.js";

/** One spreadsheet row with the physical line (CSV) or row number (XLSX) it starts on, for error messages. */
export interface SourceRow {
  line: number;
  cells: readonly string[];
}

/** A file that does not have the official layout: always names the line. */
export class ReferentialParseError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "ReferentialParseError";
  }
}

// Column positions in the official sheet (row 2 headers).
const COL = {
  code: 0,
  text: 2,
  activity: 3,
  phase: 4,
  tariff1: 5,
  tariff2: 6,
  conditions: 7,
  approval: 8,
  exoTm: 9,
  regroupement: 10,
} as const;

const ACT_CODE = /^[A-Z]{4}[0-9]{3}$/;
const CHAPTER = /^\d{1,2}(\.\d{2}){0,3}$/;
/** Excel turned some two-level chapter numbers into floats (V78: "1.0600000000000001" for 01.06). */
const FLOAT_CHAPTER = /^\d{1,2}\.\d+$/;
const MODIFIER_LIST = /^\[\s*[A-Z0-9](\s*,\s*[A-Z0-9])*\s*\]$/;
const CODE_LIST = /^\(\s*[A-Z]{4}\d{3}(\s*,\s*[A-Z]{4}\d{3})*\s*\)$/;
const TITLE = /CCAM\s+version\s+(\d+)\s+applicable\s+(?:le\s+|au\s+)?(\d{2})\/(\d{2})\/(\d{4})/i;
const MODIFIER_TABLE_CHAPTER = "19.03";

const NOTE_KINDS: ReadonlyArray<readonly [RegExp, NoteKind]> = [
  [/^(?:À|A)\s+l[’']exclusion/i, "exclusion"],
  [/^Facturation/i, "billing"],
  [/^Indications?\b/i, "indication"],
  [/^Avec ou sans/i, "with_or_without"],
  [/^(?:Comprend|Inclut)\b/i, "includes"],
  [/^Formation\b/i, "training"],
  [/^Environnement\b/i, "environment"],
  [/^Recueil prospectif/i, "data_collection"],
  [/^Par\s[^:]{1,120}\bon entend/i, "definition"],
];

export function classifyNote(text: string): NoteKind {
  for (const [pattern, kind] of NOTE_KINDS) if (pattern.test(text)) return kind;
  return "other";
}

/** Parses the title row: "CNAM - CCAM version 81 applicable 01/01/2026". */
export function parseTitle(title: string, line = 1): VersionMeta {
  const match = TITLE.exec(title);
  if (!match) {
    throw new ReferentialParseError(
      line,
      `expected the title "… CCAM version N applicable DD/MM/YYYY", found "${title.slice(0, 80)}"`,
    );
  }
  const [, number, day, month, year] = match as unknown as [string, string, string, string, string];
  const date = new Date(`${year}-${month}-${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(day)) {
    throw new ReferentialParseError(line, `the title's date ${day}/${month}/${year} is not a calendar date`);
  }
  if (Number(number) > 9999) {
    throw new ReferentialParseError(line, `the title's version number ${number} is not a CCAM version`);
  }
  return {
    version: `V${Number(number)}`,
    number: Number(number),
    name: title.trim(),
    effectiveDate: `${year}-${month}-${day}`,
  };
}

/**
 * Reads the Assurance Maladie CCAM sheet (rows as exported to CSV or read from XLSX) into a ParsedReferential.
 * Structural problems throw a ReferentialParseError naming the line; harmless anomalies of the official data
 * (a duplicated line, a stray cell) are kept out and listed in `skipped`.
 */
export function parseReferential(rows: Iterable<SourceRow>): ParsedReferential {
  const iterator = rows[Symbol.iterator]();
  const titleRow = iterator.next();
  if (titleRow.done) throw new ReferentialParseError(1, "the file is empty");
  const meta = parseTitle(cell(titleRow.value, COL.code), titleRow.value.line);
  const headerRow = iterator.next();
  if (headerRow.done)
    throw new ReferentialParseError(2, "missing the header row (Code, -, Texte, Activité, …)");
  checkHeader(headerRow.value);

  const chapters: Chapter[] = [];
  const acts: Act[] = [];
  const modifiers: Modifier[] = [];
  const skipped: SkippedRow[] = [];
  const seenCodes = new Set<string>();
  const seenChapters = new Set<string>();
  const seenModifiers = new Set<string>();

  let chapter: Chapter | undefined;
  let act: Act | undefined;
  let modifier: Modifier | undefined;
  let inModifierTable = false;

  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const row = next.value;
    const first = cell(row, COL.code).trim();
    const text = cleanText(cell(row, COL.text));

    if (inModifierTable && first.length === 1) {
      if (seenModifiers.has(first))
        throw new ReferentialParseError(row.line, `modifier ${first} appears twice`);
      seenModifiers.add(first);
      modifier = { code: first, chapter: chapter?.path ?? "", label: text, rates: [], notes: [] };
      addModifierRate(modifier, row, text);
      modifiers.push(modifier);
      continue;
    }
    const chapterPath = toChapterPath(first);
    if (chapterPath) {
      if (seenChapters.has(chapterPath)) {
        throw new ReferentialParseError(row.line, `chapter ${chapterPath} appears twice`);
      }
      seenChapters.add(chapterPath);
      chapter = { path: chapterPath, title: text, notes: [] };
      chapters.push(chapter);
      inModifierTable = chapterPath.startsWith(MODIFIER_TABLE_CHAPTER);
      act = undefined;
      modifier = undefined;
      continue;
    }
    if (ACT_CODE.test(first)) {
      if (!chapter) throw new ReferentialParseError(row.line, `act ${first} appears before any chapter`);
      if (seenCodes.has(first)) throw new ReferentialParseError(row.line, `act ${first} appears twice`);
      if (!text) throw new ReferentialParseError(row.line, `act ${first} has no label`);
      seenCodes.add(first);
      act = emptyAct(first, text, chapter.path);
      acts.push(act);
      modifier = undefined;
      if (cell(row, COL.activity).trim()) addLine(act, row, null, skipped);
      continue;
    }
    if (MODIFIER_LIST.test(first)) {
      if (!act) throw new ReferentialParseError(row.line, `modifier list ${first} outside an act`);
      act.modifiers = first
        .slice(1, -1)
        .split(",")
        .map((m) => m.trim());
    } else if (first) {
      skipped.push({ line: row.line, reason: `unrecognised first cell "${first}" ignored` });
    }
    handleTextCell(row, text);
  }

  if (acts.length === 0) throw new ReferentialParseError(2, "no act rows found: is this the CCAM sheet?");
  return { meta, chapters, acts, modifiers, skipped };

  function handleTextCell(row: SourceRow, text: string): void {
    if (inModifierTable && modifier) {
      if (cell(row, COL.tariff1).trim()) addModifierRate(modifier, row, text);
      else if (text) modifier.notes.push({ kind: classifyNote(text), text });
      return;
    }
    if (cell(row, COL.activity).trim()) {
      if (!act) throw new ReferentialParseError(row.line, "activity line outside an act");
      addLine(act, row, text || null, skipped);
      return;
    }
    if (!text) return;
    if (CODE_LIST.test(text)) {
      if (!act) {
        skipped.push({ line: row.line, reason: `code list ${text} outside an act ignored` });
        return;
      }
      for (const code of text.slice(1, -1).split(",")) act.complementary.push(code.trim());
      return;
    }
    const note: Note = { kind: classifyNote(text), text };
    if (act) act.notes.push(note);
    else if (chapter) chapter.notes.push(note);
    else skipped.push({ line: row.line, reason: "note before the first chapter ignored" });
  }
}

function checkHeader(row: SourceRow): void {
  const code = cell(row, COL.code).trim();
  const text = cell(row, COL.text).trim();
  const activity = cell(row, COL.activity).trim();
  if (code !== "Code" || text !== "Texte" || !/^Activit/i.test(activity)) {
    throw new ReferentialParseError(
      row.line,
      `expected the header row "Code, -, Texte, Activité, Phase, …", found "${row.cells.slice(0, 5).join(", ")}"`,
    );
  }
}

function cell(row: SourceRow, index: number): string {
  return row.cells[index] ?? "";
}

function cleanText(value: string): string {
  return value
    .replace(/\r\n?/g, "\n")
    .replace(/\u00a0/g, " ")
    .trim();
}

/** "1" → "01", "01.01.01" kept, "1.0600000000000001" → "01.06"; anything else → undefined. */
export function toChapterPath(value: string): string | undefined {
  let path = value;
  if (!CHAPTER.test(path)) {
    if (!FLOAT_CHAPTER.test(path)) return undefined;
    path = Number(path).toFixed(2);
  }
  const [head, ...rest] = path.split(".");
  return [String(head).padStart(2, "0"), ...rest].join(".");
}

function emptyAct(code: string, label: string, chapter: string): Act {
  return {
    code,
    label,
    shortLabel: null,
    chapter,
    type: null,
    sex: null,
    startDate: null,
    endDate: null,
    modifiers: [],
    complementary: [],
    notes: [],
    lines: [],
  };
}

function addLine(act: Act, row: SourceRow, label: string | null, skipped: SkippedRow[]): void {
  const activityCell = cell(row, COL.activity).trim();
  const phaseCell = cell(row, COL.phase).trim();
  if (!/^[1-5]$/.test(activityCell)) {
    throw new ReferentialParseError(row.line, `activity "${activityCell}" of ${act.code} is not 1 to 5`);
  }
  if (!/^[0-3]$/.test(phaseCell)) {
    throw new ReferentialParseError(row.line, `phase "${phaseCell}" of ${act.code} is not 0 to 3`);
  }
  const activity = Number(activityCell);
  const phase = Number(phaseCell);
  if (act.lines.some((l) => l.activity === activity && l.phase === phase)) {
    skipped.push({
      line: row.line,
      reason: `${act.code} activity ${activity} phase ${phase} appears twice${label ? ` (row "${label}")` : ""}; the first is kept`,
    });
    return;
  }
  const line: ActLine = {
    activity,
    phase,
    label,
    tariffSecteur1: parseTariff(cell(row, COL.tariff1), row.line, act.code),
    tariffHorsSecteur1: parseTariff(cell(row, COL.tariff2), row.line, act.code),
    reimbursementConditions: cell(row, COL.conditions).trim().toUpperCase() === "RC",
    priorApproval: cell(row, COL.approval).trim().toUpperCase() === "AP",
    exoTm: cell(row, COL.exoTm).trim() || null,
    regroupement: cell(row, COL.regroupement).trim() || null,
    icr: null,
  };
  act.lines.push(line);
}

/** "51.84" → 51.84; "Non pris en charge" or empty → null; anything else is a malformed file. */
export function parseTariff(value: string, line: number, code: string): number | null {
  const trimmed = value.trim();
  if (trimmed === "" || /^non pris en charge$/i.test(trimmed)) return null;
  const normalised = trimmed.replace(/\s/g, "").replace(",", ".");
  const amount = Math.round(Number(normalised) * 100) / 100;
  // The database keeps numeric(10,2): anything from 100 million euros on is a corrupted cell, not a tariff.
  if (!/^\d+(\.\d+)?$/.test(normalised) || !(amount < 100_000_000)) {
    throw new ReferentialParseError(line, `tariff "${trimmed}" of ${code} is not an amount in euros`);
  }
  return amount;
}

function addModifierRate(modifier: Modifier, row: SourceRow, condition: string): void {
  const first = parseModifierValue(cell(row, COL.tariff1), row.line);
  const second = parseModifierValue(cell(row, COL.tariff2), row.line);
  if (!first && !second) return;
  const a = first ?? second;
  const b = second ?? first;
  if (!a || !b) return;
  if (a.kind !== b.kind)
    throw new ReferentialParseError(row.line, `modifier ${modifier.code} mixes a percentage and an amount`);
  const rate: ModifierRate = { condition, kind: a.kind, secteur1: a.value, horsSecteur1: b.value };
  modifier.rates.push(rate);
}

function parseModifierValue(
  raw: string,
  line: number,
): { kind: "percent" | "amount"; value: number } | undefined {
  const trimmed = raw.trim();
  if (!trimmed) return undefined;
  const number = Number(trimmed.replace("%", "").replace("+", "").replace(",", ".").trim());
  if (!Number.isFinite(number))
    throw new ReferentialParseError(line, `modifier value "${trimmed}" is not a number`);
  if (trimmed.endsWith("%")) return { kind: "percent", value: number };
  // The sheet sometimes writes a percentage as a bare fraction (V81 B: "0.49"; V78 9: "0.3"); no fixed-amount
  // modifier is below 1 €.
  if (number < 1) return { kind: "percent", value: Math.round(number * 100 * 100) / 100 };
  return { kind: "amount", value: number };
}
