import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ReferentialParseError, VersionConflictError } from "@ccam/ccam";
import type { Ledger } from "@ccam/ledger";
import type { ImportJob } from "../routes/ccam-schemas.js";
import type { ReferentialService } from "./referential-service.js";

/** Finished jobs kept for GET /ccam/imports/{id} (the oldest finished ones are forgotten first). */
const KEEP_FINISHED = 20;

export interface ImportJobsOptions {
  referentials: ReferentialService;
  /** Queues a new version's source sha256 for registration on chain; absent when this process has no ledger. */
  ledger: Pick<Ledger, "registerReferentialVersion"> | undefined;
  /** Where uploads are written while they are imported (a folder of CCAM_DATA_DIR); each job's file is removed. */
  workDir: string;
  nomenslandDir: string | undefined;
  onError?: (job: ImportJob, error: unknown) => void;
}

/**
 * Imports of uploaded official exports, one at a time, in the background of this process. The jobs live in
 * memory: the process that accepted an upload imports it and is the one that answers its progress.
 */
export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: ImportJobsOptions) {}

  /** Writes the upload to the work folder and queues its import; answers the job as it starts. */
  async start(bytes: Buffer, fileName: string): Promise<ImportJob> {
    const id = randomUUID();
    const dir = join(this.options.workDir, id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, fileName);
    await writeFile(path, bytes, { mode: 0o600 });
    const job: ImportJob = {
      id,
      status: "running",
      fileName,
      bytes: bytes.length,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      progress: { phase: "en attente", done: 0, total: 0 },
    };
    this.jobs.set(id, job);
    this.prune();
    this.queue = this.queue.then(() => this.run(job, path, dir));
    return structuredClone(job);
  }

  get(id: string): ImportJob | undefined {
    const job = this.jobs.get(id);
    return job && structuredClone(job);
  }

  /** Resolves once every queued import has finished (the server waits for it before closing the database). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async run(job: ImportJob, path: string, dir: string): Promise<void> {
    // The outcome is published all at once, after the upload is removed: a poller never sees half of it.
    let outcome: Partial<ImportJob>;
    try {
      job.progress = { phase: "lecture", done: 0, total: 0 };
      const summary = await this.options.referentials.importFile(path, {
        nomenslandDir: this.options.nomenslandDir,
        onProgress: ({ step, done, total }) => {
          job.progress = { phase: done >= total ? "chargement" : step, done, total };
        },
      });
      const total = job.progress.total;
      outcome = {
        summary,
        progress: { phase: "terminé", done: total, total },
        ...(summary.status === "imported"
          ? { status: "imported", registration: await this.register(job, summary.version, summary.sha256) }
          : { status: "skipped" }),
      };
    } catch (error) {
      outcome = { status: "failed", error: (error as Error).message };
      if (error instanceof ReferentialParseError) {
        outcome.errorLine = error.line;
      } else if (!(error instanceof VersionConflictError)) {
        outcome.error = `the import failed: ${(error as Error).message}`;
        this.options.onError?.(job, error);
      }
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    Object.assign(job, outcome, { finishedAt: new Date().toISOString() });
  }

  /** Anchors the new version like the ones imported at start (bootstrap.ts registerReferentialVersions). */
  private async register(
    job: ImportJob,
    version: string,
    sha256: string,
  ): Promise<ImportJob["registration"]> {
    if (!this.options.ledger) return null;
    try {
      await this.options.ledger.registerReferentialVersion(version, sha256);
      return "queued";
    } catch (error) {
      this.options.onError?.(job, error);
      return "failed";
    }
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((job) => job.status !== "running");
    for (const job of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.jobs.delete(job.id);
  }
}
