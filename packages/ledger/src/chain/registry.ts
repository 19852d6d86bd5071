import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  type Hash,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { registryAbi, registryBytecode } from "./registry-artifact.js";

/** A tree head as the contract stores it. */
export interface OnChainTreeHead {
  size: number;
  root: Hex;
  previousSize: number;
  firstSeq: number;
  blockNumber: bigint;
  timestamp: bigint;
}

/** One anchorBatch call, signed but maybe not yet broadcast: its hash is known before it is sent. */
export interface SignedAnchor {
  rawTransaction: Hex;
  txHash: Hash;
}

export interface AnchorRequest {
  root: Hex;
  previousRoot: Hex;
  firstSeq: number;
  lastSeq: number;
}

/** The override an EIP-712 signature covers (see CCAMRegistry.OVERRIDE_TYPEHASH). */
export interface OverrideMessage {
  decisionId: Hex;
  contentHash: Hex;
  signer: Address;
  nonce: bigint;
  deadline: bigint;
}

// anchorBatch writes a fixed number of storage slots whatever the batch size: a fixed limit lets the worker sign
// several consecutive batches before any is mined (their gas cannot be estimated against the current state).
const ANCHOR_GAS_LIMIT = 150_000n;
const ZERO_ROOT: Hex = `0x${"00".repeat(32)}`;

/** The previous root of the first batch: the contract starts from zero, not from the RFC's empty-tree hash. */
export const GENESIS_PREVIOUS_ROOT = ZERO_ROOT;

export interface ChainConnection {
  rpcUrl: string;
  /** Per request; the transport retries a few times before giving up. */
  timeoutMs?: number | undefined;
  /** How often receipts and blocks are polled; viem's 4 s default would dominate the anchoring lag. */
  pollingIntervalMs?: number | undefined;
}

export async function connectChain(
  connection: ChainConnection,
): Promise<{ client: PublicClient; chain: Chain }> {
  const transport = http(connection.rpcUrl, { timeout: connection.timeoutMs ?? 10_000 });
  const probe = createPublicClient({ transport });
  const id = await probe.getChainId();
  const chain = defineChain({
    id,
    name: `chain-${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [connection.rpcUrl] } },
  });
  const client = createPublicClient({
    chain,
    transport,
    pollingInterval: connection.pollingIntervalMs ?? 250,
  });
  return { client: client as PublicClient, chain };
}

/** Read-only access to a deployed CCAMRegistry: all an outside auditor needs. */
export class RegistryReader {
  constructor(
    readonly client: PublicClient,
    readonly address: Address,
  ) {}

  get chainId(): number {
    return this.client.chain?.id ?? 0;
  }

  static async connect(connection: ChainConnection & { address: Address }): Promise<RegistryReader> {
    const { client } = await connectChain(connection);
    return new RegistryReader(client, connection.address);
  }

  async isDeployed(): Promise<boolean> {
    const code = await this.client.getCode({ address: this.address });
    return code !== undefined && code !== "0x";
  }

  async latestHead(): Promise<{ size: number; root: Hex }> {
    const [size, root] = await Promise.all([
      this.client.readContract({ address: this.address, abi: registryAbi, functionName: "latestSize" }),
      this.client.readContract({ address: this.address, abi: registryAbi, functionName: "latestRoot" }),
    ]);
    return { size: Number(size), root };
  }

  /** The head anchored at exactly `size` leaves, or null. */
  async treeHead(size: number): Promise<OnChainTreeHead | null> {
    const head = await this.readOrNull(() =>
      this.client.readContract({
        address: this.address,
        abi: registryAbi,
        functionName: "treeHead",
        args: [BigInt(size)],
      }),
    );
    return (
      head && {
        size,
        root: head.root,
        previousSize: Number(head.previousSize),
        firstSeq: Number(head.firstSeq),
        blockNumber: head.blockNumber,
        timestamp: head.timestamp,
      }
    );
  }

  async referential(versionId: string): Promise<{ sourceSha256: Hex; registeredAt: bigint } | null> {
    return this.readOrNull(() =>
      this.client.readContract({
        address: this.address,
        abi: registryAbi,
        functionName: "referential",
        args: [versionId],
      }),
    );
  }

  async overrideOf(
    decisionId: Hex,
  ): Promise<{ contentHash: Hex; signer: Address; recordedAt: bigint } | null> {
    return this.readOrNull(() =>
      this.client.readContract({
        address: this.address,
        abi: registryAbi,
        functionName: "overrideOf",
        args: [decisionId],
      }),
    );
  }

  async overrideNonce(signer: Address): Promise<bigint> {
    return this.client.readContract({
      address: this.address,
      abi: registryAbi,
      functionName: "nonces",
      args: [signer],
    });
  }

  /** The EIP-712 domain the physician's wallet must sign overrides for. */
  overrideTypedData(message: OverrideMessage) {
    return {
      domain: { name: "CCAMRegistry", version: "1", chainId: this.chainId, verifyingContract: this.address },
      types: {
        Override: [
          { name: "decisionId", type: "bytes32" },
          { name: "contentHash", type: "bytes32" },
          { name: "signer", type: "address" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "Override",
      message,
    } as const;
  }

  /** Unknown entries revert with a custom error (UnknownTreeHead, UnknownReferentialVersion, …): map to null. */
  private async readOrNull<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      if (isContractRevert(error)) return null;
      throw error;
    }
  }
}

/** Name of the custom error a failed call reverted with, if the chain answered with one. */
export function revertErrorName(error: unknown): string | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    const data = (current as { data?: { errorName?: string } }).data;
    if (data?.errorName) return data.errorName;
    current = current.cause;
  }
  return undefined;
}

function isContractRevert(error: unknown): boolean {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current.name === "ContractFunctionRevertedError") return true;
    current = current.cause;
  }
  return false;
}

/** Read-write access with the recorder's key: anchoring, referential registration, relaying overrides. */
export class Registry extends RegistryReader {
  constructor(
    client: PublicClient,
    address: Address,
    readonly wallet: WalletClient,
    readonly account: Account,
  ) {
    super(client, address);
  }

  static async open(connection: ChainConnection & { address: Address; privateKey: Hex }): Promise<Registry> {
    const { client, chain } = await connectChain(connection);
    const account = privateKeyToAccount(connection.privateKey);
    const wallet = createWalletClient({ account, chain, transport: http(connection.rpcUrl) });
    return new Registry(client, connection.address, wallet, account);
  }

  /** Deploys a new CCAMRegistry; every role goes to the key's address unless given. */
  static async deploy(
    connection: ChainConnection & { privateKey: Hex; confirmations?: number },
    roles: { admin?: Address; recorder?: Address; referentialAdmin?: Address } = {},
  ): Promise<Registry> {
    const { client, chain } = await connectChain(connection);
    const account = privateKeyToAccount(connection.privateKey);
    const wallet = createWalletClient({ account, chain, transport: http(connection.rpcUrl) });
    const hash = await wallet.deployContract({
      abi: registryAbi,
      bytecode: registryBytecode,
      account,
      chain,
      args: [
        roles.admin ?? account.address,
        roles.recorder ?? account.address,
        roles.referentialAdmin ?? account.address,
      ],
    });
    const receipt = await client.waitForTransactionReceipt({
      hash,
      confirmations: connection.confirmations ?? 1,
    });
    if (!receipt.contractAddress || receipt.status !== "success") {
      throw new Error(`CCAMRegistry deployment failed (tx ${hash})`);
    }
    return new Registry(client, receipt.contractAddress, wallet, account);
  }

  /** The nonce to sign the next transaction with, counting the ones still in the mempool. */
  pendingNonce(): Promise<number> {
    return this.client.getTransactionCount({ address: this.account.address, blockTag: "pending" });
  }

  /**
   * Signs anchorBatch locally: the hash is stored before broadcasting, so a crash cannot lose track of it. Each
   * earlier attempt raises the fees by 20 % so a re-signed transaction replaces one stuck with the same nonce.
   */
  async signAnchor(request: AnchorRequest, nonce: number, attempts = 0): Promise<SignedAnchor> {
    const estimate = await this.client.estimateFeesPerGas();
    const bump = (fee: bigint) => (fee * BigInt(100 + 20 * Math.min(attempts, 50))) / 100n;
    const fees = {
      maxFeePerGas: bump(estimate.maxFeePerGas),
      maxPriorityFeePerGas: bump(estimate.maxPriorityFeePerGas),
    };
    const leafCount = BigInt(request.lastSeq - request.firstSeq + 1);
    const rawTransaction = await this.wallet.signTransaction({
      account: this.account,
      chain: this.client.chain,
      to: this.address,
      data: encodeAnchor(request, leafCount),
      gas: ANCHOR_GAS_LIMIT,
      nonce,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { rawTransaction, txHash: keccak256(rawTransaction) };
  }

  /** Broadcasts a signed transaction; re-broadcasting one the node already knows or mined is not an error. */
  async broadcast(rawTransaction: Hex): Promise<void> {
    try {
      await this.client.sendRawTransaction({ serializedTransaction: rawTransaction });
    } catch (error) {
      const text = String((error as Error).message).toLowerCase();
      if (["already known", "already imported", "nonce too low"].some((known) => text.includes(known)))
        return;
      throw error;
    }
  }

  waitForReceipt(hash: Hash, confirmations: number, timeoutMs: number): Promise<TransactionReceipt> {
    return this.client.waitForTransactionReceipt({ hash, confirmations, timeout: timeoutMs });
  }

  async registerReferential(
    versionId: string,
    sourceSha256: Hex,
    confirmations = 1,
  ): Promise<TransactionReceipt> {
    const { request } = await this.client.simulateContract({
      account: this.account,
      address: this.address,
      abi: registryAbi,
      functionName: "registerReferential",
      args: [versionId, sourceSha256],
    });
    return this.client.waitForTransactionReceipt({
      hash: await this.wallet.writeContract(request),
      confirmations,
    });
  }

  /** Relays an override the signer signed with `overrideTypedData`; the contract checks signature and nonce. */
  async recordOverride(
    message: OverrideMessage,
    signature: Hex,
    confirmations = 1,
  ): Promise<TransactionReceipt> {
    const { request } = await this.client.simulateContract({
      account: this.account,
      address: this.address,
      abi: registryAbi,
      functionName: "recordOverride",
      args: [
        message.decisionId,
        message.contentHash,
        message.signer,
        message.nonce,
        message.deadline,
        signature,
      ],
    });
    return this.client.waitForTransactionReceipt({
      hash: await this.wallet.writeContract(request),
      confirmations,
    });
  }
}

function encodeAnchor(request: AnchorRequest, leafCount: bigint): Hex {
  return encodeFunctionData({
    abi: registryAbi,
    functionName: "anchorBatch",
    args: [request.root, leafCount, BigInt(request.firstSeq), BigInt(request.lastSeq), request.previousRoot],
  });
}
