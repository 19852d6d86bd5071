// Coding-agent benchmarks on the real V81: dev-set accuracy, suggest() latency, index build and load time.
// Run after `npm run build`: node packages/coder/scripts/bench.mjs [--cases FILE.jsonl] [--json]
// Prints a table, and with --json a last line of JSON.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadSharedReferential } from "@ccam/ccam";
import { createCoder, evaluate, expectedCalibrationError, readCases } from "@ccam/coder";

const shared = resolve(process.env.CCAM_SHARED_DIR ?? "../shared");
const i = process.argv.indexOf("--cases");
const casesPath = i >= 0 ? process.argv[i + 1] : join(shared, "eval/dev.jsonl");
const json = process.argv.includes("--json");
const ms = (start) => Math.round((performance.now() - start) * 10) / 10;
const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];

let t = performance.now();
const referential = await loadSharedReferential("V81");
const referentialLoadMs = ms(t);

const cacheDir = mkdtempSync(join(tmpdir(), "ccam-coder-bench-"));
t = performance.now();
const cold = await createCoder({ referential, cacheDir }); // cold: builds and saves the index
const coderColdStartMs = ms(t);
t = performance.now();
const coder = await createCoder({ referential, cacheDir }); // warm: loads the cached index
const coderLoadMs = ms(t);

const cases = await readCases(casesPath);
const report = await evaluate(coder, cases);
// Steady-state latency over 5 more passes (the evaluation pass above is the cold one: JIT, lazy act profiles).
const latencies = [];
for (let round = 0; round < 5; round++)
  for (const c of cases) {
    const start = performance.now();
    await coder.suggest({ text: c.text, date: c.date });
    latencies.push(performance.now() - start);
  }
rmSync(cacheDir, { recursive: true, force: true });

const result = {
  acts: referential.acts.size,
  cases: report.n,
  top1: report.top1,
  top3: report.top3,
  top5: report.top5,
  mrr: report.mrr,
  ece: expectedCalibrationError(report.reliability),
  firstPassP95Ms: report.p95_ms,
  suggestP50Ms: Math.round(percentile(latencies, 0.5) * 100) / 100,
  suggestP95Ms: Math.round(percentile(latencies, 0.95) * 100) / 100,
  referentialLoadMs,
  indexBuildMs: Math.round(cold.internals.index.builtMs),
  indexLoadMs: Math.round(coder.internals.index.builtMs),
  coderColdStartMs,
  coderLoadMs,
};
for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(20)} ${value}`);
if (json) console.log(JSON.stringify(result));
