// Ledger benchmarks on the real embedded chain (anvil, 1 s blocks, default batch 256 / 2 s): transactions per
// 1,000 decisions, anchoring lag (decision committed → its tree head anchored), gas per batch.
// Run after `npm run build`; prints a table, and with --json a last line of JSON. DATABASE_URL selects PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, openDatabase } from "@ccam/db";
import { sql } from "drizzle-orm";
import { createLedger, enqueueLeaf, ledgerMigrations } from "../dist/index.js";

const json = process.argv.includes("--json");
const STEADY_RATE = 50; // decisions per second, one transaction each, as the act workflow commits them
const STEADY_COUNT = 1_000;
const BURST_COUNT = 10_000;
const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dataDir = mkdtempSync(join(tmpdir(), "ccam-ledger-bench-"));
const handle = await openDatabase({
  url: process.env.DATABASE_URL,
  schema: process.env.DATABASE_URL ? `bench_${process.pid}` : undefined,
});
await migrate(handle, [ledgerMigrations]);
const ledger = await createLedger({ mode: "embedded", dataDir }, handle.db);
const rows = async (query) => (await handle.db.execute(query)).rows;
const payload = (i) => ({ actId: `bench-${i}`, code: "YYYY010", decision: "validated", version: "V81" });

async function drained(expectedSize) {
  for (;;) {
    const status = await ledger.status();
    if (status.anchoredSize >= expectedSize && status.queueDepth === 0) return;
    await sleep(50);
  }
}

async function phase(fromSeq, toSeq) {
  const heads =
    await rows(sql`select distinct h.tree_size, h.tx_hash from tree_heads h join merkle_leaves m on m.tree_size = h.tree_size
    where m.outbox_seq between ${fromSeq} and ${toSeq} order by h.tree_size`);
  const lags = (
    await rows(sql`select extract(epoch from (h.anchored_at - o.created_at)) * 1000 as lag from anchor_outbox o
      join merkle_leaves m on m.outbox_seq = o.seq join tree_heads h on h.tree_size = m.tree_size
      where o.seq between ${fromSeq} and ${toSeq}`)
  ).map((r) => Number(r.lag));
  const registry = await ledger.registry();
  const gas = [];
  for (const head of heads)
    gas.push(Number((await registry.client.getTransactionReceipt({ hash: `0x${head.tx_hash}` })).gasUsed));
  const decisions = toSeq - fromSeq + 1;
  return {
    decisions,
    transactions: heads.length,
    txPer1000: Math.round((heads.length / decisions) * 1000 * 10) / 10,
    lagP50Ms: Math.round(percentile(lags, 0.5)),
    lagP95Ms: Math.round(percentile(lags, 0.95)),
    lagMaxMs: Math.round(Math.max(...lags)),
    gasPerBatchAvg: Math.round(gas.reduce((a, b) => a + b, 0) / gas.length),
    gasPerBatchMax: Math.max(...gas),
  };
}

// Steady flow: one decision per transaction at STEADY_RATE per second; batches close on the 2 s delay.
const t0 = performance.now();
let next = 0;
const first = await handle.db.transaction((tx) =>
  enqueueLeaf(tx, { kind: "decision", payload: payload(next++) }),
);
while (next < STEADY_COUNT) {
  const due = t0 + (next * 1000) / STEADY_RATE;
  await sleep(Math.max(0, due - performance.now()));
  await handle.db.transaction((tx) => enqueueLeaf(tx, { kind: "decision", payload: payload(next++) }));
}
await drained(STEADY_COUNT);
const steady = await phase(first.seq, first.seq + STEADY_COUNT - 1);

// Burst: 10,000 decisions committed at once (e.g. a backlog after downtime); full batches of 256.
const burstStart = performance.now();
let burstFirst;
for (let i = 0; i < BURST_COUNT; i += 1_000) {
  await handle.db.transaction(async (tx) => {
    for (let j = 0; j < 1_000; j++) {
      const leaf = await enqueueLeaf(tx, { kind: "decision", payload: payload(STEADY_COUNT + i + j) });
      burstFirst ??= leaf.seq;
    }
  });
}
const enqueueMs = Math.round(performance.now() - burstStart);
ledger.worker.notify();
await drained(STEADY_COUNT + BURST_COUNT);
const burstMs = Math.round(performance.now() - burstStart);
const burst = await phase(burstFirst, burstFirst + BURST_COUNT - 1);

// Proof export and full verification (leaf, proof, root on chain) of one decision in the 11,000-leaf log.
let t = performance.now();
await ledger.inclusionProof(burstFirst);
const proofExportMs = Math.round((performance.now() - t) * 10) / 10;
t = performance.now();
const verified = await ledger.verify(burstFirst, payload(STEADY_COUNT));
const verifyMs = Math.round((performance.now() - t) * 10) / 10;
if (!verified.valid) throw new Error(`verification failed: ${JSON.stringify(verified.checks)}`);

await ledger.close();
if (process.env.DATABASE_URL) await handle.db.execute(sql.raw(`drop schema bench_${process.pid} cascade`));
await handle.close();
rmSync(dataDir, { recursive: true, force: true });

const result = {
  database: handle.kind,
  steadyDecisions: steady.decisions,
  steadyRatePerS: STEADY_RATE,
  steadyTxPer1000: steady.txPer1000,
  steadyLagP50Ms: steady.lagP50Ms,
  steadyLagP95Ms: steady.lagP95Ms,
  steadyLagMaxMs: steady.lagMaxMs,
  burstDecisions: burst.decisions,
  burstTransactions: burst.transactions,
  burstTxPer1000: burst.txPer1000,
  burstEnqueueMs: enqueueMs,
  burstAllAnchoredMs: burstMs,
  burstLagP95Ms: burst.lagP95Ms,
  gasPerBatchAvg: burst.gasPerBatchAvg,
  gasPerBatchMax: Math.max(burst.gasPerBatchMax, steady.gasPerBatchMax),
  proofExportMs,
  verifyMs,
};
for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(22)} ${value}`);
if (json) console.log(JSON.stringify(result));
