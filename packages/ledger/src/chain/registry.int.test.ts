import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { type Address, type Hex, parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_KEYS, startTestChain } from "../test-support/chain.js";
import type { EmbeddedNode } from "./anvil.js";
import { GENESIS_PREVIOUS_ROOT, Registry, revertErrorName } from "./registry.js";
import { registryAbi } from "./registry-artifact.js";

let node: EmbeddedNode;
let registry: Registry;
let outsider: Registry;
const physician = privateKeyToAccount(OTHER_KEYS[1]);
const gas: Record<string, bigint> = {};

const root = (label: string): Hex => `0x${bytesToHex(sha256(new TextEncoder().encode(label)))}`;

async function revertOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (error) {
    return revertErrorName(error) ?? `not a custom error: ${(error as Error).message}`;
  }
  return undefined;
}

function simulateAnchor(
  on: Registry,
  args: { root: Hex; leafCount: number; firstSeq: number; lastSeq: number; previousRoot: Hex },
) {
  return on.client.simulateContract({
    account: on.account,
    address: on.address,
    abi: registryAbi,
    functionName: "anchorBatch",
    args: [args.root, BigInt(args.leafCount), BigInt(args.firstSeq), BigInt(args.lastSeq), args.previousRoot],
  });
}

async function anchor(request: { root: Hex; previousRoot: Hex; firstSeq: number; lastSeq: number }) {
  const signed = await registry.signAnchor(request, await registry.pendingNonce());
  await registry.broadcast(signed.rawTransaction);
  return registry.waitForReceipt(signed.txHash, 1, 30_000);
}

beforeAll(async () => {
  ({ node, registry } = await startTestChain());
  outsider = await Registry.open({
    rpcUrl: node.rpcUrl,
    address: registry.address,
    privateKey: OTHER_KEYS[0],
  });
});

afterAll(async () => {
  await node?.stop();
  if (Object.keys(gas).length > 0) console.info("CCAMRegistry gas used per call:", gas);
});

describe("CCAMRegistry on a real EVM (anvil)", () => {
  it("anchors a chain of tree heads, emits BatchAnchored and reads the heads back", async () => {
    const first = await anchor({
      root: root("a"),
      previousRoot: GENESIS_PREVIOUS_ROOT,
      firstSeq: 0,
      lastSeq: 255,
    });
    expect(first.status).toBe("success");
    gas.anchorBatchFirst = first.gasUsed;
    const second = await anchor({ root: root("b"), previousRoot: root("a"), firstSeq: 256, lastSeq: 299 });
    gas.anchorBatch = second.gasUsed;
    const [event] = parseEventLogs({ abi: registryAbi, logs: second.logs, eventName: "BatchAnchored" });
    expect(event?.args).toEqual({
      treeSize: 300n,
      root: root("b"),
      previousRoot: root("a"),
      firstSeq: 256n,
      lastSeq: 299n,
      leafCount: 44n,
    });
    expect(await registry.latestHead()).toEqual({ size: 300, root: root("b") });
    expect(await registry.treeHead(256)).toMatchObject({ root: root("a"), previousSize: 0, firstSeq: 0 });
    expect(await registry.treeHead(300)).toMatchObject({
      root: root("b"),
      previousSize: 256,
      blockNumber: second.blockNumber,
    });
    expect(await registry.treeHead(299)).toBeNull();
  });

  it("refuses a batch that does not extend the latest head exactly, so nothing is anchored twice", async () => {
    const next = { root: root("c"), leafCount: 10, firstSeq: 300, lastSeq: 309, previousRoot: root("b") };
    expect(await revertOf(simulateAnchor(registry, next))).toBeUndefined();
    expect(await revertOf(simulateAnchor(registry, { ...next, firstSeq: 301, lastSeq: 310 }))).toBe(
      "UnexpectedFirstSeq",
    );
    expect(await revertOf(simulateAnchor(registry, { ...next, previousRoot: root("a") }))).toBe(
      "PreviousRootMismatch",
    );
    expect(await revertOf(simulateAnchor(registry, { ...next, leafCount: 9 }))).toBe("InvalidBatch");
    expect(await revertOf(simulateAnchor(registry, { ...next, lastSeq: 299, leafCount: 0 }))).toBe(
      "InvalidBatch",
    );
    expect(await revertOf(simulateAnchor(registry, { ...next, root: GENESIS_PREVIOUS_ROOT }))).toBe(
      "ZeroHash",
    );
    // Replaying the last anchored batch as a signed transaction is mined but reverts, leaving the chain as is.
    const replay = await anchor({ root: root("b"), previousRoot: root("a"), firstSeq: 256, lastSeq: 299 });
    expect(replay.status).toBe("reverted");
    expect(await registry.latestHead()).toEqual({ size: 300, root: root("b") });
  });

  it("enforces the roles: recorder anchors, referential admin registers, admin grants", async () => {
    const next = { root: root("c"), leafCount: 10, firstSeq: 300, lastSeq: 309, previousRoot: root("b") };
    expect(await revertOf(simulateAnchor(outsider, next))).toBe("AccessControlUnauthorizedAccount");
    expect(await revertOf(outsider.registerReferential("V99", root("v99")))).toBe(
      "AccessControlUnauthorizedAccount",
    );
    const recorderRole = await registry.client.readContract({
      address: registry.address,
      abi: registryAbi,
      functionName: "RECORDER_ROLE",
    });
    const grant = async (as: Registry, account: Address) => {
      const { request } = await as.client.simulateContract({
        account: as.account,
        address: as.address,
        abi: registryAbi,
        functionName: "grantRole",
        args: [recorderRole, account],
      });
      return as.client.waitForTransactionReceipt({ hash: await as.wallet.writeContract(request) });
    };
    expect(await revertOf(grant(outsider, outsider.account.address))).toBe(
      "AccessControlUnauthorizedAccount",
    );
    await grant(registry, outsider.account.address);
    expect(await revertOf(simulateAnchor(outsider, next))).toBeUndefined();
  });

  it("registers CCAM referential versions once and reverts on unknown versions", async () => {
    const receipt = await registry.registerReferential("V81.00", root("ccam-v81.xlsx"));
    gas.registerReferential = receipt.gasUsed;
    const [event] = parseEventLogs({
      abi: registryAbi,
      logs: receipt.logs,
      eventName: "ReferentialRegistered",
    });
    expect(event?.args).toMatchObject({ versionId: "V81.00", sourceSha256: root("ccam-v81.xlsx") });
    expect(await registry.referential("V81.00")).toMatchObject({ sourceSha256: root("ccam-v81.xlsx") });
    expect(await registry.referential("V00")).toBeNull();
    expect(
      await revertOf(
        registry.client.readContract({
          address: registry.address,
          abi: registryAbi,
          functionName: "referential",
          args: ["V00"],
        }),
      ),
    ).toBe("UnknownReferentialVersion");
    expect(await revertOf(registry.registerReferential("V81.00", root("other")))).toBe(
      "ReferentialAlreadyRegistered",
    );
    expect(await revertOf(registry.registerReferential("", root("x")))).toBe("EmptyVersionId");
  });

  it("records EIP-712 signed overrides once, with replay, forgery and expiry rejected", async () => {
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const message = (decision: string, nonce: bigint) => ({
      decisionId: root(decision),
      contentHash: root(`${decision}-content`),
      signer: physician.address,
      nonce,
      deadline,
    });
    const sign = (m: ReturnType<typeof message>, by = physician) =>
      by.signTypedData(registry.overrideTypedData(m));

    const first = message("decision-1", await registry.overrideNonce(physician.address));
    const signature = await sign(first);
    const receipt = await registry.recordOverride(first, signature);
    gas.recordOverride = receipt.gasUsed;
    const [event] = parseEventLogs({ abi: registryAbi, logs: receipt.logs, eventName: "OverrideRecorded" });
    expect(event?.args).toMatchObject({ decisionId: first.decisionId, signer: physician.address, nonce: 0n });
    expect(await registry.overrideOf(first.decisionId)).toMatchObject({
      signer: physician.address,
      contentHash: first.contentHash,
    });
    expect(await registry.overrideNonce(physician.address)).toBe(1n);

    expect(await revertOf(registry.recordOverride(first, signature))).toBe("OverrideAlreadyRecorded");
    // A second signature over an already used nonce is a replay.
    const reused = message("decision-2", 0n);
    expect(await revertOf(registry.recordOverride(reused, await sign(reused)))).toBe("InvalidAccountNonce");
    // Signed by someone else, or altered after signing.
    const next = message("decision-2", 1n);
    const forged = await sign(next, privateKeyToAccount(OTHER_KEYS[0]));
    expect(await revertOf(registry.recordOverride(next, forged))).toBe("InvalidOverrideSignature");
    const nextSignature = await sign(next);
    expect(
      await revertOf(registry.recordOverride({ ...next, contentHash: root("tampered") }, nextSignature)),
    ).toBe("InvalidOverrideSignature");
    // Signed for another deployment (EIP-712 domain): rejected here.
    const elsewhere = await physician.signTypedData({
      ...registry.overrideTypedData(next),
      domain: { ...registry.overrideTypedData(next).domain, chainId: 1 },
    });
    expect(await revertOf(registry.recordOverride(next, elsewhere))).toBe("InvalidOverrideSignature");
    const expired = { ...message("decision-3", 1n), deadline: 1n };
    expect(await revertOf(registry.recordOverride(expired, await sign(expired)))).toBe("OverrideExpired");
    expect(await registry.overrideOf(root("decision-2"))).toBeNull();
    await registry.recordOverride(next, nextSignature);
    expect(await registry.overrideNonce(physician.address)).toBe(2n);
  });

  it("stays within the gas budget per call", () => {
    expect(gas.anchorBatch).toBeGreaterThan(21_000n);
    expect(gas.anchorBatch).toBeLessThan(100_000n);
    expect(gas.anchorBatchFirst).toBeLessThan(150_000n);
    expect(gas.registerReferential).toBeLessThan(120_000n);
    expect(gas.recordOverride).toBeLessThan(150_000n);
  });
});
