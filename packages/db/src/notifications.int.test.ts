import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "./connection.js";
import { openTestDatabase } from "./testing.js";

const CHANNEL = "ccam_test_channel";

/** What a subscription was told, in order. */
function recorder() {
  const events: string[] = [];
  return {
    events,
    handlers: {
      notify: (payload: string) => events.push(`notify:${payload}`),
      live: (up: boolean) => events.push(`live:${up}`),
    },
    /** Resolves once `predicate` holds (notifications come asynchronously on PostgreSQL). */
    async until(predicate: (events: string[]) => boolean) {
      for (let i = 0; i < 1000 && !predicate(events); i++) await new Promise((r) => setTimeout(r, 25));
      expect(predicate(events), events.join(", ")).toBe(true);
    },
  };
}

const notify = (handle: DatabaseHandle, payload: string) =>
  handle.db.execute(sql`select pg_notify(${CHANNEL}, ${payload})`);

let handle: DatabaseHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

/**
 * PostgreSQL on which a recorder listens to CHANNEL, and the process id of the server backend that listens: the
 * one whose last statement is that LISTEN (the heartbeat only runs after 10 s).
 */
async function listening() {
  const opened = await openTestDatabase([]);
  handle = opened;
  const heard = recorder();
  await opened.listen(CHANNEL, heard.handlers);
  const [backend] = (
    (await opened.db.execute(
      sql`select pid from pg_stat_activity where query like 'LISTEN %' and query like ${`%${CHANNEL}%`}`,
    )) as unknown as { rows: { pid: number }[] }
  ).rows;
  if (!backend) throw new Error("no listening backend");
  return { db: opened, heard, pid: backend.pid };
}

describe("notifications (LISTEN)", () => {
  it("is live once subscribed, hears the channel, and stops hearing it when the database closes", async () => {
    handle = await openTestDatabase([]);
    const heard = recorder();
    await handle.listen(CHANNEL, heard.handlers);
    expect(heard.events).toEqual(["live:true"]);
    await notify(handle, "one");
    await handle.db.execute(sql`select pg_notify('another_channel', 'unheard')`);
    await notify(handle, "two");
    await heard.until((events) => events.includes("notify:two"));
    expect(heard.events).toEqual(["live:true", "notify:one", "notify:two"]);
    await handle.close();
    handle = undefined;
    if (process.env.DATABASE_URL) expect(heard.events.at(-1)).toBe("live:false");
  });

  it.runIf(process.env.DATABASE_URL)(
    "on PostgreSQL, reports a lost listening connection, opens a new one and hears the channel again",
    async () => {
      const { db, heard, pid } = await listening();
      await db.db.execute(sql`select pg_terminate_backend(${pid})`);
      await heard.until((events) => events.filter((e) => e === "live:true").length === 2);
      expect(heard.events).toEqual(["live:true", "live:false", "live:true"]);
      await notify(db, "after");
      await heard.until((events) => events.includes("notify:after"));
    },
  );

  it.runIf(process.env.DATABASE_URL)(
    "on PostgreSQL, reports a listening connection that stops answering (its heartbeat times out) and replaces it",
    async () => {
      const { db, heard, pid } = await listening();
      // A frozen server process: the connection stays open and silent, as behind a partition.
      process.kill(pid, "SIGSTOP");
      try {
        await heard.until((events) => events.includes("live:false"));
      } finally {
        process.kill(pid, "SIGCONT");
      }
      await heard.until((events) => events.filter((e) => e === "live:true").length === 2);
      await notify(db, "after");
      await heard.until((events) => events.includes("notify:after"));
    },
    40_000,
  );
});
