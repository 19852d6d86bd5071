import { readFile } from "node:fs/promises";

/** The hand-curated lexicon shipped with the package (same relative path from src/ and dist/). */
export const LEXICON_FILE = new URL("../data/lexicon.fr.json", import.meta.url);

interface LexiconFile {
  terms: Record<string, string>;
  /** Organ → its removal word ("ovaire" → ovariectomie), used when the text says an organ was removed. */
  ectomies?: Record<string, string>;
}

let cached: LexiconFile | undefined;

async function read(): Promise<LexiconFile> {
  cached ??= JSON.parse(await readFile(LEXICON_FILE, "utf8")) as LexiconFile;
  return cached;
}

export async function loadLexiconEntries(): Promise<[string, string][]> {
  return Object.entries((await read()).terms);
}

export async function loadEctomies(): Promise<[string, string][]> {
  return Object.entries((await read()).ectomies ?? {});
}
