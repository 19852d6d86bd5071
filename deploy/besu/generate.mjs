#!/usr/bin/env node
// Generates the development Besu QBFT network of deploy/compose.yaml, deterministically: 4 validator keys, the
// genesis (QBFT extraData listing the validators, Cancun active, zero base fee) and the recorder account.
// Run from the repository root: `node deploy/besu/generate.mjs` (rewrites deploy/besu/; same output every time).
// The keys derive from public labels: they are for a local test network only, never for a real consortium
// (see docs/deploy.md, "Key custody").
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getContractAddress, keccak256, toHex, toRlp } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export const CHAIN_ID = 2026;
export const VALIDATORS = 4;
/** Static addresses of the validators on the compose network (Besu's enode URLs need IP addresses). */
export const validatorIp = (i) => `172.30.0.${11 + i}`;

export const devKey = (label) => keccak256(toHex(`ccam-ai/besu-dev/${label}`));

export function network() {
  const validators = Array.from({ length: VALIDATORS }, (_, i) => {
    const privateKey = devKey(`validator-${i + 1}`);
    const account = privateKeyToAccount(privateKey);
    return { name: `validator${i + 1}`, privateKey, address: account.address, publicKey: account.publicKey };
  });
  const recorder = privateKeyToAccount(devKey("recorder"));
  // QBFT extraData: RLP([32-byte vanity, [validator addresses], no vote, round 0, no seals]).
  const extraData = toRlp([
    toHex(new Uint8Array(32)),
    validators.map((v) => v.address.toLowerCase()),
    [],
    "0x",
    [],
  ]);
  const genesis = {
    config: {
      chainId: CHAIN_ID,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      cancunTime: 0,
      zeroBaseFee: true,
      qbft: { blockperiodseconds: 2, epochlength: 30000, requesttimeoutseconds: 4 },
    },
    nonce: "0x0",
    timestamp: "0x0",
    gasLimit: "0x1fffffffffffff",
    difficulty: "0x1",
    mixHash: "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365",
    coinbase: "0x0000000000000000000000000000000000000000",
    // Gas is free (zero base fee, min gas price 0); a balance still lets clients that add a priority fee send.
    alloc: { [recorder.address.toLowerCase()]: { balance: "0x33b2e3c9fd0803ce8000000" } },
    extraData,
  };
  // The recorder deploys CCAMRegistry as its first transaction: the address follows from (deployer, nonce 0).
  const contract = getContractAddress({ from: recorder.address, nonce: 0n });
  return {
    validators,
    recorder: { privateKey: devKey("recorder"), address: recorder.address },
    genesis,
    contract,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  const { validators, recorder, genesis, contract } = network();
  writeFileSync(join(here, "genesis.json"), `${JSON.stringify(genesis, null, 2)}\n`);
  for (const v of validators) {
    mkdirSync(join(here, "keys", v.name), { recursive: true });
    writeFileSync(join(here, "keys", v.name, "key"), `${v.privateKey}\n`);
    writeFileSync(join(here, "keys", v.name, "key.pub"), `0x${v.publicKey.slice(4)}\n`);
    writeFileSync(join(here, "keys", v.name, "address"), `${v.address}\n`);
  }
  const enodes = validators.map((v, i) => `enode://${v.publicKey.slice(4)}@${validatorIp(i)}:30303`);
  writeFileSync(join(here, "bootnodes.txt"), `${enodes.join(",")}\n`);
  console.log(
    JSON.stringify(
      {
        chainId: CHAIN_ID,
        validators: validators.map((v) => v.address),
        recorder: recorder.address,
        CCAM_CHAIN_PRIVATE_KEY: recorder.privateKey,
        CCAM_CHAIN_CONTRACT: contract,
      },
      null,
      2,
    ),
  );
}
