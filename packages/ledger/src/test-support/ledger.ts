import { type DatabaseHandle, openTestDatabase } from "@ccam/db";
import { type SQL, sql } from "drizzle-orm";
import type { Registry } from "../chain/registry.js";
import { registryAbi } from "../chain/registry-artifact.js";
import { ledgerMigrations } from "../index.js";
import { enqueueLeaf } from "../store/outbox.js";

export const openLedgerDatabase = (): Promise<DatabaseHandle> => openTestDatabase([ledgerMigrations]);

/** A pseudonymous decision payload, as the act workflow would commit. */
export const decision = (i: number) => ({
  actId: `act-${i}`,
  code: "YYYY010",
  decision: "validated",
  version: "V81",
});

/** Commits `count` decisions' leaves in one transaction, as the act workflow does. */
export async function enqueueDecisions(handle: DatabaseHandle, count: number, from = 0) {
  return handle.db.transaction(async (tx) => {
    const leaves = [];
    for (let i = from; i < from + count; i++)
      leaves.push(await enqueueLeaf(tx, { kind: "decision", payload: decision(i) }));
    return leaves;
  });
}

/** Every BatchAnchored event of the registry: one per anchored batch, so duplicates would show here. */
export async function anchoredEvents(registry: Registry) {
  const events = await registry.client.getContractEvents({
    address: registry.address,
    abi: registryAbi,
    eventName: "BatchAnchored",
    fromBlock: 0n,
  });
  return events.map((e) => Number(e.args.treeSize));
}

/** Rows of a raw query (the shared Database type leaves execute()'s result untyped). */
export async function queryRows<T>(handle: DatabaseHandle, query: SQL): Promise<T[]> {
  return ((await handle.db.execute(query)) as unknown as { rows: T[] }).rows;
}

export async function countRows(handle: DatabaseHandle, table: string, where = "true"): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    handle,
    sql.raw(`select count(*)::int as n from ${table} where ${where}`),
  );
  return row?.n ?? 0;
}

/** Runs `check` until it returns true or the time is up. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  stepMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
