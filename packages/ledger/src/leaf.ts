import { randomBytes } from "node:crypto";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { hashLeaf } from "./merkle/rfc9162.js";

/** A JSON value with a single canonical serialisation. */
export type CanonicalValue =
  | string
  | number
  | boolean
  | null
  | CanonicalValue[]
  | { [key: string]: CanonicalValue };

export const LEAF_KIND = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Canonical JSON: object keys sorted by code point, no whitespace, finite numbers only, `undefined` refused. Two
 * equal payloads always give the same bytes, so a leaf can be recomputed from the database years later.
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`Cannot canonicalise the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((key) => {
        const item = (value as Record<string, CanonicalValue>)[key];
        if (item === undefined) throw new TypeError(`Cannot canonicalise undefined (key "${key}")`);
        return `${JSON.stringify(key)}:${canonicalJson(item)}`;
      });
    return `{${entries.join(",")}}`;
  }
  throw new TypeError(`Cannot canonicalise a ${typeof value}`);
}

/** 32 random bytes, hex: makes a leaf unguessable even when its payload has few possible values. */
export function newSalt(): string {
  return randomBytes(32).toString("hex");
}

/** The leaf's bytes: the canonical JSON of kind, salt and payload (format version 1). */
export function leafData(kind: string, payload: CanonicalValue, salt: string): Uint8Array {
  if (!LEAF_KIND.test(kind)) throw new TypeError(`Invalid leaf kind "${kind}"`);
  if (!/^[0-9a-f]{64}$/.test(salt)) throw new TypeError("The salt must be 32 bytes of lowercase hex");
  return new TextEncoder().encode(canonicalJson({ v: 1, kind, salt, payload }));
}

/** RFC 9162 leaf hash of a payload, lowercase hex without 0x. */
export function computeLeafHash(kind: string, payload: CanonicalValue, salt: string): string {
  return bytesToHex(hashLeaf(leafData(kind, payload, salt)));
}

export const toHash = (hex: string): Uint8Array => hexToBytes(hex.startsWith("0x") ? hex.slice(2) : hex);
export const fromHash = (hash: Uint8Array): string => bytesToHex(hash);
