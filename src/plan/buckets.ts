import { touchProbability } from '../stats/touch.js';
import { expectedRangeSums } from '../model/evaluate.js';
import { globalLookups, workerLookups, type RangeSums } from '../model/loads.js';
import type { Scenario, Table } from '../model/scenario.js';

/**
 * Rank buckets (DESIGN §4, proofs/bucket-certificate.md). Bucket k of a table holds ranks [from, to).
 * `sums` are the expected range sums (what evaluate uses for that range); `lowerSums` replace every row
 * of the bucket by its coldest row (p_min = p(to - 1)), which lower-bounds each row's sums because f_K is
 * increasing in p: n f_K(p_min) <= S_k(K) and n p_min <= P_k.
 */
export interface Bucket {
  table: number;
  from: number;
  to: number;
  rows: number;
  sums: RangeSums;
  lowerSums: RangeSums;
}

/**
 * Bucket boundaries of one table: at most `maxBuckets` buckets, geometric in rank (boundaries near
 * N^(k/M)), so the head is resolved row by row and the tail is coarse. A table with at most `maxBuckets`
 * rows gets one bucket per row. Adjacent buckets whose rows all have the same probability are merged
 * (their rows are interchangeable, so merging loses nothing: e.g. a uniform table is one bucket).
 */
export function bucketBoundaries(table: Table, maxBuckets: number): number[] {
  const N = table.rows;
  const M = Math.max(1, Math.floor(maxBuckets));
  let cuts: number[];
  if (N <= M) cuts = Array.from({ length: N + 1 }, (_, i) => i);
  else {
    const set = new Set<number>([0, N]);
    for (let k = 1; k < M; k++) set.add(Math.min(N - 1, Math.max(1, Math.round(Math.pow(N, k / M)))));
    cuts = [...set].sort((a, b) => a - b);
  }
  // Merge neighbours with equal probability at both ends (p is non-increasing, so the whole span is equal).
  const d = table.distribution;
  const out = [cuts[0]!];
  for (let i = 1; i < cuts.length; i++) {
    const prevFrom = out.length >= 2 ? out[out.length - 2]! : undefined;
    const to = cuts[i]!;
    if (prevFrom !== undefined && d.probability(prevFrom) === d.probability(to - 1)) out[out.length - 1] = to;
    else out.push(to);
  }
  return out;
}

/** Lower range sums: every row of [from, to) at the probability of its coldest row. */
export function lowerRangeSums(scenario: Scenario, table: Table, from: number, to: number): RangeSums {
  const n = to - from;
  const pMin = table.distribution.probability(to - 1);
  return {
    rows: n,
    mass: n * pMin,
    touchedPerWorker: Float64Array.from(scenario.gpus, (_, w) => n * touchProbability(pMin, workerLookups(scenario, table, w))),
    touchedGlobal: n * touchProbability(pMin, globalLookups(scenario, table)),
  };
}

export function scenarioBuckets(scenario: Scenario, maxBuckets: number): Bucket[] {
  const out: Bucket[] = [];
  for (const table of scenario.tables) {
    const cuts = bucketBoundaries(table, maxBuckets);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const from = cuts[i]!;
      const to = cuts[i + 1]!;
      out.push({
        table: table.index,
        from,
        to,
        rows: to - from,
        sums: expectedRangeSums(scenario, table, from, to),
        lowerSums: lowerRangeSums(scenario, table, from, to),
      });
    }
  }
  return out;
}

/** Whole tables as single items (table-wise plans). */
export function tableItems(scenario: Scenario): Bucket[] {
  return scenario.tables.map((table) => ({
    table: table.index,
    from: 0,
    to: table.rows,
    rows: table.rows,
    sums: expectedRangeSums(scenario, table, 0, table.rows),
    lowerSums: expectedRangeSums(scenario, table, 0, table.rows),
  }));
}

/**
 * Buckets of one scenario, computed once per (scenario, bucket count, plan space) and shared by the
 * algorithms of one `compare` call (greedy, exact, the certificate): the Zipf range sums are the costly part.
 * The caller owns the cache (no module-level state); scenarios are keyed by identity.
 */
export interface BucketCache {
  buckets(scenario: Scenario, maxBuckets: number): Bucket[];
  tables(scenario: Scenario): Bucket[];
}

export function bucketCache(): BucketCache {
  const byScenario = new WeakMap<Scenario, Map<string, Bucket[]>>();
  const memo = (scenario: Scenario, key: string, make: () => Bucket[]): Bucket[] => {
    let m = byScenario.get(scenario);
    if (!m) byScenario.set(scenario, (m = new Map()));
    let v = m.get(key);
    if (!v) m.set(key, (v = make()));
    return v;
  };
  return {
    buckets: (scenario, maxBuckets) => memo(scenario, `b${maxBuckets}`, () => scenarioBuckets(scenario, maxBuckets)),
    tables: (scenario) => memo(scenario, 'tables', () => tableItems(scenario)),
  };
}

/** Buckets of one scenario from explicit boundaries per table (cuts[t] = [0, ..., rows], increasing): refinement's items. */
export function bucketsFromCuts(scenario: Scenario, cuts: number[][]): Bucket[] {
  const out: Bucket[] = [];
  for (const table of scenario.tables) {
    const c = cuts[table.index]!;
    for (let i = 0; i + 1 < c.length; i++) {
      const from = c[i]!;
      const to = c[i + 1]!;
      out.push({ table: table.index, from, to, rows: to - from, sums: expectedRangeSums(scenario, table, from, to), lowerSums: lowerRangeSums(scenario, table, from, to) });
    }
  }
  return out;
}

/**
 * One bucket's excess mass (proofs/placement-refinement.md, "Excess mass"): in the lower model every row of a
 * bucket is charged its coldest row's sums; the mass above that, X = P - n p_min, goes into a continuous
 * pseudo-item whose classes' shares e_c (sum 1) are charged the secant slopes of f_K over [p_min, p_max].
 * `bucket` is that pseudo-item (no memory; its `rows` are the bucket's, so that n units are the whole excess);
 * `envelope` bounds the share a class with n rows of the bucket can take: e_c <= c0 + c1 n for each entry
 * (tangents of the hottest-n-rows mass).
 */
export interface ExcessItem {
  /** index of the bucket among the model's items */
  of: number;
  bucket: Bucket;
  envelope: Array<{ c0: number; c1: number }>;
}

/** Relative safety margin on the secant slopes and the excess mass (floating-point sums; see the proof). */
const EXCESS_SAFETY = 1e-9;

/**
 * f_K(b) - f_K(a) for 0 <= a <= b < 1, without cancellation: (1-a)^K (1 - ((1-b)/(1-a))^K).
 */
function touchDifference(a: number, b: number, lookups: number): number {
  if (lookups <= 0 || b <= a) return 0;
  const la = lookups * Math.log1p(-a);
  const lb = lookups * Math.log1p(-b);
  return Math.exp(la) * -Math.expm1(lb - la);
}

/**
 * The excess-mass sums of one bucket (proofs/placement-refinement.md, "Excess mass"): mass X = P - n p_min
 * and touched sums slope_K X, with slope_K the secant slope of f_K over [p_min, p_max] (a little low), or null
 * when the bucket has one row, equal probabilities or a negligible excess (its lower sums are exact or nearly).
 */
export function excessSums(scenario: Scenario, item: Bucket): { sums: RangeSums; X: number; pMin: number } | null {
  if (item.rows < 2) return null;
  const table = scenario.tables[item.table]!;
  const d = table.distribution;
  const pMax = d.probability(item.from);
  const pMin = d.probability(item.to - 1);
  if (!(pMax > pMin * (1 + 1e-6)) || pMax >= 1) return null;
  const X = (item.sums.mass - item.lowerSums.mass) * (1 - EXCESS_SAFETY);
  if (!(X > item.sums.mass * 1e-9)) return null;
  // secant slope of f_K on [pMin, pMax], a little low: f_K(p) >= f_K(pMin) + slope (p - pMin) there (concavity).
  // A slope below 1e-12 K (rows touched almost surely: (1 - p)^K near 1e-300) is charged as 0, which only
  // lowers the bound: such coefficients (8.5e-298 in one model) made GLPK's presolved LP report its first
  // basis as optimal (3382 us where the optimum is 504).
  // memoised per lookup count: every worker of a uniform batch shares one K
  const slopes = new Map<number, number>();
  const slope = (K: number) => {
    let s = slopes.get(K);
    if (s === undefined) {
      s = (touchDifference(pMin, pMax, K) / (pMax - pMin)) * (1 - EXCESS_SAFETY);
      if (!(s > 1e-12 * K)) s = 0;
      slopes.set(K, s);
    }
    return s;
  };
  return {
    X,
    pMin,
    sums: {
      rows: 0,
      mass: X,
      touchedPerWorker: Float64Array.from(scenario.gpus, (_, w) => slope(workerLookups(scenario, table, w)) * X),
      touchedGlobal: slope(globalLookups(scenario, table)) * X,
    },
  };
}

/**
 * The excess-mass pseudo-items of the lower model's buckets (one per bucket that has excess sums).
 * `tangents` says how many upper tangents bound each class's share: 1 (n0 = 0: e <= n (p_max - p_min) / X)
 * or 3 (also n0 = n/4 and n/2).
 */
export function excessItems(scenario: Scenario, items: Bucket[], tangents: 1 | 3 = 3): ExcessItem[] {
  const out: ExcessItem[] = [];
  items.forEach((item, i) => {
    const ex = excessSums(scenario, item);
    if (!ex) return;
    const { sums, X, pMin } = ex;
    const d = scenario.tables[item.table]!.distribution;
    // upper tangents of the concave H(n) = mass of the n hottest rows at n0, slope g = p(from + n0):
    // M <= H(n0) + g (n - n0), so E = M - n pMin <= (H(n0) - g n0) + (g - pMin) n
    const points = tangents === 1 || item.rows < 4 ? [0] : [0, Math.floor(item.rows / 4), Math.floor(item.rows / 2)];
    const envelope = [...new Set(points)].map((n0) => {
      const g = d.probability(item.from + n0);
      const h = n0 > 0 ? d.mass(item.from, item.from + n0).upper : 0;
      return { c0: Math.max(0, h - g * n0) / X, c1: Math.max(0, g - pMin) / X };
    });
    // `rows` = the bucket's: a model that counts units per row counts the excess in the same units (n units
    // for the whole excess), which keeps its coefficients on the scale of the bucket's own
    out.push({ of: i, bucket: { table: item.table, from: item.from, to: item.to, rows: item.rows, sums, lowerSums: sums }, envelope });
  });
  return out;
}
