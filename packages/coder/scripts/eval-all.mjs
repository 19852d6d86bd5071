// Scores the dev set and every probe set in one process (one referential load, one index).
// Run after `npx tsc -b packages/coder`: node packages/coder/scripts/eval-all.mjs [FILE.jsonl ...] [--misses]
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadSharedReferential } from "@ccam/ccam";
import { createCoder, evaluate, readCases } from "@ccam/coder";

const shared = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const data = new URL("../data/", import.meta.url).pathname;
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const showMisses = process.argv.includes("--misses");
const files = args.length
  ? args
  : [
      join(shared, "eval/dev.jsonl"),
      ...readdirSync(data)
        .filter((f) => /^selfcheck.*\.jsonl$/.test(f))
        .sort()
        .map((f) => join(data, f)),
    ];
const referential = await loadSharedReferential("V81");
const coder = await createCoder({ referential });
let all = 0;
let top1 = 0;
let top5 = 0;
for (const file of files) {
  const cases = await readCases(file);
  const r = await evaluate(coder, cases);
  all += r.n;
  top1 += r.top1 * r.n;
  top5 += r.top5 * r.n;
  console.log(
    `${file.split("/").pop().padEnd(18)} n=${String(r.n).padStart(3)} top1 ${r.top1.toFixed(3)} top3 ${r.top3.toFixed(3)} top5 ${r.top5.toFixed(3)} mrr ${r.mrr.toFixed(3)}`,
  );
  if (showMisses)
    for (const m of r.misses)
      console.log(
        `   ${m.id} rank=${m.rank} exp=${m.expected.join("/")} got=${m.got.join(",")} | ${m.text.slice(0, 90)}`,
      );
}
console.log(
  `${"ALL".padEnd(18)} n=${String(all).padStart(3)} top1 ${(top1 / all).toFixed(3)} top5 ${(top5 / all).toFixed(3)}`,
);
