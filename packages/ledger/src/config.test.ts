import { describe, expect, it } from "vitest";
import { LedgerConfigSchema, ledgerConfigFromEnv } from "./config.js";

describe("ledger config", () => {
  it("defaults to the embedded chain with 256-leaf / 2 s batches", () => {
    expect(LedgerConfigSchema.parse({})).toMatchObject({
      mode: "embedded",
      batchSize: 256,
      batchMaxDelayMs: 2000,
      confirmations: 1,
      blockTimeSeconds: 1,
    });
  });

  it("requires endpoint, contract and key in rpc mode", () => {
    const result = LedgerConfigSchema.safeParse({ mode: "rpc", rpcUrl: "http://10.0.0.1:8545" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(["contractAddress", "privateKey"]);
  });

  it("reads CCAM_* variables; an RPC URL alone selects rpc mode", () => {
    const config = ledgerConfigFromEnv({
      CCAM_CHAIN_RPC_URL: "http://besu.local:8545",
      CCAM_CHAIN_CONTRACT: `0x${"12".repeat(20)}`,
      CCAM_CHAIN_PRIVATE_KEY: `0x${"34".repeat(32)}`,
      CCAM_CHAIN_CONFIRMATIONS: "2",
      CCAM_LEDGER_BATCH_SIZE: "64",
      CCAM_DATA_DIR: "/var/lib/ccam",
    });
    expect(config).toMatchObject({ mode: "rpc", confirmations: 2, batchSize: 64, dataDir: "/var/lib/ccam" });
    expect(ledgerConfigFromEnv({ CCAM_LEDGER_MODE: "off" }).mode).toBe("off");
    expect(() => ledgerConfigFromEnv({ CCAM_LEDGER_BATCH_SIZE: "0" })).toThrow();
  });
});
