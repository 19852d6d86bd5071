import { createHash } from "node:crypto";
import { z } from "zod";

const CodeLineSchema = z.object({
  code: z.string(),
  activity: z.number().int(),
  phase: z.number().int(),
  modifiers: z.array(z.string()).default([]),
});

/**
 * The closed list of audit events, each with its payload schema. Payloads never hold a clear identifier or clinical
 * text: only codes, counts, and keyed hashes (`textHash`), so entries can be anchored on chain as they are.
 */
export const AuditEventSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("act.created"),
    payload: z.object({
      performedAt: z.string(),
      specialty: z.string().nullable(),
      textHash: z.string(),
      consent: z.boolean(),
    }),
  }),
  z.object({
    kind: z.literal("act.suggested"),
    payload: z.object({
      engine: z.string(),
      referentialVersion: z.string(),
      codes: z.array(z.object({ code: z.string(), confidence: z.number() })),
    }),
  }),
  z.object({ kind: z.literal("act.viewed"), payload: z.object({ fields: z.array(z.string()) }) }),
  z.object({
    kind: z.literal("act.validated"),
    payload: z.object({
      referentialVersion: z.string(),
      codes: z.array(CodeLineSchema),
      total: z.number(),
      warnings: z.number().int(),
    }),
  }),
  z.object({
    kind: z.literal("act.overridden"),
    payload: z.object({
      referentialVersion: z.string(),
      suggested: z.array(z.string()),
      codes: z.array(CodeLineSchema),
      justificationHash: z.string(),
      signature: z.string(),
      signer: z.string(),
    }),
  }),
  z.object({ kind: z.literal("patient.erased"), payload: z.object({ acts: z.number().int() }) }),
  z.object({ kind: z.literal("patient.exported"), payload: z.object({ acts: z.number().int() }) }),
]);
export type AuditEvent = z.infer<typeof AuditEventSchema>;
export type AuditKind = AuditEvent["kind"];

export const AuditActorSchema = z.object({ id: z.string(), roles: z.array(z.string()) });
export type AuditActor = z.infer<typeof AuditActorSchema>;

/** One stored link of an act's chain. */
export interface AuditLink {
  actId: string;
  position: number;
  kind: string;
  actorId: string;
  at: string;
  requestId: string | null;
  payload: unknown;
  payloadHash: string;
  prevHash: string;
  entryHash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/** JSON with sorted keys and no spaces: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The hash that links an entry to the previous one: everything about the entry except its own hash. */
export function linkHash(link: Omit<AuditLink, "entryHash">): string {
  const { actId, position, kind, actorId, at, requestId, payloadHash, prevHash } = link;
  return sha256Hex(canonicalJson({ actId, position, kind, actorId, at, requestId, payloadHash, prevHash }));
}

/** Builds the next link of an act's chain. */
export function nextLink(
  previous: Pick<AuditLink, "position" | "entryHash"> | undefined,
  entry: {
    actId: string;
    kind: string;
    actorId: string;
    at: string;
    requestId: string | null;
    payload: unknown;
  },
): AuditLink {
  const partial = {
    ...entry,
    position: (previous?.position ?? 0) + 1,
    payloadHash: sha256Hex(canonicalJson(entry.payload)),
    prevHash: previous?.entryHash ?? GENESIS_HASH,
  };
  return { ...partial, entryHash: linkHash(partial) };
}

export interface ChainBreak {
  position: number;
  reason: string;
}

/**
 * Recomputes an act's chain from its stored rows (ordered by position) and returns the first broken link: a
 * payload or field changed, a row deleted (a gap) or moved (positions or links out of order).
 */
export function verifyChain(links: readonly AuditLink[]): ChainBreak | undefined {
  let previous: AuditLink | undefined;
  for (const [index, link] of links.entries()) {
    const expectedPosition = index + 1;
    if (link.position !== expectedPosition) {
      return {
        position: expectedPosition,
        reason: `entry ${expectedPosition} is missing or out of order (found position ${link.position})`,
      };
    }
    if (sha256Hex(canonicalJson(link.payload)) !== link.payloadHash) {
      return { position: link.position, reason: "the payload does not match its hash (modified)" };
    }
    if (link.prevHash !== (previous?.entryHash ?? GENESIS_HASH)) {
      return {
        position: link.position,
        reason: "the link to the previous entry is broken (an entry was removed, replaced or reordered)",
      };
    }
    const { entryHash, ...rest } = link;
    if (linkHash(rest) !== entryHash) {
      return { position: link.position, reason: "the entry's fields do not match its hash (modified)" };
    }
    previous = link;
  }
  return undefined;
}
