import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Address, Hex } from "viem";
import { Registry } from "./registry.js";

/** Where the registry lives: how the worker (re)connects after the chain was unreachable. */
export interface ChainAccess {
  connect(): Promise<Registry>;
}

/** A fixed, already deployed contract on any JSON-RPC endpoint (production). */
export function rpcChainAccess(options: { rpcUrl: string; address: Address; privateKey: Hex }): ChainAccess {
  return {
    async connect() {
      const registry = await Registry.open(options);
      if (!(await registry.isDeployed())) {
        throw new Error(`No CCAMRegistry code at ${options.address} on chain ${registry.chainId}`);
      }
      return registry;
    },
  };
}

interface DeploymentRecord {
  chainId: number;
  address: Address;
}

/**
 * The embedded chain: deploys the contract on first connection and keeps its address in `recordFile`. If the
 * chain lost the contract (state file lost or torn), it deploys again; the worker then re-anchors the log.
 */
export function embeddedChainAccess(options: {
  rpcUrl: () => string;
  privateKey: Hex;
  recordFile?: string | undefined;
}): ChainAccess {
  let memory: DeploymentRecord | undefined;
  const load = (): DeploymentRecord | undefined => {
    if (!options.recordFile || !existsSync(options.recordFile)) return memory;
    return JSON.parse(readFileSync(options.recordFile, "utf8")) as DeploymentRecord;
  };
  const save = (record: DeploymentRecord) => {
    memory = record;
    if (!options.recordFile) return;
    mkdirSync(dirname(options.recordFile), { recursive: true });
    const tmp = `${options.recordFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, options.recordFile);
  };
  return {
    async connect() {
      const record = load();
      const rpcUrl = options.rpcUrl();
      if (record) {
        const registry = await Registry.open({
          rpcUrl,
          address: record.address,
          privateKey: options.privateKey,
        });
        if (registry.chainId === record.chainId && (await registry.isDeployed())) return registry;
      }
      const registry = await Registry.deploy({ rpcUrl, privateKey: options.privateKey });
      save({ chainId: registry.chainId, address: registry.address });
      return registry;
    },
  };
}

export const deploymentRecordFile = (dataDir: string) => join(dataDir, "chain", "registry.json");
