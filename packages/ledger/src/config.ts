import { z } from "zod";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x followed by 64 hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");

/**
 * Ledger settings. `embedded` runs a local anvil node (state in `<dataDir>/chain`), `rpc` talks to any Ethereum
 * JSON-RPC endpoint with a deployed CCAMRegistry, `off` keeps the Merkle log in the database without a chain.
 */
export const LedgerConfigSchema = z
  .object({
    mode: z.enum(["embedded", "rpc", "off"]).default("embedded"),
    rpcUrl: z.url().optional(),
    contractAddress: address.optional(),
    /** Recorder key. Embedded mode defaults to anvil's first dev account; never use that key elsewhere. */
    privateKey: hex32.optional(),
    /** Blocks on top of the one including the anchor before it counts as anchored (1 = included). */
    confirmations: z.number().int().min(1).max(1000).default(1),
    batchSize: z.number().int().min(1).max(10_000).default(256),
    batchMaxDelayMs: z.number().int().min(0).default(2000),
    /** Folder for the embedded chain state; without it the embedded chain lives in memory. */
    dataDir: z.string().min(1).optional(),
    /** Embedded node block time in seconds; 0 mines a block per transaction. */
    blockTimeSeconds: z.number().int().min(0).max(60).default(1),
    pollIntervalMs: z.number().int().min(10).default(200),
    receiptTimeoutMs: z.number().int().min(1000).default(60_000),
    /** Batches signed ahead with consecutive nonces before the first is mined. */
    maxInFlight: z.number().int().min(1).max(64).default(16),
    backoffMinMs: z.number().int().min(10).default(500),
    backoffMaxMs: z.number().int().min(10).default(30_000),
  })
  .superRefine((config, ctx) => {
    if (config.mode !== "rpc") return;
    for (const key of ["rpcUrl", "contractAddress", "privateKey"] as const) {
      if (!config[key]) ctx.addIssue({ code: "custom", path: [key], message: `required in rpc mode` });
    }
  });

export type LedgerConfig = z.infer<typeof LedgerConfigSchema>;
export type LedgerConfigInput = z.input<typeof LedgerConfigSchema>;

/** Reads the ledger settings from CCAM_* environment variables (see docs/ledger.md). */
export function ledgerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const int = (name: string) => (env[name] === undefined ? undefined : Number(env[name]));
  return LedgerConfigSchema.parse({
    mode: env.CCAM_LEDGER_MODE ?? (env.CCAM_CHAIN_RPC_URL ? "rpc" : "embedded"),
    rpcUrl: env.CCAM_CHAIN_RPC_URL,
    contractAddress: env.CCAM_CHAIN_CONTRACT,
    privateKey: env.CCAM_CHAIN_PRIVATE_KEY,
    confirmations: int("CCAM_CHAIN_CONFIRMATIONS"),
    batchSize: int("CCAM_LEDGER_BATCH_SIZE"),
    batchMaxDelayMs: int("CCAM_LEDGER_BATCH_MAX_DELAY_MS"),
    dataDir: env.CCAM_DATA_DIR,
  });
}
