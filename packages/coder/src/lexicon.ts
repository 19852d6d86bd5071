import { readdir, readFile } from "node:fs/promises";

/** The hand-curated lexicon shipped with the package (same relative path from src/ and dist/). */
export const LEXICON_FILE = new URL("../data/lexicon.fr.json", import.meta.url);
/** Specialty lexicons (one file per specialty group, so they are curated and reviewed apart). */
export const LEXICON_DIR = new URL("../data/lexicon/", import.meta.url);

export interface LexiconFile {
  description?: string;
  terms: Record<string, string>;
  /** Organ → its removal word ("ovaire" → ovariectomie), used when the text says an organ was removed. */
  ectomies?: Record<string, string>;
}

/** Every lexicon file by name: the general one first, then the specialty files in name order. */
export async function readLexiconFiles(): Promise<[string, LexiconFile][]> {
  const names = (await readdir(LEXICON_DIR).catch(() => [] as string[]))
    .filter((n) => n.endsWith(".json"))
    .sort();
  const files: [string, URL][] = [
    ["lexicon.fr.json", LEXICON_FILE],
    ...names.map((n): [string, URL] => [`lexicon/${n}`, new URL(n, LEXICON_DIR)]),
  ];
  return Promise.all(
    files.map(
      async ([name, url]): Promise<[string, LexiconFile]> => [name, JSON.parse(await readFile(url, "utf8"))],
    ),
  );
}

let cached: Promise<LexiconFile> | undefined;

/** The merged lexicon (a key defined twice is refused by lexicon.test.ts; here the later file would win). */
function read(): Promise<LexiconFile> {
  cached ??= readLexiconFiles().then((files) => ({
    terms: Object.assign({}, ...files.map(([, f]) => f.terms)),
    ectomies: Object.assign({}, ...files.map(([, f]) => f.ectomies ?? {})),
  }));
  return cached;
}

export async function loadLexiconEntries(): Promise<[string, string][]> {
  return Object.entries((await read()).terms);
}

export async function loadEctomies(): Promise<[string, string][]> {
  return Object.entries((await read()).ectomies ?? {});
}
