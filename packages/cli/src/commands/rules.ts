import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  ReferentialVersionError,
  referentialFor,
  ValidationInputSchema,
  type ValidationResult,
  validate,
} from "@ccam/ccam";
import type { Command } from "commander";
import { CliError, EXIT } from "../cli-error.js";
import { printJson, printTable, withRuntime } from "../context.js";

/** `ccam validate FILE.json`: the rule engine on one session (same JSON as POST /ccam/validate). */
export function registerRulesCommands(program: Command): void {
  program
    .command("validate")
    .description(
      "Check the lines of one session against the CCAM rules and price them (exit 0 valid, 1 blocking issues, 2 bad input)",
    )
    .argument(
      "<file>",
      "JSON file: {date, version?, setting?, patient?, acts: [{code, activity, phase, modifiers?, …}]}",
    )
    .option("--json", "print JSON")
    .action(async (file: string, options: { json?: boolean }) => {
      const input = readInput(file);
      const result = await withRuntime(async (runtime) => {
        try {
          return validate(input, referentialFor(input, runtime.referentials.catalogView));
        } catch (error) {
          if (error instanceof ReferentialVersionError) throw new CliError(error.message, EXIT.badInput);
          throw error;
        }
      });
      if (options.json) printJson(result);
      else printResult(result);
      if (!result.valid) process.exitCode = EXIT.failure;
    });
}

function readInput(file: string) {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`No such file: ${path}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = ValidationInputSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new CliError(`${path}: invalid input\n  ${fields.join("\n  ")}`);
  }
  return parsed.data;
}

function printResult(result: ValidationResult): void {
  process.stdout.write(
    `CCAM ${result.version}: ${result.valid ? "valid" : "NOT valid (blocking issues)"}\n\n`,
  );
  printTable(
    result.lines.map((l) => ({
      ...l,
      modifiers: l.modifiers.join(""),
      associationCode: l.associationCode ?? "",
      baseAmount: l.baseAmount ?? "",
      amount: l.amount ?? "",
    })),
    ["code", "activity", "phase", "modifiers", "associationCode", "baseAmount", "rate", "amount"],
  );
  process.stdout.write(`total ${result.total.toFixed(2)} €\n`);
  for (const issue of result.issues) {
    process.stdout.write(
      `\n[${issue.severity}] ${issue.rule}${issue.code ? ` ${issue.code}` : ""}: ${issue.message}\n  source: ${issue.reference}\n`,
    );
  }
}
