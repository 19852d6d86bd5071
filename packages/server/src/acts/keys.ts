import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KeyRing, NamedKey } from "./crypto.js";

/** `k2:<base64 32 bytes>,k1:<base64>`: the first key is current, the others are kept for reading and re-keying. */
export function parseKeyRing(value: string, name: string): KeyRing {
  const keys: NamedKey[] = value.split(",").map((part, index) => {
    const [id, material] = part.trim().split(":");
    const key = Buffer.from(material ?? "", "base64");
    if (!id || !/^[A-Za-z0-9_-]{1,16}$/.test(id) || key.length !== 32) {
      throw new Error(
        `${name}: key ${index + 1} must be "id:<32 bytes in base64>" (id of letters, digits, - or _)`,
      );
    }
    return { id, key };
  });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new Error(`${name}: key ids must be unique`);
  const [current, ...previous] = keys;
  if (!current) throw new Error(`${name}: no key`);
  return { current, previous };
}

export function formatKeyRing(ring: KeyRing): string {
  return [ring.current, ...ring.previous].map((k) => `${k.id}:${k.key.toString("base64")}`).join(",");
}

export interface ApplicationKeys {
  pseudonym: KeyRing;
  master: KeyRing;
  /** secp256k1 key that signs overrides for users (EIP-712), 0x-prefixed hex. */
  signer: `0x${string}`;
  /** Where the keys came from, for the start-up log (never the keys themselves). */
  source: "environment" | "data-dir";
}

/**
 * Keys from the environment (production: injected from a secret store), or, for the zero-setup default, generated
 * once and kept in `<dataDir>/keys.json` (mode 0600) so data stays readable across restarts.
 */
export function loadApplicationKeys(
  env: {
    pseudonymKeys?: string | undefined;
    masterKeys?: string | undefined;
    signerKey?: string | undefined;
  },
  dataDir: string,
): ApplicationKeys {
  if (env.pseudonymKeys && env.masterKeys) {
    if (!env.signerKey)
      throw new Error("CCAM_SIGNER_PRIVATE_KEY is required when the keys come from the environment");
    return {
      pseudonym: parseKeyRing(env.pseudonymKeys, "CCAM_PSEUDONYM_KEYS"),
      master: parseKeyRing(env.masterKeys, "CCAM_MASTER_KEYS"),
      signer: signerKey(env.signerKey, "CCAM_SIGNER_PRIVATE_KEY"),
      source: "environment",
    };
  }
  if (env.pseudonymKeys || env.masterKeys) {
    throw new Error(
      "Set both CCAM_PSEUDONYM_KEYS and CCAM_MASTER_KEYS, or neither (keys are then kept in the data folder)",
    );
  }
  const file = join(dataDir, "keys.json");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const fresh = {
      pseudonym: `k1:${randomBytes(32).toString("base64")}`,
      master: `k1:${randomBytes(32).toString("base64")}`,
      signer: `0x${randomBytes(32).toString("hex")}`,
    };
    writeFileSync(file, JSON.stringify(fresh, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const stored = JSON.parse(readFileSync(file, "utf8")) as {
    pseudonym: string;
    master: string;
    signer: string;
  };
  return {
    pseudonym: parseKeyRing(stored.pseudonym, `${file} pseudonym`),
    master: parseKeyRing(stored.master, `${file} master`),
    signer: signerKey(stored.signer, `${file} signer`),
    source: "data-dir",
  };
}

function signerKey(value: string, name: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error(`${name} must be 0x followed by 64 hex digits`);
  return value as `0x${string}`;
}
