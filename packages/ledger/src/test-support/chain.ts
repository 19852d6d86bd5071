import type { Hex } from "viem";
import { ANVIL_DEV_PRIVATE_KEY, EmbeddedNode, type EmbeddedNodeOptions } from "../chain/anvil.js";
import { Registry } from "../chain/registry.js";

/** Second and third anvil dev accounts: an outsider and a physician in the contract tests. */
export const OTHER_KEYS = [
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
] as const satisfies readonly Hex[];

/** A real anvil on a free loopback port with a freshly deployed registry (one block per transaction). */
export async function startTestChain(
  options: EmbeddedNodeOptions = {},
): Promise<{ node: EmbeddedNode; registry: Registry }> {
  const node = await EmbeddedNode.start({ blockTime: 0, ...options });
  try {
    const registry = await Registry.deploy({ rpcUrl: node.rpcUrl, privateKey: ANVIL_DEV_PRIVATE_KEY });
    return { node, registry };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
