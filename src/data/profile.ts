import type { KeyCounter } from './counter.js';

/** What a profile needs of a counter: a KeyCounter, or merged counts (src/data/merge.ts). */
export type CounterView = Pick<KeyCounter, 'slots' | 'distinct' | 'accesses' | 'approximate' | 'size' | 'errorBound' | 'hll'>;

/**
 * From the counts of one feature to its entry in a frequency profile (src/model/schema.ts): the
 * frequency-of-frequencies histogram (which determines the sorted count vector, so the profile is lossless
 * for placement), the hottest ids, top-share figures and a Zipf exponent fitted on the head.
 */

export type IdFormat = 'hex8' | 'decimal';

export interface FeatureProfile {
  /** accesses counted (present values; plus missing ones with --missing row) */
  accesses: number;
  /** lines where the value was empty */
  missing: number;
  /** distinct rows (exact, or a HyperLogLog estimate when approximate) */
  distinct: number;
  /** [count, rowsWithThatCount], by decreasing count */
  countHistogram: Array<[number, number]>;
  /** [id, count], hottest first; ties by increasing id. The missing row (with --missing row) has id "" */
  topIds: Array<[string, number]>;
  /** share of accesses to the ceil(1% of distinct) hottest rows */
  top1PctShare: number;
  /** share of accesses to the ceil(10% of distinct) hottest rows */
  top10PctShare: number;
  /** least-squares Zipf exponent of the head (null when the head has fewer than two distinct ranks) */
  zipfAlpha: number | null;
  zipfFit: { method: string; ranks: number };
  /** values of this feature that made their line malformed (those lines are not counted at all) */
  malformed: number;
  /** true when the counts come from a bounded-memory summary (proofs/heavy-hitters.md) */
  approximate: boolean;
  /** approximate only: every count is low by at most this much, and ids not listed have at most this count */
  countErrorBound?: number;
  /** approximate only: relative standard error of `distinct` */
  distinctRelativeStdError?: number;
  /** with `stats --keep-counts`: what `stats --merge` needs (src/data/merge.ts) */
  mergeable?: MergeableCounts;
}

/**
 * Every kept key with its count, and for a summary its Misra-Gries state and HyperLogLog registers: enough to
 * merge profiles exactly (exact mode) or within the stated bounds (proofs/heavy-hitters.md §5).
 */
export interface MergeableCounts {
  /** keys (as numbers, exact below 2^53) and their counts, by increasing key */
  keys: number[];
  counts: number[];
  /** with --missing row: the missing row's count (it is not among the keys) */
  missingRowCount: number;
  /** summary only: keys held before a reduction, and the bound on every count's underestimate */
  maxKeys?: number;
  errorBound?: number;
  /** summary only: HyperLogLog precision and registers (base64) */
  hllPrecision?: number;
  hllRegisters?: string;
}

/** The mergeable record of a counter. */
export function mergeableCounts(counter: KeyCounter, missingRowCount: number): MergeableCounts {
  const { keysLo, keysHi, counts } = counter.slots();
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) pairs.push([keyNumber(keysLo[i]!, keysHi ? keysHi[i]! : 0), counts[i]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: MergeableCounts = { keys: pairs.map((p) => p[0]), counts: pairs.map((p) => p[1]), missingRowCount };
  if (counter.approximate) {
    out.maxKeys = counter.summaryMaxKeys;
    out.errorBound = counter.errorBound;
    out.hllPrecision = counter.hll!.precision;
    out.hllRegisters = Buffer.from(counter.hll!.registers).toString('base64');
  }
  return out;
}

export const ZIPF_HEAD_RANKS = 1000;
export const ZIPF_FIT_METHOD =
  'least squares of ln(count) on ln(rank) over ranks 1..H, H = min(1000, rows counted at least twice), or min(1000, distinct) when fewer than 2 such rows';

export interface ProfileOptions {
  topIds: number;
  idFormat: IdFormat;
  /** with --missing row: the count of the missing row (0 for none) */
  missingRowCount: number;
  missing: number;
  malformed: number;
}

/** A key (lo, hi) as a number; exact because keys have at most 53 bits. */
const keyNumber = (lo: number, hi: number) => hi * 4294967296 + lo;

export function formatId(key: number, format: IdFormat): string {
  return format === 'hex8' ? key.toString(16).padStart(8, '0') : String(key);
}

/** Histogram runs [count, rows] by decreasing count, from the counter's table. */
export function countHistogramOf(counter: CounterView): Array<[number, number]> {
  const byCount = new Map<number, number>();
  const { counts } = counter.slots();
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c !== 0) byCount.set(c, (byCount.get(c) ?? 0) + 1);
  }
  return [...byCount].sort((a, b) => b[0] - a[0]);
}

/** The n hottest keys as [key, count], count decreasing, ties by increasing key. */
export function topKeys(counter: CounterView, histogram: ReadonlyArray<readonly [number, number]>, n: number): Array<[number, number]> {
  if (n <= 0 || histogram.length === 0) return [];
  // Threshold: the count at rank n; keys above it are all taken, keys at it fill the rest by increasing key.
  let above = 0;
  let threshold = histogram[histogram.length - 1]![0];
  for (const [c, rows] of histogram) {
    if (above + rows >= n) {
      threshold = c;
      break;
    }
    above += rows;
  }
  const need = Math.min(n - above, n);
  const { keysLo, keysHi, counts } = counter.slots();
  const taken: Array<[number, number]> = [];
  let ties: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0 || c < threshold) continue;
    const key = keyNumber(keysLo[i]!, keysHi ? keysHi[i]! : 0);
    if (c > threshold) taken.push([key, c]);
    else {
      ties.push(key);
      if (ties.length > 4 * need + 1024) ties = ties.sort((a, b) => a - b).slice(0, need);
    }
  }
  ties.sort((a, b) => a - b);
  taken.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (let j = 0; j < need && j < ties.length; j++) taken.push([ties[j]!, threshold]);
  return taken;
}

/** Share of `total` held by the top `rows` rows of a decreasing histogram. */
export function topShare(histogram: ReadonlyArray<readonly [number, number]>, rows: number, total: number): number {
  if (total <= 0) return 0;
  let left = rows;
  let mass = 0;
  for (const [c, n] of histogram) {
    if (left <= 0) break;
    const take = Math.min(left, n);
    mass += take * c;
    left -= take;
  }
  return Math.min(1, mass / total);
}

/** Least-squares slope fit of ln(count) = a - alpha ln(rank) over ranks 1..H of a decreasing histogram. */
export function fitZipfHead(histogram: ReadonlyArray<readonly [number, number]>, maxRanks = ZIPF_HEAD_RANKS): { alpha: number | null; ranks: number } {
  let repeated = 0;
  let distinct = 0;
  for (const [c, n] of histogram) {
    distinct += n;
    if (c >= 2) repeated += n;
  }
  const H = Math.min(maxRanks, repeated >= 2 ? repeated : distinct);
  if (H < 2) return { alpha: null, ranks: H };
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let rank = 1;
  for (const [c, n] of histogram) {
    const y = Math.log(c);
    for (let j = 0; j < n && rank <= H; j++, rank++) {
      const x = Math.log(rank);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    if (rank > H) break;
  }
  const varX = sxx - (sx * sx) / H;
  const cov = sxy - (sx * sy) / H;
  // ranks 1..H with H >= 2 give varX > 0; -0 becomes 0 for equal counts
  return { alpha: -cov / varX + 0, ranks: H };
}

/** Merge a run into a decreasing histogram. */
function insertRun(histogram: Array<[number, number]>, count: number, rows: number): Array<[number, number]> {
  const i = histogram.findIndex(([c]) => c <= count);
  if (i >= 0 && histogram[i]![0] === count) {
    histogram[i]![1] += rows;
    return histogram;
  }
  histogram.splice(i < 0 ? histogram.length : i, 0, [count, rows]);
  return histogram;
}

/**
 * The profile entry of one feature. Exact counters give the exact histogram. A summary gives its kept
 * counts (lower bounds) plus a tail: the accesses not covered, spread evenly over the estimated rows not
 * kept (proofs/heavy-hitters.md, section 4). The missing row, with --missing row, is one more row.
 */
export function featureProfile(counter: CounterView, opts: ProfileOptions): FeatureProfile {
  const keptHistogram = countHistogramOf(counter);
  let histogram = keptHistogram.map(([c, n]): [number, number] => [c, n]);
  let distinct = counter.distinct();
  let accesses = counter.accesses;
  const approximate = counter.approximate;
  if (approximate) {
    const kept = counter.size;
    const covered = histogram.reduce((s, [c, n]) => s + c * n, 0);
    const tailRows = distinct - kept;
    const tailAccesses = accesses - covered;
    if (tailRows > 0 && tailAccesses > 0) histogram = insertRun(histogram, tailAccesses / tailRows, tailRows);
  }
  let top = topKeys(counter, keptHistogram, opts.topIds).map(([k, c]): [string, number] => [formatId(k, opts.idFormat), c]);
  if (opts.missingRowCount > 0) {
    const m = opts.missingRowCount;
    histogram = insertRun(histogram, m, 1);
    distinct += 1;
    accesses += m;
    // ties go by increasing id and "" sorts first, so the missing row precedes rows of equal count
    const at = top.findIndex(([, c]) => c <= m);
    top.splice(at < 0 ? top.length : at, 0, ['', m]);
    top = top.slice(0, opts.topIds);
  }
  const fit = fitZipfHead(histogram);
  const profile: FeatureProfile = {
    accesses,
    missing: opts.missing,
    distinct,
    countHistogram: histogram,
    topIds: top,
    top1PctShare: topShare(histogram, Math.ceil(distinct / 100), accesses),
    top10PctShare: topShare(histogram, Math.ceil(distinct / 10), accesses),
    zipfAlpha: fit.alpha,
    zipfFit: { method: ZIPF_FIT_METHOD, ranks: fit.ranks },
    malformed: opts.malformed,
    approximate,
  };
  if (approximate) {
    profile.countErrorBound = counter.errorBound;
    profile.distinctRelativeStdError = counter.hll!.relativeStandardError;
  }
  return profile;
}
