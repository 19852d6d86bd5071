import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ReferentialParseError, VersionConflictError } from "@ccam/ccam";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { printJson, printTable, withRuntime } from "../context.js";

/** `ccam import`, `versions`, `stats`, `search`, `show`, `diff`: the nomenclature itself. */
export function registerReferentialCommands(program: Command): void {
  program
    .command("import")
    .description("Import an official CCAM export (CSV or XLSX); the same file twice is a no-op")
    .argument("<file>", "the Assurance Maladie CCAM sheet")
    .option("--json", "print JSON")
    .action(async (file: string, options: { json?: boolean }) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new CliError(`No such file: ${path}`);
      await withRuntime(async (runtime) => {
        const bar =
          process.stderr.isTTY && !options.json
            ? new SingleBar({ format: "  {step} [{bar}] {percentage}% ({value}/{total} rows)" })
            : undefined;
        try {
          const summary = await runtime.referentials.importFile(path, {
            nomenslandDir: existsSync(runtime.config.nomenslandDir)
              ? runtime.config.nomenslandDir
              : undefined,
            onProgress: bar
              ? ({ step, done, total }) => {
                  if (done === 0 || !bar.getTotal()) bar.start(total, done, { step });
                  bar.update(done, { step });
                }
              : undefined,
          });
          bar?.stop();
          const { skippedRows, notEnriched, status, ...result } = summary;
          if (options.json) return printJson({ ...result, status });
          process.stdout.write(
            `${status === "imported" ? "Imported" : "Already imported (same sha256), nothing to do:"} CCAM ${result.version} ` +
              `effective ${result.effectiveDate}: ${result.acts} acts, ${result.lines} lines, ${result.chapters} chapters, ` +
              `${result.notes} notes, ${result.skipped} row(s) skipped.\nsha256 ${result.sha256}\n`,
          );
          for (const row of skippedRows) process.stdout.write(`  skipped line ${row.line}: ${row.reason}\n`);
          if (notEnriched)
            process.stdout.write(`  ${notEnriched} act(s) absent from the ATIH enrichment tables.\n`);
        } catch (error) {
          bar?.stop();
          if (error instanceof ReferentialParseError)
            throw new CliError(`${path}: ${error.message}; nothing was imported.`);
          if (error instanceof VersionConflictError) throw new CliError(error.message);
          throw error;
        }
      });
    });

  program
    .command("versions")
    .description("List the imported CCAM versions")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await withRuntime(async (runtime) => {
        const versions = runtime.referentials.versions.map((r) => r.version).reverse();
        if (options.json) return printJson(versions);
        if (versions.length === 0)
          return void process.stdout.write("No CCAM version imported yet (ccam import FILE).\n");
        printTable(
          versions.map((v) => ({ ...v, ...v.stats, sha256: v.sourceSha256.slice(0, 12) })),
          [
            "version",
            "effectiveDate",
            "acts",
            "lines",
            "chapters",
            "notes",
            "sourceFile",
            "sha256",
            "importedAt",
          ],
        );
      });
    });

  program
    .command("stats")
    .description("Counts for one version: acts, lines, chapters, notes, modifiers, act types, unpriced acts")
    .option("--version <version>", "version id, e.g. V81 (default: latest)")
    .option("--json", "print JSON")
    .action(async (options: { version?: string; json?: boolean }) => {
      await withRuntime(async (runtime) => {
        const referential = resolveVersion(runtime, options.version);
        const acts = [...referential.acts.values()];
        const lines = acts.flatMap((a) => a.lines);
        const count = (values: (string | null)[]) =>
          Object.fromEntries(
            [
              ...values.reduce(
                (m, v) => m.set(v ?? "unknown", (m.get(v ?? "unknown") ?? 0) + 1),
                new Map<string, number>(),
              ),
            ].sort(),
          );
        const stats = {
          version: referential.version.version,
          effectiveDate: referential.version.effectiveDate,
          ...referential.version.stats,
          linesByActivity: count(lines.map((l) => String(l.activity))),
          actsByType: count(acts.map((a) => a.type)),
          actsBySex: count(acts.map((a) => a.sex)),
          notPriced: acts.filter((a) => a.lines.length > 0 && a.lines.every((l) => l.tariffSecteur1 === null))
            .length,
          priorApproval: acts.filter((a) => a.lines.some((l) => l.priorApproval)).length,
          reimbursementConditions: acts.filter((a) => a.lines.some((l) => l.reimbursementConditions)).length,
        };
        if (options.json) return printJson(stats);
        for (const [key, value] of Object.entries(stats)) {
          process.stdout.write(
            `${key.padEnd(26)}${typeof value === "object" ? JSON.stringify(value) : value}\n`,
          );
        }
      });
    });

  program
    .command("search")
    .description("Search acts by code, code prefix or words of the label")
    .argument("<text>", 'words, e.g. "prothèse totale de hanche", or a code prefix such as NEKA')
    .option("--version <version>", "version id (default: latest)")
    .option("--limit <n>", "maximum number of results", "10")
    .option("--json", "print JSON")
    .action(async (text: string, options: { version?: string; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        throw new CliError("--limit must be an integer from 1 to 100");
      if (!text.trim()) throw new CliError("the search text is empty");
      await withRuntime(async (runtime) => {
        const referential = resolveVersion(runtime, options.version);
        const hits = runtime.referentials.searchIndex(referential).search(text, limit);
        if (options.json) return printJson({ version: referential.version.version, hits });
        if (hits.length === 0) return void process.stdout.write("No act matches.\n");
        printTable(
          hits.map((h) => ({ ...h, label: h.label.length > 90 ? `${h.label.slice(0, 89)}…` : h.label })),
          ["code", "label", "chapter"],
        );
      });
    });

  program
    .command("show")
    .description("Show one act: lines and tariffs, modifiers, notes, complementary acts, chapter path")
    .argument("<code>", "CCAM code, e.g. NEKA020")
    .option("--version <version>", "version id (default: latest)")
    .option("--json", "print JSON")
    .action(async (rawCode: string, options: { version?: string; json?: boolean }) => {
      const code = rawCode.trim().toUpperCase();
      if (!/^[A-Z]{4}\d{3}$/.test(code))
        throw new CliError(`"${rawCode}" is not a CCAM code (4 letters and 3 digits)`);
      await withRuntime(async (runtime) => {
        const referential = resolveVersion(runtime, options.version);
        const act = referential.act(code);
        if (!act) throw new CliError(`${code} does not exist in CCAM ${referential.version.version}`, 1);
        const chapterPath = referential.chapterTrail(act.chapter).map(({ path, title }) => ({ path, title }));
        if (options.json) return printJson({ version: referential.version.version, ...act, chapterPath });
        const out = (line: string) => process.stdout.write(`${line}\n`);
        out(`${act.code}  ${act.label}`);
        if (act.shortLabel) out(`  short label: ${act.shortLabel}`);
        out(`  chapter: ${chapterPath.map((c) => `${c.path} ${c.title}`).join(" › ")}`);
        out(
          `  type: ${act.type ?? "unknown"}, sex: ${act.sex ?? "unknown"}, valid: ${act.startDate ?? "?"} → ${act.endDate ?? "open"}`,
        );
        for (const l of act.lines) {
          const tariff = (v: number | null) => (v === null ? "non pris en charge" : `${v.toFixed(2)} €`);
          const flags = [l.priorApproval && "AP", l.reimbursementConditions && "RC"]
            .filter(Boolean)
            .join(" ");
          out(
            `  activity ${l.activity} phase ${l.phase}: ${tariff(l.tariffSecteur1)} / ${tariff(l.tariffHorsSecteur1)} ${l.regroupement ?? ""} ${flags} ${l.label ?? ""}`.trimEnd(),
          );
        }
        if (act.modifiers.length) out(`  modifiers: ${act.modifiers.join(", ")}`);
        if (act.complementary.length) out(`  complementary acts: ${act.complementary.join(", ")}`);
        for (const note of act.notes) out(`  [${note.kind}] ${note.text.replace(/\n/g, " ")}`);
      });
    });

  program
    .command("diff")
    .description("Acts added, removed and changed between two versions")
    .argument("<from>", "older version id, e.g. V78")
    .argument("<to>", "newer version id, e.g. V81")
    .option("--json", "print JSON")
    .action(async (from: string, to: string, options: { json?: boolean }) => {
      await withRuntime(async (runtime) => {
        resolveVersion(runtime, from);
        resolveVersion(runtime, to);
        const diff = runtime.referentials.diff(from, to);
        if (options.json) return printJson(diff);
        const out = (line: string) => process.stdout.write(`${line}\n`);
        out(
          `${from} → ${to}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`,
        );
        for (const a of diff.added) out(`  + ${a.code} ${a.label}`);
        for (const r of diff.removed) out(`  - ${r.code} ${r.label}`);
        const byField = new Map<string, number>();
        for (const c of diff.changed)
          for (const f of c.fields)
            byField.set(f.replace(/\[.*?\]/, "[]"), (byField.get(f.replace(/\[.*?\]/, "[]")) ?? 0) + 1);
        for (const [field, n] of [...byField].sort((a, b) => b[1] - a[1])) out(`  ~ ${field}: ${n}`);
      });
    });
}

function resolveVersion(runtime: Parameters<Parameters<typeof withRuntime>[0]>[0], version?: string) {
  if (version && !/^V\d{1,4}$/.test(version))
    throw new CliError(`"${version}" is not a version id (e.g. V81)`);
  const referential = version
    ? runtime.referentials.catalogView.get(version)
    : runtime.referentials.catalogView.latest();
  if (!referential) {
    const known = runtime.referentials.versions.map((r) => r.version.version).join(", ") || "none";
    throw new CliError(
      version
        ? `CCAM version ${version} is not imported (known: ${known})`
        : "No CCAM version imported yet (ccam import FILE)",
      version ? 2 : 1,
    );
  }
  return referential;
}
