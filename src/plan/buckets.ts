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
