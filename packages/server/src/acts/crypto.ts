import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/** A named 256-bit key; the id travels with what it protects so keys can be rotated. */
export interface NamedKey {
  id: string;
  key: Buffer;
}

/** Current key first; older ones are kept only to read (or re-key) what they protected. */
export interface KeyRing {
  current: NamedKey;
  previous: NamedKey[];
}

export function keyById(ring: KeyRing, id: string): NamedKey | undefined {
  return ring.current.id === id ? ring.current : ring.previous.find((k) => k.id === id);
}

/**
 * Keyed pseudonym of a patient identifier: HMAC-SHA-256 under the pseudonymisation key, prefixed with the key id
 * (`k1.3f2a…`). Without the key a pseudonym cannot be linked back to the identifier, even by brute force over
 * plausible identifiers. The identifier is normalised (trimmed, upper case) so the same patient maps to one value.
 */
export function pseudonymise(patientId: string, key: NamedKey): string {
  const normalised = patientId.trim().toUpperCase();
  return `${key.id}.${createHmac("sha256", key.key).update(normalised, "utf8").digest("hex")}`;
}

/** Every pseudonym the identifier may have been stored under (current key first), for lookups across rotations. */
export function candidatePseudonyms(patientId: string, ring: KeyRing): string[] {
  return [ring.current, ...ring.previous].map((key) => pseudonymise(patientId, key));
}

const ALGORITHM = "aes-256-gcm";
const FORMAT = "v1";

/**
 * AES-256-GCM with a random 96-bit IV; the associated data binds the ciphertext to its context (e.g. the act id),
 * so a ciphertext copied to another row does not decrypt. Output: `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export function encrypt(plaintext: Buffer | string, key: Buffer, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [FORMAT, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt: ${reason}`);
    this.name = "DecryptionError";
  }
}

export function decrypt(sealed: string, key: Buffer, associatedData: string): Buffer {
  const [format, iv, tag, ciphertext] = sealed.split(".");
  if (format !== FORMAT || !iv || !tag || ciphertext === undefined)
    throw new DecryptionError("unknown format");
  try {
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(associatedData, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
  } catch {
    throw new DecryptionError("wrong key, or the data or its context was altered");
  }
}

/** A fresh per-patient data key. */
export function newDataKey(): Buffer {
  return randomBytes(32);
}

/** Seals a small secret under a master key, bound to `context`; the result names the master key used. */
export function sealUnder(master: NamedKey, secret: Buffer | string, context: string): string {
  return `${master.id}:${encrypt(secret, master.key, context)}`;
}

/** Opens what `sealUnder` sealed, with whichever key of the ring it names (older keys keep working). */
export function openSealed(sealed: string, ring: KeyRing, context: string): Buffer {
  const separator = sealed.indexOf(":");
  const master = keyById(ring, sealed.slice(0, separator));
  if (separator < 0 || !master)
    throw new DecryptionError(`master key ${sealed.slice(0, separator)} is not configured`);
  return decrypt(sealed.slice(separator + 1), master.key, context);
}

/** Wraps a data key under a master key (envelope encryption). */
export function wrapKey(dataKey: Buffer, master: NamedKey, pseudonym: string): string {
  return sealUnder(master, dataKey, `data-key:${pseudonym}`);
}

export function unwrapKey(wrapped: string, ring: KeyRing, pseudonym: string): Buffer {
  return openSealed(wrapped, ring, `data-key:${pseudonym}`);
}
