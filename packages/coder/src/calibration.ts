/** Monotone mapping from a score margin to a probability of being right. */
export interface Calibration {
  a: number;
  b: number;
}

/**
 * Fitted by Platt scaling (`scripts/calibrate.mjs`) on the FIRST-CONTACT top-1 margins of two probe sets written
 * blind to the engine (probe19a/19b, 160 cases, 2026-12-07, scored before any change was made for them), so the
 * confidence speaks for new text rather than for the sets the engine was tuned on; 5-fold held-out ECE 0.05.
 * p = 1 / (1 + exp(-(a * margin + b))).
 */
export const DEFAULT_CALIBRATION: Calibration = { a: 6.97, b: 0.01 };

export function calibrate(margin: number, c: Calibration = DEFAULT_CALIBRATION): number {
  const p = 1 / (1 + Math.exp(-(c.a * margin + c.b)));
  return Math.round(p * 1000) / 1000;
}

/** Platt scaling: logistic regression of correctness on the margin, fitted by Newton's method (two parameters). */
export function fitPlatt(samples: { margin: number; correct: boolean }[], iterations = 50): Calibration {
  const n = samples.length;
  if (n === 0) return DEFAULT_CALIBRATION;
  // Platt's target smoothing avoids infinite slopes on separable data.
  const positives = samples.filter((s) => s.correct).length;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (n - positives + 2);
  let a = 0;
  let b = Math.log((positives + 1) / (n - positives + 1));
  for (let it = 0; it < iterations; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (const s of samples) {
      const p = 1 / (1 + Math.exp(-(a * s.margin + b)));
      const y = s.correct ? hi : lo;
      const w = p * (1 - p);
      ga += (p - y) * s.margin;
      gb += p - y;
      haa += w * s.margin * s.margin;
      hab += w * s.margin;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

export interface ReliabilityBin {
  range: string;
  n: number;
  meanConfidence: number;
  accuracy: number;
}

/** Reliability table: predictions binned by confidence, with the observed accuracy per bin. */
export function reliabilityTable(
  points: { confidence: number; correct: boolean }[],
  edges = [0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0001],
): ReliabilityBin[] {
  const bins: ReliabilityBin[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const lo = edges[i] as number;
    const hi = edges[i + 1] as number;
    const inBin = points.filter((p) => p.confidence >= lo && p.confidence < hi);
    bins.push({
      range: `${lo.toFixed(1)}–${Math.min(hi, 1).toFixed(1)}`,
      n: inBin.length,
      meanConfidence: inBin.length ? round(inBin.reduce((s, p) => s + p.confidence, 0) / inBin.length) : 0,
      accuracy: inBin.length ? round(inBin.filter((p) => p.correct).length / inBin.length) : 0,
    });
  }
  return bins;
}

/** Expected calibration error over the bins. */
export function expectedCalibrationError(bins: ReliabilityBin[]): number {
  const n = bins.reduce((s, b) => s + b.n, 0);
  if (n === 0) return 0;
  return round(bins.reduce((s, b) => s + (b.n / n) * Math.abs(b.meanConfidence - b.accuracy), 0));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
