/**
 * Expected distinct rows for Zipf(1.05), N = 1e8, K = 1e6: the exact O(N) sum (a plain Float64 loop) against
 * the bounded method of proofs/zipf-sums.md, time and relative interval width of each, in one run.
 */
import { touchProbability } from '../src/stats/touch.js';
import { zipfDistribution } from '../src/stats/zipf.js';
import { medianMs, type BenchContext, type BenchResult } from './types.js';

/** The O(N) reference: a plain Float64 loop for H_N, then one for sum f_K(p_i) (smallest terms first). */
function exactSum(alpha: number, rows: number, lookups: number): number {
  let h = 0;
  for (let x = rows; x >= 1; x--) h += Math.pow(x, -alpha);
  let s = 0;
  for (let x = rows; x >= 1; x--) s += touchProbability(Math.pow(x, -alpha) / h, lookups);
  return s;
}

export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  const alpha = 1.05;
  const rows = ctx.quick ? 1e6 : 1e8;
  const lookups = ctx.quick ? 1e4 : 1e6;
  // timed once: it takes seconds, and a plain loop has no warm-up worth repeating
  const t0 = performance.now();
  const exact = exactSum(alpha, rows, lookups);
  const exactMs = performance.now() - t0;
  let bounded = { value: 0, lower: 0, upper: 0 };
  // construction (the normaliser H_N) and the range sum are both part of the method
  const boundedMs = await medianMs(() => {
    bounded = zipfDistribution(alpha, rows).touched(0, rows, lookups);
  }, 201);
  const contains = bounded.lower <= exact && exact <= bounded.upper;
  const boundedWidth = (bounded.upper - bounded.lower) / bounded.value;
  // the plain loop has no interval: report how far it lands from the bounded midpoint (its rounding error)
  const exactDeviation = Math.abs(exact - bounded.value) / bounded.value;
  return {
    title: `Expected distinct rows, Zipf(${alpha}), N = ${rows}, K = ${lookups}: exact O(N) sum vs bounded method`,
    rows: [
      { method: 'exact O(N) loop (1 run)', medianMs: exactMs, expectedUnique: exact, relativeWidth: 0, relativeDeviation: exactDeviation },
      { method: 'bounded (EM + Gauss-Kronrod), median of 201', medianMs: boundedMs, expectedUnique: bounded.value, relativeWidth: boundedWidth, relativeDeviation: 0 },
    ],
    notes: [
      `speed-up exact / bounded = ${(exactMs / boundedMs).toFixed(0)}x (same run)`,
      `bounded interval [${bounded.lower}, ${bounded.upper}] ${contains ? 'contains' : 'does not contain'} the plain-loop sum ${exact} (relative deviation ${exactDeviation.toExponential(2)}, the loop's own rounding)`,
      `bounded relative width ${boundedWidth.toExponential(2)} (target <= 1e-9): ${boundedWidth <= 1e-9 ? 'met' : 'MISSED'}`,
      `bounded median ${boundedMs.toFixed(3)} ms (target < 1 ms): ${boundedMs < 1 ? 'met' : 'MISSED'}`,
    ],
  };
}
