// Referential benchmarks: parse, import into a fresh embedded PGlite, load back, label search latency.
// Run after `npm run build`; prints a table, and with --json a last line of JSON.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  ActSearchIndex,
  ccamMigrations,
  importReferentialFile,
  loadSource,
  noteRuleCoverage,
  ReferentialStore,
  validate,
} from "@ccam/ccam";
import { migrate, openDatabase } from "@ccam/db";

const shared = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const file = join(shared, "ccam/ameli/CCAM_V81_2026-01-01.csv");
const nomensland = join(shared, "ccam/nomensland");
const json = process.argv.includes("--json");
const ms = (start) => Math.round((performance.now() - start) * 10) / 10;
const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];

let t = performance.now();
await loadSource(file, nomensland);
const parseMs = ms(t);

const dir = mkdtempSync(join(tmpdir(), "ccam-bench-"));
const handle = await openDatabase({ dataDir: dir });
await migrate(handle, [ccamMigrations]);
const store = new ReferentialStore(handle.db);
t = performance.now();
const summary = await importReferentialFile(store, file, { nomenslandDir: nomensland });
const importMs = ms(t);
t = performance.now();
const referential = await store.loadVersion("V81");
const loadMs = ms(t);
t = performance.now();
const index = new ActSearchIndex(referential);
const indexMs = ms(t);
const queries = [
  "prothese totale de hanche",
  "appendicectomie coelioscopie",
  "NEKA",
  "echographie abdominale",
  "canal carpien",
  "ecg",
  "biopsie",
  "ablation",
];
const latencies = [];
for (let i = 0; i < 400; i++) {
  const start = performance.now();
  index.search(queries[i % queries.length], 20);
  latencies.push(performance.now() - start);
}
// Rule engine (issue #3): 1,000 validations of a 3-act session (two associated surgical acts + anaesthesia).
const session = {
  date: "2026-03-10",
  patient: { sex: "M", ageYears: 60 },
  acts: [
    { code: "MJPA012", activity: 1, phase: 0, modifiers: ["J", "K"] },
    { code: "AHPA009", activity: 1, phase: 0, modifiers: ["J", "K"] },
    { code: "MJPA012", activity: 4, phase: 0, modifiers: ["3", "7"], extension: "1" },
  ],
};
t = performance.now();
validate(session, referential); // first call compiles the note and modifier rules of the version
const rulesFirstMs = ms(t);
t = performance.now();
for (let i = 0; i < 1000; i++) validate(session, referential);
const rules1000Ms = ms(t);
const coverage = noteRuleCoverage(referential);
await handle.close();
rmSync(dir, { recursive: true, force: true });

const result = {
  acts: summary.acts,
  parseV81Ms: parseMs,
  importV81PgliteMs: importMs,
  loadV81Ms: loadMs,
  searchIndexBuildMs: indexMs,
  searchP50Ms: Math.round(percentile(latencies, 0.5) * 100) / 100,
  searchP95Ms: Math.round(percentile(latencies, 0.95) * 100) / 100,
  rulesFirstCallMs: rulesFirstMs,
  rules1000x3ActsMs: rules1000Ms,
  noteRulesParsed: `${coverage.parsed}/${coverage.candidates}`,
  noteRulesWithCodesParsed: `${coverage.withCodesParsed}/${coverage.withCodes}`,
};
for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(22)} ${value}`);
if (json) console.log(JSON.stringify(result));
