import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSharedReferential, type Referential } from "@ccam/ccam";
import { openTestDatabase } from "@ccam/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("learns as well from keyed terms, and then keeps no word of the texts", async () => {
    const handle = await openTestDatabase([coderMigrations]);
    const key = randomBytes(32);
    const termKey = (term: string) => createHmac("sha256", key).update(term).digest("hex").slice(0, 32);
    try {
      await provesLearning(new DrizzleLearningStore(handle.db, termKey));
      const rows = await handle.db.select({ terms: coderLearningEvents.terms }).from(coderLearningEvents);
      const terms = rows.flatMap((r) => r.terms);
      expect(terms.length).toBeGreaterThan(0);
      expect(terms.every((t) => /^[0-9a-f]{32}$/.test(t))).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
