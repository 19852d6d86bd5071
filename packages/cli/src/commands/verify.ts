import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { runVerify } from "@ccam/ledger";
import { HttpProblem, type Runtime } from "@ccam/server";
import type { Command } from "commander";
import { CliError, EXIT } from "../cli-error.js";
import { printJson, withRuntime } from "../context.js";

/** The CLI reads as an auditor: every act of the site, never the clinical text; its own readings are not audited. */
const AUDITOR = {
  actor: { id: "cli", roles: ["auditeur"] },
  requestId: null,
  seesAllActs: true,
  readsClinicalText: false,
};

/**
 * `ccam verify ACT_ID` recomputes an act's audit trail from the database (hash chain, each leaf, each proof, each
 * root on chain), like `GET /audit/{id}/verify`; `--export FILE` also writes its proofs for an outside auditor.
 * `ccam verify --proof FILE --rpc URL` is that auditor's check: an exported proof, bundle or consistency document
 * against any endpoint of the chain, without our database. Exit 0 valid, 1 invalid, 2 bad input.
 */
export function registerVerifyCommands(program: Command): void {
  program
    .command("verify")
    .description("Verify an act's audit trail against the chain, or an exported proof without the database")
    .argument("[actId]", "act id (uuid): verify from the database and the chain")
    .option("--export <file>", "with ACT_ID: also write the act's proofs (ccam-ledger-proofs/1) to FILE")
    .option(
      "--proof <file>",
      "proof document or bundle exported by the ledger or GET /audit/{id}/proofs (JSON)",
    )
    .option("--rpc <url>", "with --proof: JSON-RPC endpoint of the chain holding the CCAMRegistry")
    .option("--json", "print JSON")
    .action(
      async (
        actId: string | undefined,
        options: { export?: string; proof?: string; rpc?: string; json?: boolean },
      ) => {
        if (actId) return verifyAct(actId, options);
        if (!options.proof || !options.rpc)
          throw new CliError("Give an ACT_ID, or --proof FILE and --rpc URL");
        const proofFile = resolve(options.proof);
        if (!existsSync(proofFile)) throw new CliError(`No such file: ${proofFile}`);
        if (!/^https?:\/\//.test(options.rpc))
          throw new CliError(`--rpc must be an http(s) URL: ${options.rpc}`);
        const result = await runVerify({ proofFile, rpcUrl: options.rpc });
        if (options.json) printJson(result.report);
        else process.stdout.write(result.text);
        process.exitCode = result.exitCode;
      },
    );
}

async function verifyAct(actId: string, options: { export?: string; json?: boolean }): Promise<void> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(actId)) {
    throw new CliError(`Not an act id (uuid): ${actId}`);
  }
  const { verification, bundle } = await withRuntime(
    async (runtime: Runtime) => {
      const acts = runtime.workflow?.acts;
      if (!acts)
        throw new CliError("The act workflow needs the ledger (CCAM_LEDGER_MODE is not off?)", EXIT.failure);
      try {
        const verification = await acts.verify(actId, AUDITOR);
        const bundle = options.export ? await acts.exportProofs(actId, AUDITOR) : undefined;
        return { verification, bundle };
      } catch (error) {
        if (error instanceof HttpProblem)
          throw new CliError(
            error.detail ?? error.message,
            error.status === 404 ? EXIT.badInput : EXIT.failure,
          );
        throw error;
      }
    },
    { ledger: true },
  );
  if (bundle && options.export)
    writeFileSync(resolve(options.export), `${JSON.stringify(bundle, null, 2)}\n`);
  if (options.json) printJson(verification);
  else {
    for (const entry of verification.entries) {
      const anchor = entry.anchor.anchored
        ? entry.anchor.ok
          ? "anchored, proof ok"
          : "anchored, PROOF FAILS"
        : "not anchored yet";
      process.stdout.write(`${String(entry.position).padStart(3)} ${entry.kind.padEnd(18)} ${anchor}\n`);
    }
    for (const difference of verification.differences) process.stdout.write(`FAIL ${difference}\n`);
    process.stdout.write(`${verification.verified ? "VERIFIED" : "NOT VERIFIED"}\n`);
  }
  if (!verification.verified) process.exitCode = EXIT.failure;
}
