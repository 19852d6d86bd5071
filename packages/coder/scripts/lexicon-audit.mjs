// Lists lexicon expansion words that no label, short label or note of the referential uses (dead expansions).
// Run after `npx tsc -b packages/coder`: node packages/coder/scripts/lexicon-audit.mjs
import { loadSharedReferential } from "@ccam/ccam";
import { indexTerms, readLexiconFiles, stem } from "@ccam/coder";

const referential = await loadSharedReferential("V81");
const vocabulary = new Set();
for (const act of referential.acts.values())
  for (const t of indexTerms(
    `${act.label} ${act.shortLabel ?? ""} ${act.notes.map((n) => n.text).join(" ")}`,
  ))
    vocabulary.add(t);
const known = (t) => vocabulary.has(t) || (t.length >= 5 && [...vocabulary].some((v) => v.startsWith(t)));
let dead = 0;
for (const [name, lexicon] of await readLexiconFiles()) {
  for (const [key, expansion] of Object.entries(lexicon.terms)) {
    const missing = indexTerms(expansion).filter((t) => !known(t));
    if (missing.length) {
      dead++;
      console.log(`${name}: ${key} => ${expansion}   [absent: ${missing.join(", ")}]`);
    }
  }
  for (const [organ, word] of Object.entries(lexicon.ectomies ?? {}))
    if (!known(stem(word))) console.log(`${name}: ectomie ${organ} => ${word} [absent]`);
}
console.log(`${dead} entries with words absent from the referential`);
