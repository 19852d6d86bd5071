import { readFile } from "node:fs/promises";
import { z } from "zod";
import { type ReliabilityBin, reliabilityTable } from "./calibration.js";
import type { Coder } from "./types.js";

export const EvalCaseSchema = z.object({
  id: z.string(),
  text: z.string(),
  expected: z.array(z.string()).min(1),
  acceptable: z.array(z.string()).default([]),
  specialty: z.string().default("unknown"),
  style: z.string().optional(),
  date: z.string().optional(),
});
export type EvalCase = z.infer<typeof EvalCaseSchema>;

export interface EvalMiss {
  id: string;
  text: string;
  expected: string[];
  got: string[];
  /** 1-based rank of the first right code, null when absent from the suggestions. */
  rank: number | null;
}

export interface EvalReport {
  n: number;
  top1: number;
  top3: number;
  top5: number;
  mrr: number;
  p50_ms: number;
  p95_ms: number;
  bySpecialty: Record<string, { n: number; top1: number; top5: number }>;
  reliability: ReliabilityBin[];
  misses: EvalMiss[];
  /** Per case: top-1 confidence and whether top-1 was right (for calibration fitting). */
  points: { id: string; confidence: number; correct: boolean }[];
}

/** Reads a JSONL file of cases; throws with the line number on a bad line. */
export async function readCases(path: string): Promise<EvalCase[]> {
  const lines = (await readFile(path, "utf8")).split("\n");
  const cases: EvalCase[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1}: not valid JSON`);
    }
    const parsed = EvalCaseSchema.safeParse(raw);
    if (!parsed.success)
      throw new Error(`line ${i + 1}: ${parsed.error.issues[0]?.message ?? "invalid case"}`);
    cases.push(parsed.data);
  });
  return cases;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** Runs every case; a hit at k when any expected or acceptable code is within the first k suggestions. */
export async function evaluate(coder: Coder, cases: EvalCase[]): Promise<EvalReport> {
  let top1 = 0;
  let top3 = 0;
  let top5 = 0;
  let rr = 0;
  const latencies: number[] = [];
  const bySpecialty: Record<string, { n: number; top1: number; top5: number }> = {};
  const misses: EvalMiss[] = [];
  const points: EvalReport["points"] = [];
  for (const c of cases) {
    const start = performance.now();
    const result = await coder.suggest({ text: c.text, date: c.date, specialty: c.specialty, limit: 10 });
    latencies.push(performance.now() - start);
    const right = new Set([...c.expected, ...c.acceptable]);
    const codes = result.suggestions.map((s) => s.code);
    const idx = codes.findIndex((code) => right.has(code));
    const rank = idx >= 0 ? idx + 1 : null;
    if (rank === 1) top1++;
    if (rank !== null && rank <= 3) top3++;
    if (rank !== null && rank <= 5) top5++;
    if (rank !== null) rr += 1 / rank;
    const s = bySpecialty[c.specialty] ?? { n: 0, top1: 0, top5: 0 };
    bySpecialty[c.specialty] = s;
    s.n++;
    if (rank === 1) s.top1++;
    if (rank !== null && rank <= 5) s.top5++;
    points.push({ id: c.id, confidence: result.suggestions[0]?.confidence ?? 0, correct: rank === 1 });
    if (rank !== 1)
      misses.push({ id: c.id, text: c.text, expected: c.expected, got: codes.slice(0, 5), rank });
  }
  const n = cases.length || 1;
  return {
    n: cases.length,
    top1: round(top1 / n),
    top3: round(top3 / n),
    top5: round(top5 / n),
    mrr: round(rr / n),
    p50_ms: round(percentile(latencies, 0.5), 2),
    p95_ms: round(percentile(latencies, 0.95), 2),
    bySpecialty,
    reliability: reliabilityTable(points),
    misses,
    points,
  };
}
