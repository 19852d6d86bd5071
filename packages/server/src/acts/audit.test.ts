import { describe, expect, it } from "vitest";
import {
  AuditEventSchema,
  type AuditLink,
  canonicalJson,
  GENESIS_HASH,
  nextLink,
  verifyChain,
} from "./audit.js";

function chain(n: number): AuditLink[] {
  const links: AuditLink[] = [];
  for (let i = 0; i < n; i++) {
    links.push(
      nextLink(links.at(-1), {
        actId: "6f1c2d8e-0000-4000-8000-000000000001",
        kind: i === 0 ? "act.created" : "act.viewed",
        actorId: "user-1",
        at: `2026-11-25T10:00:0${i}.000Z`,
        requestId: `req-${i}`,
        payload: { step: i, fields: ["text"] },
      }),
    );
  }
  return links;
}

describe("audit hash chain", () => {
  it("links each entry to the previous one from a genesis hash", () => {
    const links = chain(3);
    expect(links.map((l) => l.position)).toEqual([1, 2, 3]);
    expect(links[0]?.prevHash).toBe(GENESIS_HASH);
    expect(links[1]?.prevHash).toBe(links[0]?.entryHash);
    expect(verifyChain(links)).toBeUndefined();
  });

  it("names the first modified payload", () => {
    const links = chain(4);
    (links[2] as AuditLink).payload = { step: 99, fields: ["text"] };
    expect(verifyChain(links)).toEqual({
      position: 3,
      reason: "the payload does not match its hash (modified)",
    });
  });

  it("names a modified field even when the payload is intact", () => {
    const links = chain(3);
    (links[1] as AuditLink).actorId = "someone-else";
    expect(verifyChain(links)).toEqual({
      position: 2,
      reason: "the entry's fields do not match its hash (modified)",
    });
  });

  it("detects a deleted entry and a reordering", () => {
    const deleted = chain(4).filter((l) => l.position !== 2);
    expect(verifyChain(deleted)?.position).toBe(2);
    const links = chain(3);
    const swapped = [
      links[0],
      { ...(links[2] as AuditLink), position: 2 },
      { ...(links[1] as AuditLink), position: 3 },
    ] as AuditLink[];
    expect(verifyChain(swapped)?.position).toBe(2);
  });

  it("detects a rebuilt chain whose payload hash was recomputed but not its links", () => {
    const links = chain(3);
    const forged = { ...(links[1] as AuditLink), payload: { step: 7, fields: [] } };
    forged.payloadHash = nextLink(links[0], { ...forged }).payloadHash;
    links[1] = forged;
    expect(verifyChain(links)?.position).toBe(2);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe("audit events", () => {
  it("is a closed union: unknown kinds and payloads with extra clinical fields are refused", () => {
    expect(AuditEventSchema.safeParse({ kind: "act.viewed", payload: { fields: ["text"] } }).success).toBe(
      true,
    );
    expect(AuditEventSchema.safeParse({ kind: "act.deleted", payload: {} }).success).toBe(false);
    expect(AuditEventSchema.safeParse({ kind: "act.viewed", payload: {} }).success).toBe(false);
  });
});
