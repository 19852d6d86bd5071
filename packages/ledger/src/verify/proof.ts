import { z } from "zod";
import { RegistryReader } from "../chain/registry.js";
import { type CanonicalValue, computeLeafHash, toHash } from "../leaf.js";
import { verifyConsistency, verifyInclusion } from "../merkle/rfc9162.js";

const hash = z.string().regex(/^0x[0-9a-f]{64}$/, "expected 0x and 64 lowercase hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const size = z.number().int().nonnegative();
const chainRef = z.object({ chainId: z.number().int().positive(), contract: address });
const anchoredHead = z.object({
  size,
  root: hash,
  txHash: hash.nullable(),
  blockNumber: z.number().int().nonnegative().nullable(),
});

/**
 * A self-contained inclusion proof: with it and any endpoint of the chain, an outside auditor can check that the
 * leaf is in the log and that the log's root is anchored, without access to our database.
 */
export const ProofDocumentSchema = z.object({
  format: z.literal("ccam-ledger-proof/1"),
  chain: chainRef,
  leaf: z.object({ index: size, hash, kind: z.string(), outboxSeq: size }),
  /** Optional: what the leaf commits to, for an auditor entitled to see it (never sent by default). */
  preimage: z.object({ kind: z.string(), salt: z.string(), payload: z.json() }).optional(),
  treeHead: anchoredHead,
  inclusionProof: z.array(hash),
  exportedAt: z.string(),
});
export type ProofDocument = z.infer<typeof ProofDocumentSchema>;

/** Several proofs exported together, e.g. every anchored audit entry of one act (`subject`). */
export const ProofBundleSchema = z.object({
  format: z.literal("ccam-ledger-proofs/1"),
  subject: z.string(),
  proofs: z.array(ProofDocumentSchema).min(1),
  exportedAt: z.string(),
});
export type ProofBundle = z.infer<typeof ProofBundleSchema>;

/** Two anchored heads and the RFC 9162 proof that the first is a prefix of the second (append-only). */
export const ConsistencyDocumentSchema = z.object({
  format: z.literal("ccam-ledger-consistency/1"),
  chain: chainRef,
  first: anchoredHead,
  second: anchoredHead,
  consistencyProof: z.array(hash),
  exportedAt: z.string(),
});
export type ConsistencyDocument = z.infer<typeof ConsistencyDocumentSchema>;

export interface Check {
  name: "document" | "database" | "preimage" | "inclusion" | "consistency" | "chain";
  ok: boolean;
  detail: string;
}

export interface VerificationReport {
  valid: boolean;
  checks: Check[];
}

export const report = (checks: Check[]): VerificationReport => ({
  valid: checks.length > 0 && checks.every((c) => c.ok),
  checks,
});

const bytes = (values: string[]) => values.map(toHash);

/** Checks the leaf (from its preimage if present) and its inclusion proof, without any I/O. */
export function checkProofLocally(doc: ProofDocument): Check[] {
  const checks: Check[] = [];
  if (doc.preimage) {
    let recomputed: string;
    try {
      recomputed = `0x${computeLeafHash(doc.preimage.kind, doc.preimage.payload as CanonicalValue, doc.preimage.salt)}`;
    } catch (error) {
      recomputed = `invalid preimage: ${(error as Error).message}`;
    }
    checks.push({
      name: "preimage",
      ok: recomputed === doc.leaf.hash,
      detail:
        recomputed === doc.leaf.hash ? "the payload and salt hash to the leaf" : `recomputed ${recomputed}`,
    });
  }
  const included = verifyInclusion(
    doc.leaf.index,
    doc.treeHead.size,
    toHash(doc.leaf.hash),
    bytes(doc.inclusionProof),
    toHash(doc.treeHead.root),
  );
  checks.push({
    name: "inclusion",
    ok: included,
    detail: included
      ? `leaf ${doc.leaf.index} is in the tree of ${doc.treeHead.size} leaves with root ${doc.treeHead.root}`
      : "the inclusion proof does not lead from the leaf to the root (RFC 9162 §2.1.3.2)",
  });
  return checks;
}

/** Checks that the chain's CCAMRegistry holds `root` as the head of size `size`. */
export async function checkRootOnChain(
  reader: RegistryReader,
  expected: { chainId: number; contract: string },
  head: { size: number; root: string },
): Promise<Check> {
  if (reader.chainId !== expected.chainId) {
    return {
      name: "chain",
      ok: false,
      detail: `the endpoint serves chain ${reader.chainId}, not ${expected.chainId}`,
    };
  }
  const onChain = await reader.treeHead(head.size);
  if (!onChain) return { name: "chain", ok: false, detail: `no tree head of size ${head.size} on chain` };
  const ok = onChain.root.toLowerCase() === head.root;
  return {
    name: "chain",
    ok,
    detail: ok
      ? `anchored in block ${onChain.blockNumber} of chain ${reader.chainId} (contract ${expected.contract})`
      : `the chain holds root ${onChain.root} for size ${head.size}`,
  };
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T | VerificationReport {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  return report([{ name: "document", ok: false, detail: z.prettifyError(parsed.error) }]);
}

async function withReader(
  rpcUrl: string,
  contract: string,
  run: (reader: RegistryReader) => Promise<Check[]>,
): Promise<Check[]> {
  try {
    const reader = await RegistryReader.connect({ rpcUrl, address: contract as `0x${string}` });
    return await run(reader);
  } catch (error) {
    return [
      { name: "chain", ok: false, detail: `chain unreachable or unreadable: ${(error as Error).message}` },
    ];
  }
}

/** Standalone verification of an exported proof against any JSON-RPC endpoint of the chain. */
export async function verifyProofDocument(input: unknown, rpcUrl: string): Promise<VerificationReport> {
  const doc = parse(ProofDocumentSchema, input);
  if ("valid" in doc) return doc;
  const checks = checkProofLocally(doc);
  checks.push(
    ...(await withReader(rpcUrl, doc.chain.contract, async (r) => [
      await checkRootOnChain(r, doc.chain, doc.treeHead),
    ])),
  );
  return report(checks);
}

/** Standalone verification of a bundle: every proof in it, each check named after its leaf. */
export async function verifyProofBundle(input: unknown, rpcUrl: string): Promise<VerificationReport> {
  const bundle = parse(ProofBundleSchema, input);
  if ("valid" in bundle) return bundle;
  const checks: Check[] = [];
  for (const doc of bundle.proofs) {
    const result = await verifyProofDocument(doc, rpcUrl);
    checks.push(...result.checks.map((c) => ({ ...c, detail: `leaf ${doc.leaf.index}: ${c.detail}` })));
  }
  return report(checks);
}

/** Standalone check that the log only grew between two anchored heads: nothing removed or rewritten. */
export async function verifyConsistencyDocument(input: unknown, rpcUrl: string): Promise<VerificationReport> {
  const doc = parse(ConsistencyDocumentSchema, input);
  if ("valid" in doc) return doc;
  const ok = verifyConsistency(
    doc.first.size,
    doc.second.size,
    toHash(doc.first.root),
    toHash(doc.second.root),
    bytes(doc.consistencyProof),
  );
  const checks: Check[] = [
    {
      name: "consistency",
      ok,
      detail: ok
        ? `the tree of ${doc.first.size} leaves is a prefix of the tree of ${doc.second.size}`
        : "the consistency proof fails (RFC 9162 §2.1.4.2)",
    },
  ];
  checks.push(
    ...(await withReader(rpcUrl, doc.chain.contract, async (r) =>
      Promise.all(
        [doc.first, doc.second]
          .filter((head) => head.size > 0)
          .map((head) => checkRootOnChain(r, doc.chain, head)),
      ),
    )),
  );
  return report(checks);
}
