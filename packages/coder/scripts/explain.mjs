// Shows how the coder reads a text: query terms, features, and the best candidates with their score parts.
// Run after `npx tsc -b packages/coder`: node packages/coder/scripts/explain.mjs "TEXT" [N]
import { loadSharedReferential } from "@ccam/ccam";
import { createCoder } from "@ccam/coder";

const [text, n = "8"] = process.argv.slice(2);
if (!text) {
  console.error('usage: explain.mjs "TEXT" [N]');
  process.exit(2);
}
const referential = await loadSharedReferential("V81");
const coder = await createCoder({ referential });
const { query, candidates } = await coder.internals.rank({ text, date: "2026-06-01" });
console.log(
  "terms:",
  query.terms.map((t) => `${t.term}${t.weight < 1 ? `@${t.weight.toFixed(2)}` : ""}`).join(" "),
);
console.log("negated:", [...query.negated].join(" "));
const f = query.features;
console.log("features:", JSON.stringify({ ...f, approaches: [...f.approaches], guidance: [...f.guidance] }));
for (const c of candidates.slice(0, Number(n))) {
  const act = referential.act(c.code);
  const parts = Object.entries(c.parts)
    .map(([k, v]) => `${k}=${v.toFixed(2)}`)
    .join(" ");
  console.log(`${c.code} ${c.score.toFixed(3)} ${act?.label.slice(0, 90)}\n    ${parts}`);
}
