import { InputError } from '../errors.js';
import { evaluate, summarizeLoads, type Evaluation } from '../model/evaluate.js';
import { addRangeLoads, emptyLoads, type RangeSums } from '../model/loads.js';
import type { CheckedPlan } from '../model/plan.js';
import type { Scenario, Table } from '../model/scenario.js';
import { LfuCache, LruCache } from './cache.js';
import { rankSetFor } from './distinct.js';
import { Rng } from './rng.js';
import { samplerFor, type RankSampler } from './sampler.js';
import { compare, RunningStat, type Comparison } from './stats.js';

/**
 * The Monte Carlo simulator (proofs/simulator.md). Each iteration draws every worker's lookups into every
 * table, coalesces them (distinct rows per worker and over the global batch), turns the realised counts
 * into RangeSums and costs them with the model's own addRangeLoads and summarizeLoads, so that realised
 * and expected costs are compared term by term.
 */
export interface SimulateOptions {
  /** iterations (global batches) to draw */
  batches: number;
  /** integer seed in [0, 2^53); table t uses the independent stream (seed, t + 1) */
  seed: number;
  /** rows of each dynamic cache: one LRU and one LFU cache per (GPU, table), fed with that GPU's coalesced batches */
  cacheRows?: number;
  /** batches before cache hits are counted (cold-start misses left out); default floor(batches / 5) */
  warmupBatches?: number;
  /** called after each batch (progress bars) */
  onBatch?: (done: number, total: number) => void;
}

export interface DistinctComparison extends Comparison {
  /** lookups K drawn per batch (b_w L_t rounded to an integer; summed over workers for the global batch) */
  lookups: number;
  /** analytic bounds on the expectation (equal to it where exact) */
  expectedLower: number;
  expectedUpper: number;
  /** sqrt(Var bound / batches): the standard error the variance bound allows */
  seBound: number;
}

export interface CacheComparison {
  /** rows per cache; each (GPU, table) has its own LRU and LFU cache of this many rows */
  rowsPerCache: number;
  /** batches whose hits were counted (after warm-up) */
  countedBatches: number;
  /** static top-c cache: E[distinct rows among ranks < c] / E[distinct rows], summed over workers */
  staticExpectedHitRate: number;
  /** the same ratio measured on the sampled batches */
  staticMeasuredHitRate: number;
  /** static top-c hits per batch summed over workers: measured mean +- se against sum_w E[distinct among ranks < c] */
  staticHitsPerBatch: Comparison;
  lruHitRate: number;
  lfuHitRate: number;
  perWorker: Array<{ worker: number; staticExpectedHitRate: number; staticMeasuredHitRate: number; lruHitRate: number; lfuHitRate: number }>;
}

export interface TableSimulation {
  name: string;
  distribution: string;
  /** true when some b_w L_t is not an integer and was rounded (the model uses the unrounded value) */
  lookupsRounded: boolean;
  workers: Array<DistinctComparison & { worker: number }>;
  global: DistinctComparison;
  cache?: CacheComparison;
}

export interface GpuLinkComparison {
  gpu: number;
  hostLinkBytes: Comparison;
  allToAllInBytes: Comparison;
  allToAllOutBytes: Comparison;
  hbmBytes: Comparison;
  allReduceBytes: Comparison;
  iterationSec: Comparison;
}

export interface Simulation {
  scenario: string;
  plan: string;
  coalesce: boolean;
  batches: number;
  seed: number;
  /** lookups drawn per batch over all tables and workers */
  lookupsPerBatch: number;
  tables: TableSimulation[];
  /** bytes per link per iteration, realised (mean +- se) against evaluate's expectation */
  gpus: GpuLinkComparison[];
  host: { dramBytes: Comparison };
  /**
   * Iteration time (the slowest GPU). Its expectation is not evaluate's iterationSec: the time is a convex
   * function (max) of the loads, so E[time] >= time(E[loads]) (proofs/simulator.md §3); `z` is reported
   * against evaluate's value and a positive z is expected there.
   */
  iterationSec: Comparison;
  /** evaluate(scenario, plan), the expectation every row is compared with */
  expected: Evaluation;
}

interface TableState {
  table: Table;
  sampler: RankSampler;
  rng: Rng;
  lookups: number[];
  buffer: Float64Array;
  workerSet: ReturnType<typeof rankSetFor>;
  globalSet: ReturnType<typeof rankSetFor>;
  /** first rank of each plan range, then the table's rows */
  bounds: Float64Array;
  ranges: CheckedPlan['tables'][string];
  distinct: RunningStat[];
  distinctGlobal: RunningStat;
  cacheRows: number;
  lru: LruCache[];
  lfu: LfuCache[];
  staticHits: Float64Array;
  requests: Float64Array;
  lruBase: Float64Array;
  lfuBase: Float64Array;
  staticHitsStat: RunningStat;
}

function checkOptions(opts: SimulateOptions): void {
  if (!Number.isInteger(opts.batches) || opts.batches < 1) throw new InputError(`must be an integer >= 1 (got ${opts.batches})`, 'option --batches');
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > Number.MAX_SAFE_INTEGER)
    throw new InputError(`must be an integer in [0, 2^53) (got ${opts.seed})`, 'option --seed');
  if (opts.cacheRows !== undefined && (!Number.isInteger(opts.cacheRows) || opts.cacheRows < 0))
    throw new InputError(`must be an integer >= 0 (got ${opts.cacheRows})`, 'option --cache-rows');
  if (opts.warmupBatches !== undefined && (!Number.isInteger(opts.warmupBatches) || opts.warmupBatches < 0 || opts.warmupBatches >= opts.batches))
    throw new InputError(`must be an integer in [0, batches) (got ${opts.warmupBatches})`, 'option --warmup');
}

export function simulate(scenario: Scenario, plan: CheckedPlan, opts: SimulateOptions): Simulation {
  checkOptions(opts);
  const W = scenario.gpus.length;
  const warmup = opts.cacheRows !== undefined ? (opts.warmupBatches ?? Math.floor(opts.batches / 5)) : 0;
  const states: TableState[] = scenario.tables.map((table) => {
    const lookups = scenario.gpus.map((g) => Math.round(g.batchSamples * table.pooling));
    const total = lookups.reduce((s, k) => s + k, 0);
    if (total > 2 ** 28) throw new InputError(`${total} lookups per batch into table "${table.name}" is too many to simulate`, `scenario: tables[${table.index}]`);
    const maxK = Math.max(1, ...lookups);
    const ranges = plan.tables[table.name]!;
    const bounds = new Float64Array(ranges.length + 1);
    ranges.forEach((r, i) => (bounds[i] = r.from));
    bounds[ranges.length] = table.rows;
    const cacheRows = Math.min(opts.cacheRows ?? 0, table.rows);
    return {
      table,
      sampler: samplerFor(table.distribution, table.distributionSpec),
      rng: new Rng(opts.seed, table.index + 1),
      lookups,
      buffer: new Float64Array(maxK),
      workerSet: rankSetFor(table.rows, maxK),
      globalSet: rankSetFor(table.rows, Math.max(1, total)),
      bounds,
      ranges,
      distinct: lookups.map(() => new RunningStat()),
      distinctGlobal: new RunningStat(),
      cacheRows,
      lru: opts.cacheRows !== undefined ? lookups.map(() => new LruCache(cacheRows)) : [],
      lfu: opts.cacheRows !== undefined ? lookups.map(() => new LfuCache(cacheRows)) : [],
      staticHits: new Float64Array(W),
      requests: new Float64Array(W),
      lruBase: new Float64Array(W),
      lfuBase: new Float64Array(W),
      staticHitsStat: new RunningStat(),
    };
  });

  const hostLink = Array.from({ length: W }, () => new RunningStat());
  const a2aIn = Array.from({ length: W }, () => new RunningStat());
  const a2aOut = Array.from({ length: W }, () => new RunningStat());
  const hbm = Array.from({ length: W }, () => new RunningStat());
  const allReduce = Array.from({ length: W }, () => new RunningStat());
  const gpuSec = Array.from({ length: W }, () => new RunningStat());
  const dram = new RunningStat();
  const iteration = new RunningStat();

  for (let batch = 0; batch < opts.batches; batch++) {
    const counting = batch >= warmup;
    if (batch === warmup) {
      // hits before this batch are warm-up: remember the counters to subtract them
      for (const s of states)
        for (let w = 0; w < W && s.lru.length > 0; w++) {
          s.lruBase[w] = s.lru[w]!.hits;
          s.lfuBase[w] = s.lfu[w]!.hits;
        }
    }
    const loads = emptyLoads(W);
    for (const s of states) {
      const sums = drawTableBatch(s, W, counting);
      for (let r = 0; r < s.ranges.length; r++) {
        const range = s.ranges[r]!;
        addRangeLoads(loads, scenario, s.table, range.at, range.gpu, sums[r]!, plan.coalesce);
      }
    }
    const e = summarizeLoads(scenario, loads, plan.coalesce, '');
    for (let g = 0; g < W; g++) {
      const b = e.gpus[g]!.bytes;
      hostLink[g]!.add(b.hostLink);
      a2aIn[g]!.add(b.allToAllIn);
      a2aOut[g]!.add(b.allToAllOut);
      hbm[g]!.add(b.hbm);
      allReduce[g]!.add(b.allReduce);
      gpuSec[g]!.add(e.gpus[g]!.iterationSec);
    }
    dram.add(e.host.dramBytes);
    iteration.add(e.iterationSec);
    opts.onBatch?.(batch + 1, opts.batches);
  }

  const expected = evaluate(scenario, plan);
  const n = opts.batches;
  const tables: TableSimulation[] = states.map((s) => {
    const d = s.table.distribution;
    const N = s.table.rows;
    const distinctComparison = (stat: RunningStat, K: number): DistinctComparison => {
      const t = d.touched(0, N, K);
      const seBound = Math.sqrt(Math.max(0, d.touchedVarianceBound(0, N, K).upper) / n);
      return { lookups: K, ...compare(stat, t.value, seBound), expectedLower: t.lower, expectedUpper: t.upper, seBound };
    };
    const totalK = s.lookups.reduce((a, k) => a + k, 0);
    const result: TableSimulation = {
      name: s.table.name,
      distribution: d.describe(),
      lookupsRounded: scenario.gpus.some((g) => !Number.isInteger(g.batchSamples * s.table.pooling)),
      workers: s.lookups.map((K, w) => ({ worker: w, ...distinctComparison(s.distinct[w]!, K) })),
      global: distinctComparison(s.distinctGlobal, totalK),
    };
    if (opts.cacheRows !== undefined) result.cache = cacheComparison(s, n - warmup);
    return result;
  });

  const gpus: GpuLinkComparison[] = expected.gpus.map((g, w) => ({
    gpu: w,
    hostLinkBytes: compare(hostLink[w]!, g.bytes.hostLink),
    allToAllInBytes: compare(a2aIn[w]!, g.bytes.allToAllIn),
    allToAllOutBytes: compare(a2aOut[w]!, g.bytes.allToAllOut),
    hbmBytes: compare(hbm[w]!, g.bytes.hbm),
    allReduceBytes: compare(allReduce[w]!, g.bytes.allReduce),
    iterationSec: compare(gpuSec[w]!, g.iterationSec),
  }));
  return {
    scenario: scenario.name,
    plan: plan.name ?? plan.algorithm ?? 'plan',
    coalesce: plan.coalesce,
    batches: n,
    seed: opts.seed,
    lookupsPerBatch: states.reduce((a, s) => a + s.lookups.reduce((b, k) => b + k, 0), 0),
    tables,
    gpus,
    host: { dramBytes: compare(dram, expected.host.dramBytes) },
    iterationSec: compare(iteration, expected.iterationSec),
    expected,
  };
}

/**
 * One batch of one table: sample each worker's K_w ranks, coalesce, and return the realised RangeSums of
 * every plan range (proofs/simulator.md §2: each is an unbiased estimate of the expected RangeSums).
 */
function drawTableBatch(s: TableState, W: number, counting: boolean): RangeSums[] {
  const R = s.ranges.length;
  const bounds = s.bounds;
  const lookupsIn = new Float64Array(R);
  // per range and worker: that worker's realised lookups into the range
  const lookupsInWorker = Array.from({ length: R }, () => new Float64Array(W));
  const touchedGlobal = new Float64Array(R);
  const touched = Array.from({ length: R }, () => new Float64Array(W));
  const { buffer, workerSet, globalSet } = s;
  const caching = s.lru.length > 0;
  const c = s.cacheRows;
  globalSet.clear();
  let totalK = 0;
  let batchStaticHits = 0;
  for (let w = 0; w < W; w++) {
    const K = s.lookups[w]!;
    totalK += K;
    s.sampler.fill(s.rng, buffer, K);
    workerSet.clear();
    const lru = caching ? s.lru[w]! : undefined;
    const lfu = caching ? s.lfu[w]! : undefined;
    let staticHits = 0;
    for (let i = 0; i < K; i++) {
      const x = buffer[i]!;
      let r = 0;
      if (R > 1) {
        // last range whose first rank is <= x
        let lo = 0;
        let hi = R - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if (bounds[mid]! <= x) lo = mid;
          else hi = mid - 1;
        }
        r = lo;
      }
      lookupsIn[r]!++;
      lookupsInWorker[r]![w]!++;
      if (workerSet.add(x)) {
        touched[r]![w]!++;
        if (globalSet.add(x)) touchedGlobal[r]!++;
        if (lru) {
          if (x < c) staticHits++;
          lru.access(x);
          lfu!.access(x);
        }
      }
    }
    s.distinct[w]!.add(workerSet.size);
    if (caching && counting) {
      s.staticHits[w]! += staticHits;
      batchStaticHits += staticHits;
      s.requests[w]! += workerSet.size;
    }
  }
  s.distinctGlobal.add(globalSet.size);
  if (caching && counting) s.staticHitsStat.add(batchStaticHits);
  const sums: RangeSums[] = [];
  for (let r = 0; r < R; r++) {
    sums.push({
      rows: bounds[r + 1]! - bounds[r]!,
      // realised share of all lookups: an unbiased estimate of the range's mass
      mass: totalK > 0 ? lookupsIn[r]! / totalK : 0,
      // each worker's own realised share: K_w * massPerWorker[w] is exactly its lookups into the range
      massPerWorker: lookupsInWorker[r]!.map((n, w) => (s.lookups[w]! > 0 ? n / s.lookups[w]! : 0)),
      touchedPerWorker: touched[r]!,
      touchedGlobal: touchedGlobal[r]!,
    });
  }
  return sums;
}

function cacheComparison(s: TableState, countedBatches: number): CacheComparison {
  const d = s.table.distribution;
  const N = s.table.rows;
  const c = s.cacheRows;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  let expHits = 0;
  let expAll = 0;
  let hits = 0;
  let req = 0;
  let lruHits = 0;
  let lfuHits = 0;
  let varBound = 0;
  const perWorker = s.lookups.map((K, w) => {
    const eh = d.touched(0, c, K).value;
    const ea = d.touched(0, N, K).value;
    const lh = s.lru[w]!.hits - s.lruBase[w]!;
    const fh = s.lfu[w]!.hits - s.lfuBase[w]!;
    expHits += eh;
    varBound += d.touchedVarianceBound(0, c, K).upper;
    expAll += ea;
    hits += s.staticHits[w]!;
    req += s.requests[w]!;
    lruHits += lh;
    lfuHits += fh;
    return {
      worker: w,
      staticExpectedHitRate: ratio(eh, ea),
      staticMeasuredHitRate: ratio(s.staticHits[w]!, s.requests[w]!),
      lruHitRate: ratio(lh, s.requests[w]!),
      lfuHitRate: ratio(fh, s.requests[w]!),
    };
  });
  return {
    rowsPerCache: c,
    countedBatches,
    staticExpectedHitRate: ratio(expHits, expAll),
    staticMeasuredHitRate: ratio(hits, req),
    staticHitsPerBatch: compare(s.staticHitsStat, expHits, Math.sqrt(varBound / Math.max(1, countedBatches))),
    lruHitRate: ratio(lruHits, req),
    lfuHitRate: ratio(lfuHits, req),
    perWorker,
  };
}
