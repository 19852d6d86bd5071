import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  createCoder,
  type EvalCase,
  evaluate,
  llmOptionsFromEnv,
  OpenAiCompatibleProvider,
  readCases,
} from "@ccam/coder";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { printJson, printTable, withRuntime } from "../context.js";

/** `ccam suggest`, `ccam eval`: the offline coding agent. */
export function registerCoderCommands(program: Command): void {
  program
    .command("suggest")
    .description(
      "Suggest CCAM codes for a clinical text (offline; re-ranked by an LLM when CCAM_LLM_* is set)",
    )
    .argument("<text>", 'clinical text, e.g. "cholécystectomie par coelioscopie"')
    .option("--date <date>", "date of the act, YYYY-MM-DD (codes not valid then are dropped)")
    .option("--limit <n>", "number of suggestions", "10")
    .option("--json", "print JSON")
    .action(async (text: string, options: { date?: string; limit: string; json?: boolean }) => {
      if (!text.trim()) throw new CliError("the text is empty");
      if (options.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.date))
        throw new CliError("--date must be YYYY-MM-DD");
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 50)
        throw new CliError("--limit must be an integer from 1 to 50");
      await withRuntime(async (runtime) => {
        const referential = runtime.referentials.catalogView.latest();
        if (!referential) throw new CliError("No CCAM version imported yet (ccam import FILE).");
        const llm = llmOptionsFromEnv();
        const coder = await createCoder({
          referential,
          llm: llm ? new OpenAiCompatibleProvider(llm) : undefined,
        });
        const result = await coder.suggest({ text, date: options.date, limit });
        if (options.json) return printJson(result);
        process.stdout.write(
          `CCAM ${result.referentialVersion}, engine ${result.engine}, ${result.latencyMs} ms\n`,
        );
        if (result.suggestions.length === 0) return void process.stdout.write("No suggestion.\n");
        printTable(
          result.suggestions.map((s) => ({
            code: s.code,
            confidence: s.confidence.toFixed(2),
            tariff: s.tariff ?? "NPC",
            label: s.label.length > 80 ? `${s.label.slice(0, 79)}…` : s.label,
            evidence: s.evidence.map((e) => e.text).join(", "),
          })),
          ["code", "confidence", "tariff", "label", "evidence"],
        );
      });
    });

  program
    .command("eval")
    .description("Evaluate the coder on a JSONL file of cases {id, text, expected, acceptable, specialty}")
    .requiredOption("--cases <file>", "JSONL file of cases")
    .option("--json", "print JSON")
    .action(async (options: { cases: string; json?: boolean }) => {
      const path = resolve(options.cases);
      if (!existsSync(path)) throw new CliError(`No such file: ${path}`);
      let cases: EvalCase[];
      try {
        cases = await readCases(path);
      } catch (error) {
        throw new CliError(`${path}: ${(error as Error).message}`);
      }
      if (cases.length === 0) throw new CliError(`${path}: no case`);
      await withRuntime(async (runtime) => {
        const referential = runtime.referentials.catalogView.latest();
        if (!referential) throw new CliError("No CCAM version imported yet (ccam import FILE).");
        const coder = await createCoder({ referential });
        const { points, ...report } = await evaluate(coder, cases);
        if (options.json) return printJson({ version: referential.version.version, ...report });
        const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
        process.stdout.write(
          `CCAM ${referential.version.version}, ${report.n} cases: top-1 ${pct(report.top1)}, top-3 ${pct(report.top3)}, ` +
            `top-5 ${pct(report.top5)}, MRR ${report.mrr.toFixed(3)}, p50 ${report.p50_ms} ms, p95 ${report.p95_ms} ms\n\n`,
        );
        printTable(
          Object.entries(report.bySpecialty).map(([specialty, s]) => ({
            specialty,
            n: s.n,
            top1: pct(s.top1 / s.n),
            top5: pct(s.top5 / s.n),
          })),
          ["specialty", "n", "top1", "top5"],
        );
        process.stdout.write("\nReliability (top-1 confidence vs accuracy):\n");
        printTable(
          report.reliability.map((b) => ({ ...b })),
          ["range", "n", "meanConfidence", "accuracy"],
        );
        if (report.misses.length > 0) {
          process.stdout.write("\nMisses:\n");
          printTable(
            report.misses.map((m) => ({
              id: m.id,
              rank: m.rank ?? "-",
              expected: m.expected.join(" "),
              got: m.got.slice(0, 3).join(" "),
              text: m.text.length > 60 ? `${m.text.slice(0, 59)}…` : m.text,
            })),
            ["id", "rank", "expected", "got", "text"],
          );
        }
      });
    });
}
