import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";

/** The hand-curated lexicon shipped with the package (same relative path from src/ and dist/). */
export const LEXICON_FILE = new URL("../data/lexicon.fr.json", import.meta.url);
/** Specialty lexicons (one file per specialty group, so they are curated and reviewed apart). */
export const LEXICON_DIR = new URL("../data/lexicon/", import.meta.url);
/** Other names of single acts, one file per specialty group: what coders call an act that its label does not say. */
export const ALIASES_DIR = new URL("../data/aliases/", import.meta.url);

export interface LexiconFile {
  description?: string;
  terms: Record<string, string>;
  /** Organ → its removal word ("ovaire" → ovariectomie), used when the text says an organ was removed. */
  ectomies?: Record<string, string>;
}

export interface AliasFile {
  description?: string;
  /** Code → other names of that act, in plain French ("cholécystectomie cœlioscopique", "ablation de la vésicule"). */
  aliases: Record<string, string[]>;
}

async function readJsonFiles<T>(dir: URL, prefix: string): Promise<[string, T][]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".json")).sort();
  return Promise.all(
    names.map(
      async (n): Promise<[string, T]> => [
        `${prefix}${n}`,
        JSON.parse(await readFile(new URL(n, dir), "utf8")),
      ],
    ),
  );
}

/** Every lexicon file by name: the general one first, then the specialty files in name order. */
export async function readLexiconFiles(): Promise<[string, LexiconFile][]> {
  return [
    ["lexicon.fr.json", JSON.parse(await readFile(LEXICON_FILE, "utf8")) as LexiconFile],
    ...(await readJsonFiles<LexiconFile>(LEXICON_DIR, "lexicon/")),
  ];
}

export function readAliasFiles(): Promise<[string, AliasFile][]> {
  return readJsonFiles<AliasFile>(ALIASES_DIR, "aliases/");
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

export interface Aliases {
  byCode: Map<string, string[]>;
  /** sha256 of the alias files, part of the retrieval index's cache key (aliases are indexed). */
  sha256: string;
}

let cachedAliases: Promise<Aliases> | undefined;

/** The aliases of every file, merged by code (read once per process, like the lexicon). */
export function loadAliases(): Promise<Aliases> {
  cachedAliases ??= mergeAliases();
  return cachedAliases;
}

async function mergeAliases(): Promise<Aliases> {
  const files = await readAliasFiles();
  const byCode = new Map<string, string[]>();
  for (const [, file] of files)
    for (const [code, names] of Object.entries(file.aliases))
      byCode.set(code, [...(byCode.get(code) ?? []), ...names]);
  const sha256 = createHash("sha256")
    .update(JSON.stringify(files.map(([name, f]) => [name, f.aliases])))
    .digest("hex");
  return { byCode, sha256 };
}
