import {
  ActSearchIndex,
  diffReferentials,
  type ImportFileOptions,
  type ImportSummary,
  importReferentialFile,
  interner,
  type Referential,
  ReferentialCatalog,
  type ReferentialDiff,
  type ReferentialStore,
  ReferentialVersionError,
  referentialFor,
  type ValidationInput,
  type ValidationResult,
  validate,
} from "@ccam/ccam";
import { HttpProblem } from "../problem.js";

/** The loaded CCAM versions, kept in memory; the database is only read at start and after an import. */
export class ReferentialService {
  private readonly searchIndexes = new Map<string, ActSearchIndex>();
  private readonly diffs = new Map<string, ReferentialDiff>();

  private constructor(
    private readonly store: ReferentialStore,
    private catalog: ReferentialCatalog,
  ) {}

  static async load(store: ReferentialStore): Promise<ReferentialService> {
    return new ReferentialService(store, await store.loadCatalog());
  }

  get versions(): Referential[] {
    return this.catalog.list();
  }

  get loaded(): boolean {
    return this.catalog.latest() !== undefined;
  }

  /** The named version, or the latest one; 404 when it is unknown, 503 when nothing is imported. */
  resolve(version?: string): Referential {
    if (!version) {
      const latest = this.catalog.latest();
      if (!latest) {
        throw new HttpProblem(503, "Référentiel absent", "No CCAM version is imported yet; see /readyz.");
      }
      return latest;
    }
    const referential = this.catalog.get(version);
    if (!referential) {
      const known = this.versions.map((r) => r.version.version).join(", ") || "none";
      throw new HttpProblem(
        404,
        "Version inconnue",
        `CCAM version ${version} is not imported (known: ${known}).`,
      );
    }
    return referential;
  }

  /** The version in force at a date (YYYY-MM-DD). */
  atDate(date: string): Referential | undefined {
    return this.catalog.atDate(date);
  }

  /**
   * Runs the rule engine on `input` against `input.version` or the version in force at `input.date`: an unknown
   * version is a 404, a date before every loaded version a 422 (both problem+json). Used by POST /ccam/validate
   * and by the act workflow.
   */
  validate(input: ValidationInput): ValidationResult {
    if (!this.loaded) {
      throw new HttpProblem(503, "Référentiel absent", "No CCAM version is imported yet; see /readyz.");
    }
    try {
      return validate(input, referentialFor(input, this.catalog));
    } catch (error) {
      if (error instanceof ReferentialVersionError) {
        throw error.reason === "unknown_version"
          ? new HttpProblem(404, "Version inconnue", error.message)
          : new HttpProblem(422, "Aucune version en vigueur", error.message, [
              { field: "date", message: error.message },
            ]);
      }
      throw error;
    }
  }

  get catalogView(): ReferentialCatalog {
    return this.catalog;
  }

  searchIndex(referential: Referential): ActSearchIndex {
    const key = referential.version.version;
    let index = this.searchIndexes.get(key);
    if (!index) {
      index = new ActSearchIndex(referential);
      this.searchIndexes.set(key, index);
    }
    return index;
  }

  diff(from: string, to: string): ReferentialDiff {
    const key = `${from}→${to}`;
    let diff = this.diffs.get(key);
    if (!diff) {
      diff = diffReferentials(this.resolve(from), this.resolve(to));
      this.diffs.set(key, diff);
    }
    return diff;
  }

  async importFile(path: string, options: ImportFileOptions = {}): Promise<ImportSummary> {
    const summary = await importReferentialFile(this.store, path, options);
    if (summary.status === "imported") {
      // Sharing the loaded versions' strings: consecutive versions repeat nearly every label and note.
      const referential = await this.store.loadVersion(summary.version, interner(this.catalog.list()));
      if (referential) {
        const next = new ReferentialCatalog(this.catalog.list());
        next.add(referential);
        this.catalog = next;
        this.diffs.clear();
      }
    }
    return summary;
  }
}
