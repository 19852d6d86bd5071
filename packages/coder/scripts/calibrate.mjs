// Fits the confidence mapping (Platt scaling of the top-1 score margin) on FIRST-CONTACT cases: case sets the
// engine has not been adjusted to, so the confidence speaks for new text. Prints the fitted parameters, the
// 5-fold held-out ECE, and the reliability of the current DEFAULT_CALIBRATION on the same cases.
// Run after `npx tsc -b packages/coder`: node packages/coder/scripts/calibrate.mjs FILE.jsonl [FILE.jsonl ...]
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

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: calibrate.mjs FILE.jsonl [FILE.jsonl ...]");
  process.exit(2);
}
const referential = await loadSharedReferential("V81");
const coder = await createCoder({ referential });
const samples = [];
for (const file of files)
  for (const c of await readCases(file)) {
    const { candidates } = await coder.internals.rank({ text: c.text, date: c.date });
    const [first, second] = candidates;
    if (!first) continue;
    const right = new Set([...c.expected, ...(c.acceptable ?? [])]);
    samples.push({ margin: second ? first.score - second.score : 1, correct: right.has(first.code) });
  }
const points = (fit, set) => set.map((s) => ({ confidence: calibrate(s.margin, fit), correct: s.correct }));
// Held-out: each fold is scored with the mapping fitted on the other folds.
const held = [];
for (let k = 0; k < 5; k++) {
  const train = samples.filter((_, i) => i % 5 !== k);
  const test = samples.filter((_, i) => i % 5 === k);
  held.push(...points(fitPlatt(train), test));
}
const fitted = fitPlatt(samples);
const accuracy = samples.filter((s) => s.correct).length / samples.length;
console.log(`${samples.length} cases, top-1 ${accuracy.toFixed(3)}`);
console.log(
  `fitted: a=${fitted.a.toFixed(2)} b=${fitted.b.toFixed(2)}; 5-fold held-out ECE ${expectedCalibrationError(reliabilityTable(held))}`,
);
const current = reliabilityTable(points(DEFAULT_CALIBRATION, samples));
console.log(
  `current (a=${DEFAULT_CALIBRATION.a}, b=${DEFAULT_CALIBRATION.b}): ECE ${expectedCalibrationError(current)}`,
);
console.table(reliabilityTable(held));
