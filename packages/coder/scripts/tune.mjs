// Fits the scorer's feature weights and the confidence mapping on an evaluation file, with k-fold
// cross-validation so the reported numbers are held-out. Run after `npm run build`:
//   node packages/coder/scripts/tune.mjs [--cases FILE.jsonl] [--folds 5]
// Prints CV top-1/MRR for the default and tuned weights, the tuned weights, Platt parameters and a reliability table.
import { loadSharedReferential } from "@ccam/ccam";
import {
  calibrate,
  createCoder,
  DEFAULT_CALIBRATION,
  expectedCalibrationError,
  fitPlatt,
  readCases,
  reliabilityTable,
} from "@ccam/coder";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const casesPath = arg("--cases", `${process.env.CCAM_SHARED_DIR ?? "../shared"}/eval/dev.jsonl`);
const folds = Number(arg("--folds", "5"));
const referential = await loadSharedReferential("V81");
const coder = await createCoder({ referential });
const defaults = { ...coder.internals.weights };
for (const k of Object.keys(coder.internals.weights)) coder.internals.weights[k] = 1;
const cases = await readCases(casesPath);

// Raw feature values of every candidate, computed once with unit weights.
const data = [];
for (const c of cases) {
  const { candidates } = await coder.internals.rank({ text: c.text, date: c.date });
  const right = new Set([...c.expected, ...c.acceptable]);
  data.push({
    id: c.id,
    cands: candidates.map((x) => ({ code: x.code, parts: x.parts, right: right.has(x.code) })),
  });
}
const keys = Object.keys(defaults);
const score = (parts, w) => {
  let s = 0;
  for (const [k, v] of Object.entries(parts)) s += (w[k] ?? 1) * v;
  return s;
};
function ranks(items, w) {
  return items.map((d) => {
    const scored = d.cands.map((c) => ({ ...c, s: score(c.parts, w) })).sort((a, b) => b.s - a.s);
    const idx = scored.findIndex((c) => c.right);
    const margin = scored.length > 1 ? scored[0].s - scored[1].s : 1;
    return { id: d.id, rank: idx >= 0 ? idx + 1 : null, margin };
  });
}
function objective(items, w) {
  const r = ranks(items, w);
  const top1 = r.filter((x) => x.rank === 1).length / r.length;
  const mrr = r.reduce((s, x) => s + (x.rank ? 1 / x.rank : 0), 0) / r.length;
  return { top1, mrr, value: top1 + 0.5 * mrr };
}
const GRID = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1, 1.5];
function tune(items, start) {
  const w = { ...start };
  let best = objective(items, w).value;
  for (let round = 0; round < 3; round++) {
    let improved = false;
    for (const k of keys) {
      if (k === "retrieval" || k === "learned") continue;
      for (const v of GRID) {
        const trial = { ...w, [k]: v };
        const value = objective(items, trial).value;
        // Prefer the smaller change on ties: only strict improvements move a weight.
        if (value > best + 1e-9) {
          best = value;
          w[k] = v;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return w;
}
// k-fold CV: deterministic folds by position.
const cvDefault = [];
const cvTuned = [];
for (let f = 0; f < folds; f++) {
  const train = data.filter((_, i) => i % folds !== f);
  const test = data.filter((_, i) => i % folds === f);
  const w = tune(train, defaults);
  cvDefault.push(...ranks(test, defaults));
  cvTuned.push(...ranks(test, w));
}
const summary = (r) => ({
  top1: +(r.filter((x) => x.rank === 1).length / r.length).toFixed(3),
  top5: +(r.filter((x) => x.rank && x.rank <= 5).length / r.length).toFixed(3),
  mrr: +(r.reduce((s, x) => s + (x.rank ? 1 / x.rank : 0), 0) / r.length).toFixed(3),
});
const all = tune(data, defaults);
console.log("defaults in-sample", summary(ranks(data, defaults)));
console.log("CV held-out, default weights", summary(cvDefault));
console.log("CV held-out, weights tuned on the other folds", summary(cvTuned));
console.log("tuned on all (in-sample)", summary(ranks(data, all)));
console.log("tuned weights", JSON.stringify(all));
// Calibration: Platt on held-out margins (CV), reliability of the CV predictions.
const cvPoints = [];
for (let f = 0; f < folds; f++) {
  const train = cvTuned
    .filter((_, i) => i % folds !== f)
    .map((x) => ({ margin: x.margin, correct: x.rank === 1 }));
  const c = fitPlatt(train);
  for (const x of cvDefault.filter((_, i) => i % folds === f))
    cvPoints.push({ confidence: calibrate(x.margin, c), correct: x.rank === 1 });
}
const platt = fitPlatt(cvDefault.map((x) => ({ margin: x.margin, correct: x.rank === 1 })));
console.log("platt (all CV margins)", JSON.stringify(platt), "current", JSON.stringify(DEFAULT_CALIBRATION));
const table = reliabilityTable(cvPoints);
console.table(table);
console.log("ECE (held-out)", expectedCalibrationError(table));
