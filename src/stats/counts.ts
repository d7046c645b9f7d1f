import type { Interval, RankDistribution } from './distribution.js';
import { touchProbability, touchVariance } from './touch.js';

const exact = (v: number): Interval => ({ value: v, lower: v, upper: v });

/**
 * A measured histogram as a distribution. Rows are ranked by decreasing count and stored as runs of equal
 * count (a frequency-of-frequencies histogram), so range sums cost O(log runs + runs in range), not O(rows):
 * Terabyte features have 10^7-10^8 rows but at most a few thousand distinct counts.
 * Rows beyond the counted ones (rows > sum of run lengths) have probability 0.
 */
export interface CountRun {
  /** access count of every row in the run */
  count: number;
  /** number of rows with that count */
  rows: number;
}

export function countsDistributionFromHistogram(histogram: readonly CountRun[], rows?: number): RankDistribution {
  const runs = histogram.filter((r) => r.count > 0 && r.rows > 0).slice().sort((a, b) => b.count - a.count);
  const merged: CountRun[] = [];
  for (const r of runs) {
    const last = merged[merged.length - 1];
    if (last && last.count === r.count) last.rows += r.rows;
    else merged.push({ count: r.count, rows: r.rows });
  }
  const counted = merged.reduce((s, r) => s + r.rows, 0);
  const total = merged.reduce((s, r) => s + r.count * r.rows, 0);
  const n = rows ?? counted;
  if (!(total > 0)) throw new RangeError('counts distribution needs at least one positive count');
  if (n < counted) throw new RangeError(`counts describe ${counted} rows but the table has only ${n}`);
  const start = new Float64Array(merged.length + 1); // start[j] = first rank of run j
  for (let j = 0; j < merged.length; j++) start[j + 1] = start[j]! + merged[j]!.rows;
  const prob = Float64Array.from(merged, (r) => r.count / total);

  /** index of the run holding rank (or merged.length when rank >= counted) */
  const runOf = (rank: number): number => {
    let lo = 0;
    let hi = merged.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (start[mid + 1]! <= rank) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** sum over ranks [from, to) of g(p) */
  const rangeSum = (from: number, to: number, g: (p: number) => number): number => {
    const a = Math.max(0, from);
    const b = Math.min(to, counted);
    let sum = 0;
    for (let j = runOf(a); j < merged.length && start[j]! < b; j++) {
      const lo = Math.max(a, start[j]!);
      const hi = Math.min(b, start[j + 1]!);
      if (hi > lo) sum += (hi - lo) * g(prob[j]!);
    }
    return sum;
  };

  return {
    kind: 'counts',
    rows: n,
    probability: (rank) => (rank >= 0 && rank < counted ? prob[runOf(rank)]! : 0),
    mass: (from, to) => exact(rangeSum(from, to, (p) => p)),
    touched: (from, to, lookups) => exact(rangeSum(from, to, (p) => touchProbability(p, lookups))),
    touchedVarianceBound: (from, to, lookups) =>
      exact(rangeSum(from, to, (p) => touchVariance(p, lookups))),
    describe: () => `counts(${counted} counted rows of ${n}, ${total} accesses, ${merged.length} distinct counts)`,
  };
}

/** From a per-row count vector in any order (zero counts allowed: those rows are never touched). */
export function countsDistribution(counts: ArrayLike<number>, rows?: number): RankDistribution {
  const byCount = new Map<number, number>();
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) byCount.set(c, (byCount.get(c) ?? 0) + 1);
  }
  return countsDistributionFromHistogram(
    [...byCount].map(([count, n]) => ({ count, rows: n })),
    rows ?? counts.length,
  );
}
