import { fileURLToPath } from "node:url";
import type { MigrationSet } from "@ccam/db";

/** The ledger's tables, applied by `@ccam/db` `migrate()`. Same relative path from src/ and dist/. */
export const ledgerMigrations: MigrationSet = {
  module: "ledger",
  folder: fileURLToPath(new URL("../drizzle", import.meta.url)),
};

export { ANVIL_DEV_PRIVATE_KEY, anvilBinary, EmbeddedNode, type EmbeddedNodeOptions } from "./chain/anvil.js";
export {
  GENESIS_PREVIOUS_ROOT,
  type OnChainTreeHead,
  type OverrideMessage,
  Registry,
  RegistryReader,
  revertErrorName,
} from "./chain/registry.js";
export { registryAbi } from "./chain/registry-artifact.js";
export {
  type LedgerConfig,
  type LedgerConfigInput,
  LedgerConfigSchema,
  ledgerConfigFromEnv,
} from "./config.js";
export { type CanonicalValue, canonicalJson, computeLeafHash } from "./leaf.js";
export {
  type CreateLedgerOptions,
  createLedger,
  LeafNotFoundError,
  type LeafStatus,
  type Ledger,
  type LedgerStatus,
  NotAnchoredError,
} from "./ledger.js";
export * as merkle from "./merkle/index.js";
export {
  type EnqueuedLeaf,
  enqueueLeaf,
  enqueueLeaves,
  type LeafInput,
  type StagedLeaves,
  stagedLeavesSql,
  stageLeaves,
} from "./store/outbox.js";
export { ReferentialConflictError, type ReferentialRegistration } from "./store/referentials.js";
export {
  type Check,
  type ConsistencyDocument,
  ConsistencyDocumentSchema,
  type ProofBundle,
  ProofBundleSchema,
  type ProofDocument,
  ProofDocumentSchema,
  type VerificationReport,
  verifyConsistencyDocument,
  verifyProofBundle,
  verifyProofDocument,
} from "./verify/proof.js";
export { runVerify } from "./verify/run.js";
export {
  AnchoringWorker,
  LedgerDivergenceError,
  type WorkerHealth,
  type WorkerState,
} from "./worker/worker.js";
