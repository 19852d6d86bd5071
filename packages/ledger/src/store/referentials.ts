import type { Database } from "@ccam/db";
import { eq } from "drizzle-orm";
import { referentialRegistrations } from "./schema.js";

export type ReferentialRegistration = typeof referentialRegistrations.$inferSelect;

export class ReferentialConflictError extends Error {
  constructor(
    readonly versionId: string,
    readonly registered: string,
  ) {
    super(`CCAM version ${versionId} is already registered with sha256 ${registered}`);
    this.name = "ReferentialConflictError";
  }
}

/** Queues a referential version for on-chain registration; registering the same (version, sha256) is a no-op. */
export async function queueReferential(db: Database, versionId: string, sourceSha256: string) {
  const sha = sourceSha256.toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new TypeError("sourceSha256 must be 32 bytes of hex");
  if (versionId.length === 0) throw new TypeError("versionId must not be empty");
  await db.insert(referentialRegistrations).values({ versionId, sourceSha256: sha }).onConflictDoNothing();
  const [row] = await db
    .select()
    .from(referentialRegistrations)
    .where(eq(referentialRegistrations.versionId, versionId));
  if (!row) throw new Error(`referential_registrations lost ${versionId}`);
  if (row.sourceSha256 !== sha) throw new ReferentialConflictError(versionId, row.sourceSha256);
  return row;
}
