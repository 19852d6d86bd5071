// `npm run bench [-- --json]`: runs each package's benchmark script (built code, real data) one after the other.
// Never part of `npm test`. With --json, the last line printed is one JSON object merging every result.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const json = process.argv.includes("--json");
const benches = [
  ["referential", "packages/ccam/scripts/bench.mjs"],
  ["rules", "packages/ccam/scripts/bench-rules.mjs"],
  ["coder", "packages/coder/scripts/bench.mjs"],
  ["learning", "packages/coder/scripts/bench-learning.mjs"],
  ["ledger", "packages/ledger/scripts/bench.mjs"],
  ["server", "packages/server/scripts/bench.mjs"],
].filter(([, script]) => existsSync(script));

const merged = {};
let failed = false;
for (const [name, script] of benches) {
  console.log(`\n## ${name} (${script})`);
  const run = spawnSync(process.execPath, [script, "--json"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = run.stdout.trimEnd().split("\n");
  console.log(lines.slice(0, -1).join("\n"));
  if (run.status !== 0) {
    console.log(`(${name} failed with exit code ${run.status})`);
    failed = true;
    continue;
  }
  try {
    merged[name] = JSON.parse(lines.at(-1) ?? "{}");
  } catch {
    console.log(lines.at(-1));
  }
}
// The headline figures of issue #8 at the top level: suggestP95Ms, e2eActsPerSecPg, e2eActsPerSecPglite,
// chainTxPer1000, coldStartMs, peakRssMb (the server section also keeps them, with the details per engine).
const { engines: _engines, ...headline } = merged.server ?? {};
if (json) console.log(JSON.stringify({ ...headline, ...merged }));
process.exit(failed ? 1 : 0);
