// Looks up V81 acts without a database: codes whose folded label (or short label, or notes) match every pattern.
// Run after `npx tsc -b packages/coder`: node packages/coder/scripts/labels.mjs "pattern" ["pattern" ...] [--notes]
//   node packages/coder/scripts/labels.mjs HMFC004        (one code: label, short label, chapter path, notes)
import { foldText, loadSharedReferential } from "@ccam/ccam";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const withNotes = process.argv.includes("--notes");
if (!args.length) {
  console.error('usage: labels.mjs "pattern" [...] [--notes]  |  labels.mjs CODE');
  process.exit(2);
}
const referential = await loadSharedReferential("V81");
const one = args.length === 1 && /^[A-Z]{4}\d{3}$/.test(args[0]) ? referential.acts.get(args[0]) : undefined;
if (one) {
  console.log(`${one.code}  ${one.label}\n  short: ${one.shortLabel ?? ""}`);
  for (const note of one.notes) console.log(`  note ${note.kind ?? ""}: ${note.text}`);
  process.exit(0);
}
const patterns = args.map((a) => new RegExp(foldText(a), "i"));
let n = 0;
for (const act of referential.acts.values()) {
  const text = foldText(
    `${act.label} ${act.shortLabel ?? ""} ${withNotes ? act.notes.map((x) => x.text).join(" ") : ""}`,
  );
  if (patterns.every((p) => p.test(text))) {
    n++;
    console.log(`${act.code}  ${act.label}`);
  }
}
console.log(`${n} acts`);
