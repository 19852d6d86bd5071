import type { Act, ActLine, Chapter, Modifier, ReferentialVersion } from "./model.js";

/**
 * One loaded CCAM version, indexed for lookups. Pure and immutable: the rule engine, the coder and the API
 * read the same instance.
 */
export class Referential {
  readonly acts: ReadonlyMap<string, Act>;
  readonly chapters: ReadonlyMap<string, Chapter>;
  readonly modifiers: ReadonlyMap<string, Modifier>;
  /** Trails already walked: the rule engine asks for the same chapters on every validation. */
  private readonly trails = new Map<string, readonly Chapter[]>();

  constructor(
    readonly version: ReferentialVersion,
    content: { acts: readonly Act[]; chapters: readonly Chapter[]; modifiers: readonly Modifier[] },
  ) {
    this.acts = new Map(content.acts.map((act) => [act.code, act]));
    this.chapters = new Map(content.chapters.map((chapter) => [chapter.path, chapter]));
    this.modifiers = new Map(content.modifiers.map((modifier) => [modifier.code, modifier]));
  }

  act(code: string): Act | undefined {
    return this.acts.get(code);
  }

  line(code: string, activity: number, phase: number): ActLine | undefined {
    return this.acts.get(code)?.lines.find((l) => l.activity === activity && l.phase === phase);
  }

  /** The chapters from the top level down to `path` ("01", "01.01", "01.01.01", …). */
  chapterTrail(path: string): Chapter[] {
    let trail = this.trails.get(path);
    if (!trail) {
      const parts = path.split(".");
      const found: Chapter[] = [];
      for (let depth = 1; depth <= parts.length; depth++) {
        const chapter = this.chapters.get(parts.slice(0, depth).join("."));
        if (chapter) found.push(chapter);
      }
      trail = found;
      this.trails.set(path, trail);
    }
    // A copy: the caller may change its array.
    return [...trail];
  }
}

/** All loaded versions; picks the one in force at a date. */
export class ReferentialCatalog {
  private readonly byId = new Map<string, Referential>();

  constructor(referentials: Iterable<Referential> = []) {
    for (const referential of referentials) this.add(referential);
  }

  add(referential: Referential): void {
    this.byId.set(referential.version.version, referential);
  }

  get(version: string): Referential | undefined {
    return this.byId.get(version);
  }

  /** Newest first. */
  list(): Referential[] {
    return [...this.byId.values()].sort((a, b) =>
      b.version.effectiveDate.localeCompare(a.version.effectiveDate),
    );
  }

  latest(): Referential | undefined {
    return this.list()[0];
  }

  /** The version in force at `date` (YYYY-MM-DD): the newest whose effective date is on or before it. */
  atDate(date: string): Referential | undefined {
    return this.list().find((r) => r.version.effectiveDate <= date);
  }
}
