/**
 * Rank buckets (DESIGN.md §4, proofs/buckets.md): decisions on huge tables are made per bucket of ranks
 * [from, to). Buckets are single rows at the head, then geometric in rank, so the hot rows where f varies
 * fastest are resolved row by row and the long cold tail costs a few dozen buckets.
 *
 * Per bucket, with n rows, mass P and lowest row probability pMin (the last row of the bucket):
 *   n f_K(pMin) <= S(K) = sum f_K(p_i) <= n f_K(P / n)
 * (f increasing gives the left side, f concave and Jensen the right). S(K) itself comes from the
 * distribution's range sum, an interval of relative width <= 1e-9.
 */
import type { Interval, RankDistribution } from './distribution.js';
import { touchProbability } from './touch.js';

export interface BucketTouched {
  lookups: number;
  /** S(K) = sum over the bucket of f_K(p_i), from the distribution (an interval, exact for counts/uniform) */
  value: Interval;
  /** n f_K(pMin) <= S(K): every row of the bucket has p >= pMin */
  concaveLower: number;
  /** n f_K(P/n) >= S(K): Jensen, f_K concave in p */
  concaveUpper: number;
}

export interface Bucket {
  /** first rank (inclusive) */
  from: number;
  /** last rank (exclusive) */
  to: number;
  /** number of rows n = to - from */
  rows: number;
  /** P = sum of p_i over the bucket */
  mass: Interval;
  /** a lower bound on the smallest row probability of the bucket (that of rank to - 1) */
  pMin: number;
  /** the largest row probability of the bucket (that of rank from) */
  pMax: number;
  /** one entry per requested lookups value, in the order given */
  touched: BucketTouched[];
}

export interface BucketOptions {
  /** at most this many buckets (>= 1) */
  maxBuckets: number;
  /** lookup counts K for which S(K) and its bounds are computed (default none) */
  lookups?: readonly number[];
}

/** Relative safety margin on pMin: probability() is exact to a few ulps; 1e-12 keeps pMin a lower bound. */
const P_MIN_MARGIN = 1e-12;

/**
 * Bucket boundaries [0 = b_0 < b_1 < ... < b_m = rows], m <= maxBuckets. A table with at most maxBuckets rows
 * gets one bucket per row. Otherwise the first s ranks are single rows and the remaining maxBuckets - s
 * buckets grow geometrically by r = (rows/s)^(1/(maxBuckets - s)); s is the smallest count for which the first
 * geometric bucket holds at least one row (s (r - 1) >= 1), so widths grow smoothly from 1.
 */
export function bucketBoundaries(rows: number, maxBuckets: number): number[] {
  if (!Number.isSafeInteger(rows) || rows < 1) throw new RangeError(`buckets need an integer rows >= 1 (got ${rows})`);
  if (!Number.isInteger(maxBuckets) || maxBuckets < 1) throw new RangeError(`maxBuckets must be an integer >= 1 (got ${maxBuckets})`);
  if (rows <= maxBuckets) return Array.from({ length: rows + 1 }, (_, i) => i);
  if (maxBuckets === 1) return [0, rows];
  const ratioFor = (s: number) => Math.pow(rows / s, 1 / (maxBuckets - s));
  let singles = 1;
  while (singles < maxBuckets - 1 && singles * (ratioFor(singles) - 1) < 1) singles++;
  const r = ratioFor(singles);
  const bounds: number[] = Array.from({ length: singles + 1 }, (_, i) => i);
  let width = 1;
  for (let j = 1; j <= maxBuckets - singles; j++) {
    const prev = bounds[bounds.length - 1]!;
    // widths never shrink (rounding of s r^j alone could make them jitter 2, 1, 2 near the head)
    const next = j === maxBuckets - singles ? rows : Math.min(rows, Math.max(prev + width, Math.round(singles * Math.pow(r, j))));
    width = next - prev;
    if (next <= prev) continue;
    bounds.push(next);
    if (next === rows) break;
  }
  if (bounds[bounds.length - 1] !== rows) bounds[bounds.length - 1] = rows;
  return bounds;
}

/** Buckets of a distribution with their counts, masses and S(K) bounds (see the module comment). */
export function makeBuckets(distribution: RankDistribution, options: BucketOptions): Bucket[] {
  const bounds = bucketBoundaries(distribution.rows, options.maxBuckets);
  const lookups = options.lookups ?? [];
  const buckets: Bucket[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = bounds[k]!;
    const to = bounds[k + 1]!;
    const n = to - from;
    const mass = distribution.mass(from, to);
    const pMin = distribution.probability(to - 1) * (1 - P_MIN_MARGIN);
    buckets.push({
      from,
      to,
      rows: n,
      mass,
      pMin,
      pMax: distribution.probability(from),
      touched: lookups.map((K) => ({
        lookups: K,
        value: distribution.touched(from, to, K),
        concaveLower: n * touchProbability(pMin, K),
        concaveUpper: n * touchProbability(mass.upper / n, K),
      })),
    });
  }
  return buckets;
}

/**
 * Relative width of the bucket model for K lookups: sum_k (n f(P/n) - n f(pMin)) / sum_k S_k, i.e. how far
 * the concavity bounds of the buckets may be from the row-level expectation.
 */
export function bucketModelWidth(buckets: readonly Bucket[], index = 0): number {
  let gap = 0;
  let total = 0;
  for (const b of buckets) {
    const t = b.touched[index];
    if (!t) throw new RangeError(`bucket ${b.from}..${b.to} has no S(K) at index ${index}`);
    gap += t.concaveUpper - t.concaveLower;
    total += t.value.lower;
  }
  return total > 0 ? gap / total : 0;
}

/**
 * The fewest buckets (doubling from 16, at most `maxBuckets`) whose concavity bounds have relative width
 * <= targetWidth at every K in `lookups`. Returns the buckets and the width reached (which exceeds the target
 * only when maxBuckets is reached first).
 */
export function bucketsForWidth(
  distribution: RankDistribution,
  lookups: readonly number[],
  targetWidth: number,
  maxBuckets = 4096,
): { buckets: Bucket[]; width: number } {
  let count = Math.min(16, maxBuckets);
  for (;;) {
    const buckets = makeBuckets(distribution, { maxBuckets: count, lookups });
    const width = Math.max(0, ...lookups.map((_, i) => bucketModelWidth(buckets, i)));
    if (width <= targetWidth || count >= maxBuckets || buckets.length >= distribution.rows) return { buckets, width };
    count = Math.min(maxBuckets, count * 2);
  }
}
