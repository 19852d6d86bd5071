import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { runVerify } from "@ccam/ledger";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { printJson } from "../context.js";

/**
 * `ccam verify --proof FILE --rpc URL`: an outside auditor's check of an exported ledger proof (inclusion or
 * consistency) against any endpoint of the chain, without our database. Exit 0 valid, 1 invalid, 2 bad input.
 */
export function registerVerifyCommands(program: Command): void {
  program
    .command("verify")
    .description("Verify an exported ledger proof against the chain, without the database")
    .requiredOption("--proof <file>", "proof document exported by the ledger (JSON)")
    .requiredOption("--rpc <url>", "JSON-RPC endpoint of the chain holding the CCAMRegistry")
    .option("--json", "print JSON")
    .action(async (options: { proof: string; rpc: string; json?: boolean }) => {
      const proofFile = resolve(options.proof);
      if (!existsSync(proofFile)) throw new CliError(`No such file: ${proofFile}`);
      if (!/^https?:\/\//.test(options.rpc))
        throw new CliError(`--rpc must be an http(s) URL: ${options.rpc}`);
      const result = await runVerify({ proofFile, rpcUrl: options.rpc });
      if (options.json) printJson(result.report);
      else process.stdout.write(result.text);
      process.exitCode = result.exitCode;
    });
}
