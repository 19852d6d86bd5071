// Learning-loop benchmark (issue #4): corrections of part of a case set raise top-1 on similarly worded unseen
// cases. The case sets hold several texts, by different curators, for many acts. A site has its own convention
// for each such act (here: it codes the act the engine ranks second for the act's first text, usually a sibling
// that differs by a detail). Its coders correct that first text only; the benchmark measures how often the
// site's code comes first on the act's OTHER texts (never corrected) before and after, at that site and at
// another one, and the top-1 of every other case at that site (it must not get worse).
// Run after `npx tsc -b packages/coder`: node packages/coder/scripts/bench-learning.mjs [--json]
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadSharedReferential } from "@ccam/ccam";
import { createCoder, InMemoryLearningStore, readCases } from "@ccam/coder";

const shared = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const data = new URL("../data/", import.meta.url).pathname;
const json = process.argv.includes("--json");
const files = [
  join(shared, "eval/dev.jsonl"),
  ...readdirSync(data)
    .filter((f) => /^selfcheck.*\.jsonl$/.test(f))
    .map((f) => join(data, f)),
];
const cases = (await Promise.all(files.map(readCases))).flat();
const referential = await loadSharedReferential("V81");
const coder = await createCoder({ referential, learningStore: new InMemoryLearningStore() });
const site = "site-a";
const first = async (text, date, at) => (await coder.suggest({ text, date, site: at })).suggestions;

const byCode = new Map();
for (const c of cases) byCode.set(c.expected[0], [...(byCode.get(c.expected[0]) ?? []), c]);
const families = [];
for (const [, group] of byCode) {
  if (group.length < 2) continue;
  const [train, ...heldOut] = group;
  const ranked = await first(train.text, train.date, site);
  const convention = ranked[1]?.code;
  if (convention) families.push({ train, heldOut, convention, engine: ranked[0]?.code });
}
const others = cases.filter((c) => !families.some((f) => f.train.expected[0] === c.expected[0]));
const siteTop1 = async (at) => {
  let right = 0;
  let n = 0;
  for (const f of families)
    for (const c of f.heldOut) {
      n++;
      if ((await first(c.text, c.date, at))[0]?.code === f.convention) right++;
    }
  return right / n;
};
const othersTop1 = async () => {
  let right = 0;
  for (const c of others)
    if ([...c.expected, ...c.acceptable].includes((await first(c.text, c.date, site))[0]?.code)) right++;
  return right / others.length;
};

const before = await siteTop1(site);
const othersBefore = await othersTop1();
for (const f of families)
  await coder.learn({
    text: f.train.text,
    chosenCodes: [f.convention],
    rejectedCodes: f.engine && f.engine !== f.convention ? [f.engine] : [],
    site,
    at: new Date().toISOString(),
  });
const result = {
  acts: families.length,
  corrections: families.length,
  heldOutTexts: families.reduce((n, f) => n + f.heldOut.length, 0),
  siteCodeTop1Before: before,
  siteCodeTop1After: await siteTop1(site),
  siteCodeTop1OtherSite: await siteTop1("site-b"),
  otherCases: others.length,
  otherCasesTop1Before: othersBefore,
  otherCasesTop1After: await othersTop1(),
};
for (const [key, value] of Object.entries(result))
  console.log(`${key.padEnd(22)} ${typeof value === "number" ? Math.round(value * 1000) / 1000 : value}`);
if (json) console.log(JSON.stringify(result));
