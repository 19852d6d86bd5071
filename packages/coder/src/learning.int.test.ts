import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSharedReferential, type Referential } from "@ccam/ccam";
import { type DatabaseHandle, type NotificationHandlers, openTestDatabase } from "@ccam/db";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCoder } from "./coder.js";
import { coderMigrations, DrizzleLearningStore } from "./learning/drizzle-store.js";
import { coderLearningEvents } from "./learning/schema.js";
import { InMemoryLearningStore, type LearningStore } from "./learning/store.js";

/**
 * Hand-written site shorthand (not evaluation text) that the offline lexicon does not know: "Monarc" (the
 * brand of the sling this site uses) for a transobturator sling and "KT sus-pubien" for a suprapubic catheter. The site corrects some texts; similarly
 * worded held-out texts must then come out right at that site, and nowhere else.
 */
const families = [
  {
    code: "JDDB005",
    train: [
      "Monarc pour incontinence urinaire d'effort",
      "Monarc sous AG chez une patiente de 58 ans",
      "mise en place d'un Monarc pour IUE",
    ],
    heldOut: ["Monarc pour IUE sévère", "Monarc sous rachianesthésie pour incontinence urinaire"],
  },
  {
    code: "JDCJ001",
    train: ["KT sus pubien sous AL", "pose d'un KT sus-pubien pour rétention aiguë d'urine"],
    heldOut: ["KT sus-pubien en urgence pour rétention", "KT sus pubien chez un patient en rétention"],
  },
];
const site = "chu-nord";

let referential: Referential;
const cacheDir = mkdtempSync(join(tmpdir(), "coder-learn-"));
beforeAll(async () => {
  referential = await loadSharedReferential("V81");
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

async function provesLearning(store: LearningStore) {
  const coder = await createCoder({ referential, cacheDir, learningStore: store });
  const top1 = async (text: string, at = site) =>
    (await coder.suggest({ text, site: at })).suggestions[0]?.code;
  const heldOut = families.flatMap((f) => f.heldOut.map((text) => ({ text, code: f.code })));
  const control = "Cholécystectomie par cœlioscopie";
  const controlBefore = await top1(control);

  let before = 0;
  for (const c of heldOut) if ((await top1(c.text)) === c.code) before++;
  expect(before).toBe(0);

  const generation = coder.generation();
  for (const f of families)
    for (const text of f.train) {
      const wrong = await top1(text);
      await coder.learn({
        text,
        chosenCodes: [f.code],
        rejectedCodes: wrong && wrong !== f.code ? [wrong] : [],
        site,
        at: new Date().toISOString(),
      });
    }
  expect(coder.generation()).toBe(generation + families.reduce((n, f) => n + f.train.length, 0));

  let after = 0;
  for (const c of heldOut) if ((await top1(c.text)) === c.code) after++;
  expect(after).toBe(heldOut.length);
  // Another site has learned nothing; an unrelated text is unchanged.
  for (const c of heldOut) expect(await top1(c.text, "chu-sud")).not.toBe(c.code);
  expect(await top1(control)).toBe(controlBefore);
}

describe("learning loop on the real V81", () => {
  it("raises top-1 on held-out paraphrases (in-memory store)", async () => {
    await provesLearning(new InMemoryLearningStore());
  });

  it("raises top-1 on held-out paraphrases (Drizzle store on PGlite)", async () => {
    const handle = await openTestDatabase([coderMigrations]);
    try {
      await provesLearning(new DrizzleLearningStore(handle.db));
    } finally {
      await handle.close();
    }
  });

  it("learns as well from keyed terms, kept per term, and then keeps no word of the texts", async () => {
    const handle = await openTestDatabase([coderMigrations]);
    const key = randomBytes(32);
    const termKey = (term: string) => createHmac("sha256", key).update(term).digest("hex").slice(0, 32);
    try {
      await provesLearning(new DrizzleLearningStore(handle.db, termKey, handle.listen));
      const rows = await handle.db.select({ terms: coderLearningEvents.terms }).from(coderLearningEvents);
      const terms = rows.flatMap((r) => r.terms);
      expect(terms.length).toBeGreaterThan(0);
      expect(terms.every((t) => /^[0-9a-f]{32}$/.test(t))).toBe(true);
    } finally {
      await handle.close();
    }
  });
});

/**
 * A store given the database's notifications keeps the rows it read per term, and drops them on any change to
 * the table. Two stores over one database stand for two server instances.
 */
describe("learned rows kept per term", () => {
  const TEXT = "kt suspubien retention";
  const correction = (code: string) => ({
    terms: ["kt", "suspubien"],
    site,
    chosenCodes: [code],
    rejectedCodes: [],
    at: new Date().toISOString(),
  });
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  /** A store on the database's notifications, once its subscription is live; `handlers` is what it was given. */
  const keepingStore = async (db: DatabaseHandle) => {
    let subscribed: Promise<void> | undefined;
    let handlers: NotificationHandlers | undefined;
    const store = new DrizzleLearningStore(db.db, undefined, (channel, given) => {
      handlers = given;
      subscribed = db.listen(channel, given);
      return subscribed;
    });
    await subscribed;
    if (!handlers) throw new Error("the store did not subscribe");
    return { store, handlers };
  };
  /** A row written behind the stores' backs: the table's trigger switched off, so nobody is told. */
  const writeUnannounced = async (db: DatabaseHandle, code: string) => {
    await db.db.execute(sql`alter table coder_learning_events disable trigger coder_learning_events_notify`);
    await new DrizzleLearningStore(db.db).record(correction(code));
    await db.db.execute(sql`alter table coder_learning_events enable trigger coder_learning_events_notify`);
  };
  const codes = async (store: DrizzleLearningStore) => [...(await store.boosts(TEXT, site)).keys()].sort();

  it("answers a text from the rows it keeps, and drops them when another instance records a correction", async () => {
    handle = await openTestDatabase([coderMigrations]);
    const { store } = await keepingStore(handle);
    const { store: other } = await keepingStore(handle);
    expect(await codes(store)).toEqual([]);
    await writeUnannounced(handle, "JDCJ001");
    // Kept: the unannounced row is not seen; a store that keeps nothing reads it.
    expect(await codes(store)).toEqual([]);
    expect(await codes(new DrizzleLearningStore(handle.db))).toEqual(["JDCJ001"]);
    // Announced by the trigger: dropped, read again, both rows seen (the notification comes asynchronously).
    await other.record(correction("JDCJ002"));
    for (let i = 0; i < 200 && (await codes(store)).length < 2; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await codes(store)).toEqual(["JDCJ001", "JDCJ002"]);
  });

  it("sees its own correction at once, without waiting for the notification", async () => {
    handle = await openTestDatabase([coderMigrations]);
    const { store } = await keepingStore(handle);
    expect(await codes(store)).toEqual([]);
    await store.record(correction("JDCJ001"));
    expect(await codes(store)).toEqual(["JDCJ001"]);
  });

  it("drops what it kept when told of a newer generation, before any notification", async () => {
    const db = await openTestDatabase([coderMigrations]);
    handle = db;
    const { store } = await keepingStore(db);
    const generation = async () => {
      const [row] = (
        (await db.db.execute(
          sql`select coalesce(max(id), 0)::int as id from coder_learning_events`,
        )) as unknown as {
          rows: { id: number }[];
        }
      ).rows;
      return row?.id ?? 0;
    };
    const before = await generation();
    store.sync(before);
    expect(await codes(store)).toEqual([]);
    await writeUnannounced(db, "JDCJ001");
    // The same generation again: the kept rows still answer.
    store.sync(before);
    expect(await codes(store)).toEqual([]);
    store.sync(await generation());
    expect(await codes(store)).toEqual(["JDCJ001"]);
  });

  it("reads the table every time when its subscription fails, and does not fail itself", async () => {
    handle = await openTestDatabase([coderMigrations]);
    const store = new DrizzleLearningStore(handle.db, undefined, () =>
      Promise.reject(new Error("the database closed meanwhile")),
    );
    expect(await codes(store)).toEqual([]);
    await writeUnannounced(handle, "JDCJ001");
    expect(await codes(store)).toEqual(["JDCJ001"]);
  });

  it("keeps nothing while its subscription is not live, and starts afresh once it is again", async () => {
    handle = await openTestDatabase([coderMigrations]);
    const { store, handlers } = await keepingStore(handle);
    expect(await codes(store)).toEqual([]);
    // As the database's listener reports a lost connection: whatever was announced meanwhile is unknown.
    handlers.live(false);
    await writeUnannounced(handle, "JDCJ001");
    expect(await codes(store)).toEqual(["JDCJ001"]);
    await writeUnannounced(handle, "JDCJ002");
    expect(await codes(store)).toEqual(["JDCJ001", "JDCJ002"]);
    handlers.live(true);
    expect(await codes(store)).toEqual(["JDCJ001", "JDCJ002"]);
    await writeUnannounced(handle, "JDCJ003");
    expect(await codes(store)).toEqual(["JDCJ001", "JDCJ002"]);
  });
});
