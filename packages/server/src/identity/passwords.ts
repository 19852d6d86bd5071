import { hash, verify } from "@node-rs/argon2";

/**
 * argon2id (the binding's default algorithm) with the OWASP minimum: 19 MiB, 2 passes, 1 lane. The parameters are
 * in each PHC string, so raising them later still verifies older hashes.
 */
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN_LENGTH = 12;
/** Bounds the hashing work a single request can ask for. */
export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verified against when the account does not exist, so that the answer takes as long as for a real account.
const decoy = hash("decoy password, never valid", OPTIONS);

/** Whether `password` matches `stored`; with no stored hash, spends the same time and answers false. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    await verify(await decoy, password);
    return false;
  }
  return verify(stored, password);
}
