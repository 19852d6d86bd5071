import { fileURLToPath } from "node:url";
import type { Database, MigrationSet } from "@ccam/db";
import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { type Interner, interner, internStrings } from "../domain/intern.js";
import type { Act, Chapter, Modifier, Note, ReferentialVersion } from "../domain/model.js";
import { Referential, ReferentialCatalog } from "../domain/referential.js";
import { type LoadedSource, versionRecord } from "../import/load.js";
import * as t from "./schema.js";

/** The referential's migrations, applied by `@ccam/db` `migrate()`. Same relative path from src/ and dist/. */
export const ccamMigrations: MigrationSet = {
  module: "ccam",
  folder: fileURLToPath(new URL("../../drizzle", import.meta.url)),
};

export interface ImportProgress {
  step: string;
  done: number;
  total: number;
}

export type ImportOutcome =
  | { status: "imported"; version: ReferentialVersion }
  | { status: "already_imported"; version: ReferentialVersion };

export class VersionConflictError extends Error {
  constructor(
    readonly version: string,
    readonly existingSha256: string,
  ) {
    super(
      `Version ${version} is already imported from another file (sha256 ${existingSha256.slice(0, 12)}…); ` +
        "a version is immutable once imported.",
    );
    this.name = "VersionConflictError";
  }
}

const BATCH = 1000;

/** Saves and loads referential versions. A version is written once, in one transaction, and never updated. */
export class ReferentialStore {
  constructor(private readonly db: Database) {}

  async findBySha256(sha256: string): Promise<ReferentialVersion | undefined> {
    const rows = await this.db
      .select()
      .from(t.referentialVersions)
      .where(eq(t.referentialVersions.sourceSha256, sha256));
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async listVersions(): Promise<ReferentialVersion[]> {
    const rows = await this.db
      .select()
      .from(t.referentialVersions)
      .orderBy(asc(t.referentialVersions.effectiveDate));
    return rows.map(toVersion);
  }

  /** Writes a parsed version; the same file (sha256) again is a no-op. All or nothing. */
  async importSource(
    loaded: LoadedSource,
    onProgress?: (progress: ImportProgress) => void,
  ): Promise<ImportOutcome> {
    const existing = await this.findBySha256(loaded.source.sha256);
    if (existing) return { status: "already_imported", version: existing };
    const record = versionRecord(loaded);
    const { parsed } = loaded;
    const saved = await this.db.transaction(async (tx) => {
      const clash = await tx
        .select()
        .from(t.referentialVersions)
        .where(eq(t.referentialVersions.version, record.version));
      if (clash[0]) throw new VersionConflictError(record.version, clash[0].sourceSha256);
      const [row] = await tx
        .insert(t.referentialVersions)
        .values({
          version: record.version,
          number: record.number,
          name: record.name,
          effectiveDate: record.effectiveDate,
          sourceSha256: record.sourceSha256,
          sourceFile: record.sourceFile,
          stats: record.stats,
        })
        .returning();
      if (!row) throw new Error("insert of referential_versions returned nothing");
      const versionId = row.id;
      const noteRows = (ownerType: "act" | "chapter" | "modifier", owner: string, list: Note[]) =>
        list.map((note, position) => ({
          versionId,
          ownerType,
          owner,
          position,
          kind: note.kind,
          text: note.text,
        }));

      const tables: { step: string; rows: Record<string, unknown>[]; table: PgTable }[] = [
        {
          step: "chapitres",
          table: t.chapters,
          rows: parsed.chapters.map((c, position) => ({ versionId, path: c.path, title: c.title, position })),
        },
        {
          step: "actes",
          table: t.acts,
          rows: parsed.acts.map((a, position) => ({
            versionId,
            code: a.code,
            label: a.label,
            shortLabel: a.shortLabel,
            chapter: a.chapter,
            type: a.type,
            sex: a.sex,
            startDate: a.startDate,
            endDate: a.endDate,
            modifiers: a.modifiers,
            position,
          })),
        },
        {
          step: "lignes",
          table: t.actLines,
          rows: parsed.acts.flatMap((a) =>
            a.lines.map((l, position) => ({ versionId, code: a.code, ...l, position })),
          ),
        },
        {
          step: "actes complémentaires",
          table: t.actComplements,
          rows: parsed.acts.flatMap((a) =>
            a.complementary.map((complementaryCode, position) => ({
              versionId,
              code: a.code,
              position,
              complementaryCode,
            })),
          ),
        },
        {
          step: "notes",
          table: t.notes,
          rows: [
            ...parsed.chapters.flatMap((c) => noteRows("chapter", c.path, c.notes)),
            ...parsed.acts.flatMap((a) => noteRows("act", a.code, a.notes)),
            ...parsed.modifiers.flatMap((m) => noteRows("modifier", m.code, m.notes)),
          ],
        },
        {
          step: "modificateurs",
          table: t.modifiers,
          rows: parsed.modifiers.map((m, position) => ({
            versionId,
            code: m.code,
            chapter: m.chapter,
            label: m.label,
            rates: m.rates,
            position,
          })),
        },
      ];
      const total = tables.reduce((sum, table) => sum + table.rows.length, 0);
      let done = 0;
      for (const { step, table, rows } of tables) {
        for (let start = 0; start < rows.length; start += BATCH) {
          const batch = rows.slice(start, start + BATCH);
          await tx.insert(table).values(batch as never);
          done += batch.length;
          onProgress?.({ step, done, total });
        }
      }
      return toVersion(row);
    });
    return { status: "imported", version: saved };
  }

  /**
   * Loads one version into memory (about 8,000 acts), or undefined if it is not imported. `intern` gives equal
   * strings one copy: the rows of two versions repeat nearly every label and note.
   */
  async loadVersion(version: string, intern: Interner = interner()): Promise<Referential | undefined> {
    const [row] = await this.db
      .select()
      .from(t.referentialVersions)
      .where(eq(t.referentialVersions.version, version));
    if (!row) return undefined;
    const versionId = row.id;
    const [chapterRows, actRows, lineRows, complementRows, noteRows, modifierRows] = await Promise.all([
      versionRows(this.db, t.chapters, versionId),
      versionRows(this.db, t.acts, versionId),
      versionRows(this.db, t.actLines, versionId),
      versionRows(this.db, t.actComplements, versionId),
      versionRows(this.db, t.notes, versionId),
      versionRows(this.db, t.modifiers, versionId),
    ]);
    for (const rows of [chapterRows, actRows, lineRows, complementRows, noteRows, modifierRows])
      for (const row of rows) internStrings(row, intern);
    const notesOf = new Map<string, Note[]>();
    for (const n of noteRows) push(notesOf, `${n.ownerType}:${n.owner}`, { kind: n.kind, text: n.text });
    const chapterList: Chapter[] = chapterRows.map((c) => ({
      path: c.path,
      title: c.title,
      notes: notesOf.get(`chapter:${c.path}`) ?? [],
    }));
    const actsByCode = new Map<string, Act>();
    for (const a of actRows) {
      actsByCode.set(a.code, {
        code: a.code,
        label: a.label,
        shortLabel: a.shortLabel,
        chapter: a.chapter,
        type: a.type as Act["type"],
        sex: a.sex as Act["sex"],
        startDate: a.startDate,
        endDate: a.endDate,
        modifiers: a.modifiers,
        complementary: [],
        notes: notesOf.get(`act:${a.code}`) ?? [],
        lines: [],
      });
    }
    for (const { versionId: _v, code, position: _p, ...line } of lineRows)
      actsByCode.get(code)?.lines.push(line);
    for (const c of complementRows) actsByCode.get(c.code)?.complementary.push(c.complementaryCode);
    const modifierList: Modifier[] = modifierRows.map((m) => ({
      code: m.code,
      chapter: m.chapter,
      label: m.label,
      rates: m.rates,
      notes: notesOf.get(`modifier:${m.code}`) ?? [],
    }));
    return new Referential(toVersion(row), {
      acts: [...actsByCode.values()],
      chapters: chapterList,
      modifiers: modifierList,
    });
  }

  async loadCatalog(): Promise<ReferentialCatalog> {
    const versions = await this.listVersions();
    const intern = interner();
    const loaded = await Promise.all(versions.map((v) => this.loadVersion(v.version, intern)));
    return new ReferentialCatalog(loaded.filter((r): r is Referential => r !== undefined));
  }
}

type VersionTable =
  | typeof t.chapters
  | typeof t.acts
  | typeof t.actLines
  | typeof t.actComplements
  | typeof t.notes
  | typeof t.modifiers;

/**
 * Every row of one version's table, in `position` order, each as one JSON text: PGlite decodes a single field per
 * row instead of each column, 1.3–1.9× faster (the bulk of a cold start on PGlite). Not one `json_agg` document:
 * building it doubled the largest result in PGlite's WebAssembly memory, which stays resident (+22 MiB).
 */
async function versionRows<T extends VersionTable>(
  db: Database,
  table: T,
  versionId: number,
): Promise<T["$inferSelect"][]> {
  const fields = Object.entries(getTableColumns(table)).map(
    ([key, column]) => sql`${key}::text, ${sql.identifier(column.name)}`,
  );
  const result = (await db.execute(
    sql`select json_build_object(${sql.join(fields, sql`, `)})::text as row from ${table}
        where ${table.versionId} = ${versionId} order by ${table.position}`,
  )) as unknown as { rows: { row: string }[] };
  return result.rows.map(({ row }) => JSON.parse(row) as T["$inferSelect"]);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function toVersion(row: typeof t.referentialVersions.$inferSelect): ReferentialVersion {
  return {
    version: row.version,
    number: row.number,
    name: row.name,
    effectiveDate: row.effectiveDate,
    sourceSha256: row.sourceSha256,
    sourceFile: row.sourceFile,
    importedAt: new Date(row.importedAt).toISOString(),
    stats: row.stats,
  };
}
