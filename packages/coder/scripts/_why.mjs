import { loadSharedReferential } from "@ccam/ccam";
import { createCoder, readCases } from "@ccam/coder";
const [file, ...ids] = process.argv.slice(2);
const referential = await loadSharedReferential("V81");
const coder = await createCoder({ referential });
const cases = (await readCases(file)).filter((c) => ids.length === 0 || ids.includes(c.id));
for (const c of cases) {
  const r = await coder.suggest({ text: c.text, date: c.date, limit: 5 });
  const want = [...c.expected, ...(c.acceptable ?? [])];
  if (ids.length === 0 && want.includes(r.suggestions[0]?.code)) continue;
  const { query, candidates } = await coder.internals.rank({ text: c.text, date: c.date });
  console.log(`\n## ${c.id} exp=${c.expected.join("/")} | ${c.text}`);
  console.log("terms:", query.terms.map((t) => `${t.term}${t.weight < 1 ? `@${t.weight.toFixed(2)}` : ""}`).join(" "));
  console.log("negated:", [...query.negated].join(" "), "| suggest:", r.suggestions.map((s) => s.code).join(","));
  const show = (cand, i) => {
    const parts = Object.entries(cand.parts).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(" ");
    console.log(`${i}. ${cand.code} ${cand.score.toFixed(3)} ${referential.act(cand.code)?.label.slice(0, 100)}\n     ${parts}`);
  };
  candidates.slice(0, 3).forEach((cd, i) => show(cd, i + 1));
  for (const code of want) { const i = candidates.findIndex((cd) => cd.code === code); if (i >= 3) show(candidates[i], i + 1); else if (i < 0) console.log(`   ${code} not in pool`); }
}
