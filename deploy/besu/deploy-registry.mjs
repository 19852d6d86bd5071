#!/usr/bin/env node
// Deploys CCAMRegistry once on the chain at CCAM_CHAIN_RPC_URL with CCAM_CHAIN_PRIVATE_KEY (compose's
// `chain-init`; in production run it once by hand with the admin key, see docs/deploy.md). Idempotent: when
// CCAM_CHAIN_CONTRACT is set and holds code it only checks it; a fresh deployment must land at that address.
// Needs the built packages (`npm run build`, or the Docker image): `node deploy/besu/deploy-registry.mjs`.
import { Registry } from "@ccam/ledger";
import { createPublicClient, getAddress, http } from "viem";

const rpcUrl = process.env.CCAM_CHAIN_RPC_URL;
const privateKey = process.env.CCAM_CHAIN_PRIVATE_KEY;
const expected = process.env.CCAM_CHAIN_CONTRACT;
if (!rpcUrl || !privateKey) {
  console.error("deploy-registry: set CCAM_CHAIN_RPC_URL and CCAM_CHAIN_PRIVATE_KEY");
  process.exit(2);
}

const client = createPublicClient({ transport: http(rpcUrl) });
// Wait for the network to produce blocks (validators still connecting).
for (let attempt = 0; ; attempt++) {
  try {
    if ((await client.getBlockNumber()) > 0n) break;
  } catch {}
  if (attempt >= 120) {
    console.error(`deploy-registry: no block from ${rpcUrl} after 4 minutes`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 2000));
}

if (expected && (await client.getCode({ address: getAddress(expected) }))?.length > 2) {
  console.log(`CCAMRegistry already deployed at ${expected}`);
  process.exit(0);
}
const registry = await Registry.deploy({ rpcUrl, privateKey, confirmations: 1 });
console.log(`CCAMRegistry deployed at ${registry.address} (chain ${registry.chainId})`);
if (expected && getAddress(expected) !== getAddress(registry.address)) {
  console.error(
    `deploy-registry: deployed at ${registry.address}, not at CCAM_CHAIN_CONTRACT=${expected} ` +
      "(the key had sent transactions before): set CCAM_CHAIN_CONTRACT to the deployed address",
  );
  process.exit(1);
}
