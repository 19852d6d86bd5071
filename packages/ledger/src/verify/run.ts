import { readFile } from "node:fs/promises";
import {
  report,
  type VerificationReport,
  verifyConsistencyDocument,
  verifyProofBundle,
  verifyProofDocument,
} from "./proof.js";

/**
 * `ccam verify --proof FILE --rpc URL`: verifies an exported proof, proof bundle or consistency document using only the file
 * and a chain endpoint. Returns the report and its human-readable form; exit code 0 when valid, 1 otherwise.
 */
export async function runVerify(options: { proofFile: string; rpcUrl: string }): Promise<{
  report: VerificationReport;
  text: string;
  exitCode: 0 | 1;
}> {
  const result = await verifyFile(options.proofFile, options.rpcUrl);
  return { report: result, text: formatReport(result), exitCode: result.valid ? 0 : 1 };
}

async function verifyFile(file: string, rpcUrl: string): Promise<VerificationReport> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    return report([{ name: "document", ok: false, detail: `unreadable: ${(error as Error).message}` }]);
  }
  switch ((doc as { format?: unknown } | null)?.format) {
    case "ccam-ledger-consistency/1":
      return verifyConsistencyDocument(doc, rpcUrl);
    case "ccam-ledger-proofs/1":
      return verifyProofBundle(doc, rpcUrl);
    default:
      return verifyProofDocument(doc, rpcUrl);
  }
}

export function formatReport(result: VerificationReport): string {
  const lines = result.checks.map((c) => `${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(11)} ${c.detail}`);
  lines.push(result.valid ? "VALID" : "INVALID");
  return `${lines.join("\n")}\n`;
}
