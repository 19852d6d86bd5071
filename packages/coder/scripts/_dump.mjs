import { loadSharedReferential } from "@ccam/ccam";
import { createCoder, readCases } from "@ccam/coder";
import { readdirSync, writeFileSync } from "node:fs";
const referential = await loadSharedReferential("V81");
const coder = await createCoder({ referential });
const dir = "/work/main/packages/coder/data/";
let cases = [...(await readCases("/work/shared/eval/dev.jsonl"))];
for (const f of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) cases.push(...(await readCases(dir + f)));
for (const f of readdirSync("/work/probes").filter((f) => f.startsWith("probe") && f.endsWith(".jsonl")).sort()) cases.push(...(await readCases("/work/probes/" + f)));
const out = [];
for (const c of cases) { const r = await coder.suggest({ text: c.text, date: c.date, limit: 10 }); out.push(JSON.stringify({ id: c.id, s: r.suggestions.map((s) => `${s.code}:${s.confidence}`) })); }
writeFileSync(process.argv[2], out.join("\n") + "\n");
console.log("wrote", out.length);
