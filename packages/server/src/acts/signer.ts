import type { Registry } from "@ccam/ledger";
import { type Hex, keccak256, stringToHex, verifyTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { HttpProblem } from "../problem.js";
import { canonicalJson, sha256Hex } from "./audit.js";

/** What an override signature covers, kept with the override so it can be relayed to the contract. */
export interface SignedOverride {
  signature: Hex;
  signer: Hex;
  decisionId: Hex;
  contentHash: Hex;
  nonce: string;
  deadline: string;
}

/** Validity of a signature for relaying it to `recordOverride` (the contract refuses it afterwards). */
const RELAY_WINDOW_SECONDS = 30 * 24 * 3600;

/**
 * Signs overrides for the user with the server's secp256k1 key as EIP-712 typed data in CCAMRegistry's domain
 * (name, version, chain id, contract address), so the contract's `recordOverride` accepts and checks it.
 */
export class OverrideSigner {
  private registry: Registry | undefined;
  private readonly account;

  constructor(
    privateKey: Hex,
    private readonly connect: () => Promise<Registry>,
  ) {
    this.account = privateKeyToAccount(privateKey);
  }

  get address(): Hex {
    return this.account.address;
  }

  async sign(input: {
    actId: string;
    codesHash: string;
    justificationHash: string;
    signedAt: number;
    nonce: number;
  }): Promise<SignedOverride> {
    const registry = await this.domain();
    const message = {
      decisionId: keccak256(stringToHex(`override:${input.actId}`)),
      contentHash:
        `0x${sha256Hex(canonicalJson({ codesHash: input.codesHash, justificationHash: input.justificationHash }))}` as Hex,
      signer: this.account.address,
      nonce: BigInt(input.nonce),
      deadline: BigInt(input.signedAt + RELAY_WINDOW_SECONDS),
    };
    const signature = await this.account.signTypedData(registry.overrideTypedData(message));
    return {
      signature,
      signer: this.account.address,
      decisionId: message.decisionId,
      contentHash: message.contentHash,
      nonce: String(message.nonce),
      deadline: String(message.deadline),
    };
  }

  /** Checks a stored signature against the contract's domain, as the contract would. */
  async verify(signed: SignedOverride): Promise<boolean> {
    const registry = await this.domain();
    return verifyTypedData({
      ...registry.overrideTypedData({
        decisionId: signed.decisionId,
        contentHash: signed.contentHash,
        signer: signed.signer,
        nonce: BigInt(signed.nonce),
        deadline: BigInt(signed.deadline),
      }),
      address: signed.signer,
      signature: signed.signature,
    });
  }

  /** The contract's EIP-712 domain, learnt once: later chain outages do not stop signing. */
  private async domain(): Promise<Registry> {
    if (!this.registry) {
      try {
        this.registry = await this.connect();
      } catch (error) {
        throw new HttpProblem(
          503,
          "Signature indisponible",
          `The registry contract has never been reached, so its signing domain is unknown: ${(error as Error).message}`,
        );
      }
    }
    return this.registry;
  }
}
