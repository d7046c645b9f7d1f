import { InfeasibleError } from '../errors.js';
import type { OnWorkProgress } from '../progress.js';
import { evaluate, expectedRangeSums } from '../model/evaluate.js';
import {
  addRangeLoads,
  computeSecondsAll,
  resourceSeconds,
  emptyLoads,
  globalLookups,
  gpuEmbeddingCapacityBytes,
  workerLookups,
  type Loads,
  type RangeSums,
} from '../model/loads.js';
import { uniformPlan, type CheckedPlan } from '../model/plan.js';
import { withGlobalBatch, type Scenario, type Table } from '../model/scenario.js';
import type { PlanRange } from '../model/schema.js';
import { touchProbability } from '../stats/touch.js';
import { REBALANCE_BALANCED, rebalanceShards } from './rebalance.js';
import { bucketBoundaries, bucketsFromCuts, lowerRangeSums, scenarioBuckets, type Bucket, type BucketCache } from './buckets.js';
import { addScaledLoads, bucketedLoads, fastLoads, fastOffsets, gpuClass, hostClass, itemShape, makespanSec, plansFromCounts, REP, tierRecords, type FastLoads, type FastState } from './classes.js';
import { checkCapacity } from './mipModel.js';

/** B0: every lookup fetches its row from host memory, no coalescing (DESIGN §6). */
export function hostPlan(scenario: Scenario): CheckedPlan {
  checkCapacity(scenario, 'cache');
  return { ...uniformPlan(scenario, 'host', false, 'host'), algorithm: 'host' };
}

/** B1: every row on host, lookups coalesced. */
export function hostCoalescedPlan(scenario: Scenario): CheckedPlan {
  checkCapacity(scenario, 'cache');
  return { ...uniformPlan(scenario, 'host', true, 'host-coalesced'), algorithm: 'host-coalesced' };
}

/**
 * Linear per-GPU seconds of a loads vector, by evaluate's own conversions (iterationTerms without the
 * latencies): gathers, both all-to-all phases, host link, all-reduce, host DRAM. Used for densities.
 */
export function linearSecondsPerGpu(scenario: Scenario, loads: Loads): Float64Array {
  const sec = resourceSeconds(scenario, loads);
  const shared = sec.allReduceSec + sec.hostDramSec;
  return Float64Array.from(
    scenario.gpus,
    (_g, w) => sec.gatherSec[w]! + 2 * Math.max(sec.allToAllInSec[w]!, sec.allToAllOutSec[w]!) + sec.hostLinkSec[w]! + shared,
  );
}

const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;

/**
 * B2, TorchRec-like: whole tables, by decreasing cost (host-link bytes the table would cause), each to the
 * GPU that keeps the makespan lowest among those with room; tables that fit on no GPU stay on host.
 * No coalescing (the paper's techniques are what B3 adds).
 */
export function tablewiseGreedyPlan(scenario: Scenario): CheckedPlan {
  checkCapacity(scenario, 'tablewise');
  const W = scenario.gpus.length;
  const coalesce = false;
  const whole = scenario.tables.map((t) => expectedRangeSums(scenario, t, 0, t.rows));
  // the same for every trial placement: once, not per trial (O(tables) per worker)
  const compute = computeSecondsAll(scenario, coalesce);
  const loadsOf = (t: Table, at: 'gpu' | 'host' | 'replicated', g?: number) => {
    const l = emptyLoads(W);
    addRangeLoads(l, scenario, t, at, g, whole[t.index]!, coalesce);
    return l;
  };
  const hostUnit = scenario.tables.map((t) => loadsOf(t, 'host'));
  const cost = (t: Table) => hostUnit[t.index]!.hostLinkBytes.reduce((s, x) => s + x, 0);
  const order = [...scenario.tables].sort((a, b) => cost(b) - cost(a) || a.index - b.index);
  const loads = emptyLoads(W);
  for (const t of scenario.tables) addScaledLoads(loads, hostUnit[t.index]!, 1);
  const placeAt: PlanRange['at'][] = scenario.tables.map(() => 'host');
  const gpuOf: (number | undefined)[] = scenario.tables.map(() => undefined);
  const free = Float64Array.from(scenario.gpus, (_, g) => gpuEmbeddingCapacityBytes(scenario, g));
  const counters = { rep: 0, sh: 0, host: scenario.tables.reduce((s, t) => s + t.rows, 0) };
  const setCounters = (l: Loads, c: typeof counters) => {
    l.rowsReplicated = W === 1 ? c.sh : 0;
    l.rowsSharded = W === 1 ? 0 : c.sh;
    l.rowsHost = c.host;
  };
  for (const t of order) {
    const bytes = t.rows * (t.rowBytes + t.optimizerBytesPerRow);
    let bestG = -1;
    let bestTime = Infinity;
    let bestLoads: Loads | undefined;
    for (let g = 0; g < W; g++) {
      if (bytes > free[g]!) continue;
      const trial = structuredClone(loads);
      addScaledLoads(trial, hostUnit[t.index]!, -1);
      addScaledLoads(trial, loadsOf(t, 'gpu', g), 1);
      setCounters(trial, { rep: 0, sh: counters.sh + t.rows, host: counters.host - t.rows });
      const time = makespanSec(scenario, trial, coalesce, compute);
      if (time < bestTime) [bestG, bestTime, bestLoads] = [g, time, trial];
    }
    if (bestG < 0) continue;
    Object.assign(loads, bestLoads);
    free[bestG]! -= bytes;
    counters.sh += t.rows;
    counters.host -= t.rows;
    placeAt[t.index] = 'gpu';
    gpuOf[t.index] = bestG;
  }
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables)
    tables[t.name] = [placeAt[t.index] === 'gpu' ? { from: 0, to: t.rows, at: W === 1 ? 'replicated' : 'gpu', ...(W === 1 ? {} : { gpu: gpuOf[t.index]! }) } : { from: 0, to: t.rows, at: 'host' }];
  return { name: 'tablewise-greedy', algorithm: 'tablewise-greedy', coalesce, tables };
}

/** One row's range sums at probability p (for per-row densities). */
function rowSums(scenario: Scenario, table: Table, p: number): RangeSums {
  return {
    rows: 1,
    mass: p,
    touchedPerWorker: Float64Array.from(scenario.gpus, (_, w) => touchProbability(p, workerLookups(scenario, table, w))),
    touchedGlobal: touchProbability(p, globalLookups(scenario, table)),
  };
}

export interface KnapsackCertificate {
  /** capacity of the cache per GPU (bytes) */
  capacityBytes: number;
  /** linear (serial, mean over GPUs, no latency) seconds saved by the greedy cache */
  savedSec: number;
  /** fractional-knapsack optimum of the same saving: no cache saves more (proofs/caching-knapsack.md) */
  fractionalBoundSec: number;
  /** the largest saving of a single row: greedy is within this of the integral optimum */
  maxItemSec: number;
}

/**
 * B3 (DESIGN §3): coalescing plus a frequency cache (replicated on every GPU) filled by value density
 * (seconds saved per byte) across tables. Rows with equal probability are interchangeable, so the greedy
 * works on thresholds: for a density level lambda it takes, per table, the prefix of rows whose density is
 * at least lambda (density falls with rank because the saving is increasing in p). Exact at row level.
 */
export function cacheGreedyPlan(scenario: Scenario): { plan: CheckedPlan; certificate: KnapsackCertificate } {
  checkCapacity(scenario, 'cache');
  const W = scenario.gpus.length;
  const capacity = Math.min(...scenario.gpus.map((_, g) => gpuEmbeddingCapacityBytes(scenario, g)));
  const saving = (t: Table, p: number): number => {
    const s = rowSums(scenario, t, p);
    const h = emptyLoads(W);
    const r = emptyLoads(W);
    addRangeLoads(h, scenario, t, 'host', undefined, s, true);
    addRangeLoads(r, scenario, t, 'replicated', undefined, s, true);
    return mean(linearSecondsPerGpu(scenario, h)) - mean(linearSecondsPerGpu(scenario, r));
  };
  const bytesOf = (t: Table) => t.rowBytes + t.optimizerBytesPerRow;
  // Bisection on lambda repeats the same binary-search probes: memoise density per (table, rank).
  const memo = scenario.tables.map(() => new Map<number, number>());
  const density = (t: Table, rank: number): number => {
    const m = memo[t.index]!;
    let d = m.get(rank);
    if (d === undefined) m.set(rank, (d = saving(t, t.distribution.probability(rank)) / bytesOf(t)));
    return d;
  };
  /** number of leading ranks of t with density >= lambda (binary search; density non-increasing in rank) */
  const prefix = (t: Table, lambda: number): number => {
    let lo = 0;
    let hi = t.rows;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (density(t, mid) >= lambda) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const used = (lambda: number) => scenario.tables.reduce((s, t) => s + prefix(t, lambda) * bytesOf(t), 0);
  let maxDensity = 0;
  for (const t of scenario.tables) maxDensity = Math.max(maxDensity, density(t, 0));
  let counts: number[];
  if (used(0) <= capacity) counts = scenario.tables.map((t) => prefix(t, 0));
  else {
    // Bisection on lambda: hi always fits, lo never does.
    let lo = 0;
    let hi = maxDensity * (1 + 1e-12) + Number.MIN_VALUE;
    for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
      const mid = (lo + hi) / 2;
      if (used(mid) <= capacity) hi = mid;
      else lo = mid;
    }
    counts = scenario.tables.map((t) => prefix(t, hi));
    let left = capacity - counts.reduce((s, c, i) => s + c * bytesOf(scenario.tables[i]!), 0);
    // Rows between the two levels (ties and near-ties), by the density of each table's next row.
    const upto = scenario.tables.map((t) => prefix(t, lo));
    for (;;) {
      let best = -1;
      let bestD = -Infinity;
      scenario.tables.forEach((t, i) => {
        if (counts[i]! < upto[i]! && bytesOf(t) <= left) {
          const d = density(t, counts[i]!);
          if (d > bestD) [best, bestD] = [i, d];
        }
      });
      if (best < 0) break;
      const t = scenario.tables[best]!;
      const k = Math.min(upto[best]! - counts[best]!, Math.floor(left / bytesOf(t)));
      counts[best]! += k;
      left -= k * bytesOf(t);
    }
  }
  const tables: Record<string, PlanRange[]> = {};
  let savedSec = 0;
  let maxItemSec = 0;
  scenario.tables.forEach((t, i) => {
    const c = counts[i]!;
    const ranges: PlanRange[] = [];
    if (c > 0) ranges.push({ from: 0, to: c, at: 'replicated' });
    if (c < t.rows) ranges.push({ from: c, to: t.rows, at: 'host' });
    tables[t.name] = ranges;
    maxItemSec = Math.max(maxItemSec, saving(t, t.distribution.probability(0)));
    if (c > 0) {
      const s = expectedRangeSums(scenario, t, 0, c);
      const h = emptyLoads(W);
      const r = emptyLoads(W);
      addRangeLoads(h, scenario, t, 'host', undefined, s, true);
      addRangeLoads(r, scenario, t, 'replicated', undefined, s, true);
      savedSec += mean(linearSecondsPerGpu(scenario, h)) - mean(linearSecondsPerGpu(scenario, r));
    }
  });
  // Fractional bound: the leftover capacity filled at the best remaining density (proofs/caching-knapsack.md).
  const usedBytes = counts.reduce((s, c, i) => s + c * bytesOf(scenario.tables[i]!), 0);
  let nextDensity = 0;
  scenario.tables.forEach((t, i) => {
    if (counts[i]! < t.rows) nextDensity = Math.max(nextDensity, density(t, counts[i]!));
  });
  const fractionalBoundSec = savedSec + Math.max(0, capacity - usedBytes) * nextDensity;
  return {
    plan: { name: 'cache-greedy', algorithm: 'cache-greedy', coalesce: true, tables },
    certificate: { capacityBytes: capacity, savedSec, fractionalBoundSec, maxItemSec },
  };
}

/**
 * Default work cap of greedy's local search (worker-evaluations). It replaced a 40 ms wall-clock budget, which
 * made plans depend on the machine's speed and load: 300k is about what 40 ms allowed on the bench's
 * 100-table x 16-GPU instance (Intel Xeon, 2026-12-02); Criteo Terabyte's search ends by itself well below it
 * (37k).
 */
export const GREEDY_WORK_BUDGET = 300_000;

/** What is left of a local search's work cap (worker-evaluations); shared by the searches of one greedy call. */
export interface WorkBudget {
  left: number;
}

export interface GreedyOptions {
  /** buckets per table of the search (default 32, fewer where the records would pass GREEDY_RECORD_ENTRIES) */
  maxBuckets?: number;
  /**
   * buckets per table of the tier step, when more than the search's (default GREEDY_TIER_BUCKETS, or the
   * search's own when maxBuckets is given): the search then runs on the segments of the tiers (fineTierStarts)
   */
  tierBuckets?: number;
  /**
   * Work cap of the local search (default GREEDY_WORK_BUDGET): cost evaluations, each counted as the number of
   * workers it recomputes. A count, not a clock: the plan is the same on every machine. The search normally
   * ends sooner, by its own stopping rule.
   */
  workBudget?: number;
  /** buckets shared with other algorithms of the same call */
  bucketCache?: BucketCache;
  /** rebalance the plan's shards at row level at the end (step 5, rebalanceShards; default true) */
  rebalance?: boolean;
  /** called before each candidate batch of greedyBatchSearch (the work is synchronous: it reports between batches) */
  onProgress?: OnWorkProgress;
}

/**
 * Budget of greedy's unit records, as items x classes x GPUs (each record is 5W + 3 doubles: 1.6e7 is about
 * 650 MB of records). It bounds the search's items; the tier step (tierRecords, 3 records per bucket) is not
 * bound by it. 8e6 before 2026-12-03; doubled when the tier step moved to fine buckets (gen-T500-W64: 3.28e6
 * samples/s at 8e6, 3.48e6 at 1.6e7, 3.55e6 at 3.2e7 with 1.5 GB resident).
 */
export const GREEDY_RECORD_ENTRIES = 1.6e7;

/** Buckets per table of greedy's tier step (and the most its search uses). */
export const GREEDY_TIER_BUCKETS = 32;

/** A run of sharded rows of one table in one start's tiers: its seconds (tier cost) and its fine cuts inside. */
type ShardRun = { table: number; sec: number; inner: number[] };

/** Subsets of tiers greedy starts from: [replicated, sharded, host] allowed. */
const TIER_SUBSETS: ReadonlyArray<[boolean, boolean, boolean]> = [[true, true, true], [false, true, true], [true, false, true], [false, false, true], [true, true, false], [false, true, false], [true, false, false]];

/**
 * Greedy's tier step at `tierBuckets` buckets per table, on tierRecords (3 records per bucket, not
 * fastLoads's W + 2): per subset of tiers, the rows of each bucket per tier, laid out in rank order
 * (replicated, sharded, host) within each bucket. The search's items are the segments of those layouts:
 * per table, the union over the subsets of the points where a row's tier changes, with exact range sums;
 * each subset's tiers are then whole items. Only the tier step sees the fine buckets; the search moves rows
 * between those segments (and splits them, step 4).
 */
function fineTierStarts(scenario: Scenario, coalesce: boolean, tierBuckets: number, coarseBuckets: number, maxItems: number, cache?: BucketCache): { items: Bucket[]; starts: Array<{ tier: Tier[]; allow: [boolean, boolean, boolean] }> } {
  const W = scenario.gpus.length;
  const fine = cache ? cache.buckets(scenario, tierBuckets) : scenarioBuckets(scenario, tierBuckets);
  const { R, rec } = tierRecords(scenario, fine, coalesce);
  const cost = weighted(
    fine.map((_, i) => partsFromRecords(W, R, rec, 3 * i * R)),
    new Float64Array(NR).fill(1),
  );
  const shape = itemShape(scenario, fine);
  const layouts: Array<{ allow: [boolean, boolean, boolean]; points: number[][]; tags: Array<Array<'r' | 's' | 'h'>> }> = [];
  const cuts = scenario.tables.map((t) => new Set<number>([0, t.rows]));
  const runs: ShardRun[] = [];
  for (const allow of TIER_SUBSETS) {
    if (W === 1 && allow[1]) continue; // one GPU: sharded is replicated
    const tier = tiersFor(shape, cost, ...allow);
    if (!tier) continue;
    // per table, the starts of its runs of one tier, and the runs' tiers
    const points = scenario.tables.map(() => [] as number[]);
    const tags = scenario.tables.map(() => [] as Array<'r' | 's' | 'h'>);
    let run: ShardRun | undefined;
    fine.forEach((b, i) => {
      let at = b.from;
      if (b.from === 0) run = undefined;
      for (const tag of ['r', 's', 'h'] as const) {
        const k = tier[i]![tag];
        if (k <= 0) continue;
        const ts = tags[b.table]!;
        if (ts[ts.length - 1] !== tag) {
          points[b.table]!.push(at);
          ts.push(tag);
          cuts[b.table]!.add(at);
          run = tag === 's' ? { table: b.table, sec: 0, inner: [] } : undefined;
          if (run) runs.push(run);
        } else if (tag === 's') run!.inner.push(at);
        if (tag === 's') run!.sec += k * cost[i]!.shard;
        at += k;
      }
    });
    layouts.push({ allow: [...allow], points, tags });
  }
  // Within the records' budget (maxItems), finer items where they help most. First the sharded runs, at the
  // fine buckets inside them, the most seconds first: a run goes to one GPU whole (assignShards), so a long
  // one unbalances the GPUs. Then the search's own buckets, so that it moves rows in smaller steps.
  // (gen-T500-W64, 2026-12-03: 3.12e6 samples/s on the runs alone, 3.20e6 with the search's buckets, 3.55e6
  // with every sharded run split, 14,417 items where the budget is 1,893.)
  let count = cuts.reduce((a, c) => a + c.size - 1, 0);
  for (const r of runs.sort((a, b) => b.sec - a.sec)) {
    const c = cuts[r.table]!;
    const added = r.inner.filter((x) => !c.has(x)).length;
    if (count + added > maxItems) continue;
    for (const x of r.inner) c.add(x);
    count += added;
  }
  let segments = cuts.map((c) => [...c].sort((a, b) => a - b));
  const withCoarse = cuts.map((c, t) => {
    const u = new Set(c);
    for (const x of bucketBoundaries(scenario.tables[t]!, coarseBuckets)) u.add(x);
    return [...u].sort((a, b) => a - b);
  });
  if (withCoarse.reduce((a, c) => a + c.length - 1, 0) <= maxItems) segments = withCoarse;
  const items = bucketsFromCuts(scenario, segments);
  const starts = layouts.map(({ allow, points, tags }) => {
    const pos = scenario.tables.map(() => 0);
    const tier = items.map((it): Tier => {
      const ps = points[it.table]!;
      let k = pos[it.table]!;
      while (k + 1 < ps.length && ps[k + 1]! <= it.from) k++;
      pos[it.table] = k;
      return { r: 0, s: 0, h: 0, [tags[it.table]![k]!]: it.rows };
    });
    return { tier, allow };
  });
  return { items, starts };
}

/**
 * `greedy`, the fast heuristic for the tiered model (proofs/greedy.md):
 * 1. tiers: per bucket, the per-row cost of the three tiers (replicated; sharded, spread evenly over the
 *    GPUs; host) and their memory (W m, m, 0): a multiple-choice knapsack whose LP optimum is the greedy
 *    over upgrades on each bucket's lower convex hull, by seconds saved per byte (rows are divisible); each
 *    subset of tiers is tried (latency is paid per tier in use); with full overlap also with the costs
 *    weighted toward the resources that bind (fullOverlapTiers). Where the search's record budget allows
 *    fewer buckets than GREEDY_TIER_BUCKETS, the tiers are chosen on that many and the search runs on their
 *    segments (fineTierStarts, proofs/greedy.md §5);
 * 2. sharded rows to GPUs, hottest bucket first, each whole to the GPU whose memory fill or time, as a
 *    share of its final value, stays lowest (assignShards);
 * 3. local search (searchCounts) on the aggregated loads, costed by evaluate's own iterationTerms, from the
 *    best start and from the starts close to it;
 * 4. refinement: a bucket whose rows ended in several classes is split at those boundaries into buckets
 *    with their own exact range sums, and the search goes on. A bucket in one class costs in the model
 *    exactly what evaluate charges its rows; a split bucket gives its first class the hottest rows, which the
 *    bucket's per-row mean does not see (sharded rows split over GPUs would leave the first GPU the busiest).
 * 5. rebalancing at row level (rebalanceShards): the plan is rows in rank order per bucket (plansFromCounts),
 *    which gives the first GPU of a split bucket its hottest rows; the busiest GPU's hottest shard rows then go
 *    to the least busy GPUs for cold rows of the same memory, while that lowers the makespan by evaluate.
 */
export function greedyPlan(scenario: Scenario, opts: GreedyOptions = {}): CheckedPlan {
  checkCapacity(scenario, 'tiered');
  const W = scenario.gpus.length;
  const coalesce = true;
  // 32 buckets per table, fewer when the unit records (items x classes x GPUs) would pass GREEDY_RECORD_ENTRIES
  const T = scenario.tables.length;
  const maxItems = Math.floor(GREEDY_RECORD_ENTRIES / ((W + 2) * W));
  const mb = opts.maxBuckets ?? Math.max(2, Math.min(GREEDY_TIER_BUCKETS, Math.floor(maxItems / T)));
  // The tier step at GREEDY_TIER_BUCKETS per table even where the search's records allow fewer: with
  // 3 buckets per table on gen-T500-W64 every start put whole buckets of ~30,000 rows in one tier, 40% slower
  // than at 32 (proofs/greedy.md §5). The search then runs on the tiers' own segments.
  const tierBuckets = opts.tierBuckets ?? (opts.maxBuckets === undefined ? GREEDY_TIER_BUCKETS : mb);
  const fine = tierBuckets > mb ? fineTierStarts(scenario, coalesce, tierBuckets, mb, maxItems, opts.bucketCache) : undefined;
  let items = fine ? fine.items : opts.bucketCache ? opts.bucketCache.buckets(scenario, mb) : scenarioBuckets(scenario, mb);
  let fast = fastLoads(scenario, items, coalesce);

  const parts = Array.from({ length: items.length }, (_, i) => tierParts(fast, i));
  const cost = weighted(parts, new Float64Array(NR).fill(1));
  const full = scenario.training.overlap === 'full';
  const starts: Array<{ counts: number[][]; score: Score }> = [];
  const seen = new Set<string>();
  const tierSets = fine ? fine.starts : TIER_SUBSETS.filter(([, s]) => W > 1 || !s).flatMap((allow) => {
    const tier = tiersFor(fast, cost, ...allow);
    return tier ? [{ tier, allow }] : [];
  });
  for (const { tier, allow } of tierSets) {
    const allowHost = allow[2];
    for (const t of full ? [tier, fullOverlapTiers(fast, parts, tier, allow)] : [tier]) {
      const key = t.map((x) => `${x.r},${x.s},${x.h}`).join(';');
      if (seen.has(key)) continue; // the same tiers as before (a tier allowed but not used)
      seen.add(key);
      const counts = assignShards(fast, cost, t, allowHost);
      if (!counts) continue;
      const st = fast.state(counts);
      if (fast.fits(st)) starts.push({ counts, score: scoreOf(fast, st) });
    }
  }
  if (!starts.length) throw new InfeasibleError('greedy found no placement that fits GPU and host memory');
  starts.sort((a, b) => (better(a.score, b.score) ? -1 : better(b.score, a.score) ? 1 : 0));

  // The search from the best start, and from every start within START_SLACK of it (a start that uses other
  // tiers can end lower: the search does not open and close tiers as freely as the starts do).
  const budget: WorkBudget = { left: opts.workBudget ?? GREEDY_WORK_BUDGET };
  let counts = starts[0]!.counts;
  let score: Score | undefined;
  for (const start of starts) {
    if (score && (start.score[0] > starts[0]!.score[0] * (1 + START_SLACK) || budget.left <= 0)) break;
    searchCounts(fast, start.counts, budget);
    const sc = scoreOf(fast, fast.state(start.counts));
    if (!score || better(sc, score)) [counts, score] = [start.counts, sc];
  }
  // One round of refinement: the rows of a split bucket, at their own range sums, and the search again.
  const split = budget.left > 0 ? splitMixed(scenario, items, counts) : undefined;
  if (split) {
    const before = items;
    ({ items, counts } = split);
    fast = fastLoads(scenario, items, coalesce, { items: before, fast });
    searchCounts(fast, counts, budget, split.fresh);
  }
  const own = plansFromCounts(scenario, items, counts, coalesce, 'greedy');
  // 5. at row level, the busiest GPUs' hottest shard rows to the least busy GPUs (rebalance.ts)
  if (W > 1) {
    if (opts.rebalance === false) return own;
    // A screen on the search's own GPU times (bucket means, no evaluate): where they are balanced within
    // REBALANCE_BALANCED the plan is not rebalanced, which spares rebalanceShards' evaluates (greedy 36 -> 55 ms on
    // Criteo Terabyte, whose pass made 3 moves for 0.003%: its search's times 1.00001 x their mean). A heuristic,
    // measured: where the pass gained, the search's times were uneven too (busiest over mean: gen-T500-W64 1.0119,
    // row level 1.0237; gen-T100-W16 1.0066; gen-T26-W8 1.00076 and no move).
    const times = new Float64Array(W);
    fast.tieBreak(fast.state(counts), times);
    const meanSec = times.reduce((a, x) => a + x, 0) / W;
    if (Math.max(...times) <= meanSec * (1 + REBALANCE_BALANCED)) return own;
    return rebalanceShards(scenario, own).plan;
  }
  // One GPU: the frequency cache is optimal in its own plan space (serial: proofs/caching-knapsack.md);
  // keep whichever of the two evaluate prefers. The bucketed makespan of `own` is evaluate's cost
  // function on the bucket sums (makespanSec of the aggregated loads).
  const time = makespanSec(scenario, bucketedLoads(scenario, items, counts, coalesce), coalesce);
  const cache = { ...cacheGreedyPlan(scenario).plan, name: 'greedy', algorithm: 'greedy' };
  const eCache = evaluate(scenario, cache);
  return eCache.feasible && eCache.iterationSec < time ? cache : own;
}

/** [makespan, FastLoads.tieBreak]: compared lexicographically; the second term breaks ties toward balance. */
type Score = [number, number];
const better = (a: Score, b: Score) => a[0] < b[0] * (1 - 1e-12) || (a[0] <= b[0] * (1 + 1e-12) && a[1] < b[1] * (1 - 1e-12));
function scoreOf(fast: FastLoads, st: FastState): Score {
  const times = new Float64Array(fast.W);
  const sq = fast.tieBreak(st, times);
  return [Math.max(...times), sq];
}

/** Resources of a tier cost: local gather, all-to-all, host link, all-reduce, host DRAM. */
const NR = 5;
type TierParts = { rep: Float64Array; shard: Float64Array; host: Float64Array };
type TierCost = { rep: number; shard: number; host: number };

/**
 * Per-row cost of each tier of item i, per resource, as the mean over GPUs of the seconds it adds when the
 * loads are balanced: replicated, host, and sharded spread evenly over the GPUs (its all-to-all is then
 * 2 max(in, out) of the spread row, not the mean of each GPU's own max, which would count it twice:
 * proofs/greedy.md §2).
 */
function tierParts(fast: FastLoads, i: number): TierParts {
  const { W, nC, R, unit, H } = fast;
  const rec = new Float64Array(3 * R);
  rec.set(unit.subarray((i * nC + REP) * R, (i * nC + REP + 1) * R), 0);
  rec.set(unit.subarray((i * nC + H) * R, (i * nC + H + 1) * R), R);
  if (W > 1)
    for (let g = 0; g < W; g++) {
      const q = (i * nC + gpuClass(g)) * R;
      for (let e = 0; e < R; e++) rec[2 * R + e]! += unit[q + e]!;
    }
  return partsFromRecords(W, R, rec, 0);
}

/**
 * tierParts from the three records of tierRecords at rec[at..at+3R): replicated, host, and the sum over g of
 * "sharded on g". The sharded tier spread evenly puts 1/W of a row on each GPU, so its resources are the
 * sum's over W (and its all-to-all 2 max(in, out) of that spread row).
 */
function partsFromRecords(W: number, R: number, rec: Float64Array, at: number): TierParts {
  const O = fastOffsets(W);
  const one = (q: number, out: Float64Array) => {
    for (let w = 0; w < W; w++) {
      out[0]! += rec[q + O.gather + w]! / W;
      out[1]! += (2 * Math.max(rec[q + O.ain + w]!, rec[q + O.aout + w]!)) / W;
      out[2]! += rec[q + O.link + w]! / W;
    }
    out[3]! += rec[q + O.ar]!;
    out[4]! += rec[q + O.dram]!;
  };
  const rep = new Float64Array(NR);
  const host = new Float64Array(NR);
  const shard = new Float64Array(NR).fill(W > 1 ? 0 : Infinity);
  one(at, rep);
  one(at + R, host);
  if (W > 1) {
    const q = at + 2 * R;
    for (let w = 0; w < W; w++) {
      shard[0]! += rec[q + O.gather + w]! / W / W;
      shard[2]! += rec[q + O.link + w]! / W / W;
      shard[1]! += (2 * Math.max(rec[q + O.ain + w]! / W, rec[q + O.aout + w]! / W)) / W;
    }
    shard[3]! += rec[q + O.ar]! / W;
    shard[4]! += rec[q + O.dram]! / W;
  }
  return { rep, shard, host };
}

/** Tier costs weighted per resource (all weights 1: the serial sum). */
function weighted(parts: TierParts[], lambda: ArrayLike<number>): TierCost[] {
  const dot = (v: Float64Array) => {
    let s = 0;
    for (let r = 0; r < NR; r++) s += v[r] === Infinity ? Infinity : lambda[r]! * v[r]!;
    return s;
  };
  return parts.map((p) => ({ rep: dot(p.rep), shard: dot(p.shard), host: dot(p.host) }));
}

/** The tiers' state with each bucket's sharded rows spread evenly (fractionally) over the GPUs. */
function spreadState(fast: FastLoads, tier: Tier[]): FastState {
  const { W, H } = fast;
  const st = fast.state([]);
  tier.forEach((t, i) => {
    if (t.r > 0) fast.add(st, i, REP, t.r);
    if (t.h > 0) fast.add(st, i, H, t.h);
    if (t.s > 0) for (let g = 0; g < W; g++) fast.add(st, i, gpuClass(g), t.s / W);
  });
  return st;
}

/**
 * Tiers for full overlap, where a GPU's time is its busiest resource: the knapsack on costs weighted per
 * resource, the weights raised multiplicatively on the resources that bind (minimising the largest of
 * several linear loads is maximising over weights the minimum of their weighted sum, LP duality); the
 * tiers whose evenly spread state has the lowest makespan.
 */
function fullOverlapTiers(fast: FastLoads, parts: TierParts[], first: Tier[], allow: [boolean, boolean, boolean]): Tier[] {
  const { W } = fast;
  const O = fastOffsets(W);
  const lambda = new Float64Array(NR).fill(1);
  let best = first;
  let bestT = fast.makespan(spreadState(fast, first));
  let tier = first;
  for (let it = 0; it < 12; it++) {
    const st = spreadState(fast, tier);
    const load = new Float64Array(NR);
    for (let w = 0; w < W; w++) {
      load[0] = Math.max(load[0]!, st[O.gather + w]!);
      load[1] = Math.max(load[1]!, 2 * Math.max(st[O.ain + w]!, st[O.aout + w]!));
      load[2] = Math.max(load[2]!, st[O.link + w]!);
    }
    load[3] = st[O.ar]!;
    load[4] = st[O.dram]!;
    const top = Math.max(...load);
    if (!(top > 0)) break;
    for (let r = 0; r < NR; r++) lambda[r]! *= Math.exp(2 * (load[r]! / top - 1));
    const next = tiersFor(fast, weighted(parts, lambda), ...allow);
    if (!next) break;
    tier = next;
    const t = fast.makespan(spreadState(fast, tier));
    if (t < bestT) [best, bestT] = [tier, t];
  }
  return best;
}

type Tier = { r: number; s: number; h: number };

/**
 * Step 1 of greedyPlan for one subset of tiers: rows per tier by the hull knapsack over per-row tier costs,
 * with the memory of all GPUs as the budget and the smallest GPU bounding the replicated rows. Undefined
 * when the subset cannot hold every row.
 */
function tiersFor(fast: Pick<FastLoads, 'W' | 'mem' | 'caps' | 'rows'>, cost: TierCost[], allowRep: boolean, allowShard: boolean, allowHost: boolean): Tier[] | undefined {
  const { W, mem, caps } = fast;
  const n = mem.length;
  // Upgrades on each bucket's lower convex hull of (memory per row, cost per row).
  type Up = { i: number; from: 'h' | 's'; to: 's' | 'r'; ratio: number };
  const ups: Up[] = [];
  for (let i = 0; i < n; i++) {
    const pts: Array<{ tag: 'h' | 's' | 'r'; m: number; c: number }> = [];
    if (allowHost) pts.push({ tag: 'h', m: 0, c: cost[i]!.host });
    if (allowShard) pts.push({ tag: 's', m: mem[i]!, c: cost[i]!.shard });
    if (allowRep) pts.push({ tag: 'r', m: W * mem[i]!, c: cost[i]!.rep });
    const hull: typeof pts = [];
    for (const p of pts) {
      if (hull.length && p.c >= hull[hull.length - 1]!.c) continue; // more memory, no gain
      while (hull.length >= 2) {
        const a = hull[hull.length - 2]!;
        const b = hull[hull.length - 1]!;
        if ((b.c - a.c) / (b.m - a.m) >= (p.c - a.c) / (p.m - a.m)) hull.pop();
        else break;
      }
      hull.push(p);
    }
    for (let k = 1; k < hull.length; k++)
      ups.push({ i, from: hull[k - 1]!.tag as 'h' | 's', to: hull[k]!.tag as 's' | 'r', ratio: (hull[k]!.c - hull[k - 1]!.c) / (hull[k]!.m - hull[k - 1]!.m) });
  }
  ups.sort((a, b) => a.ratio - b.ratio || a.i - b.i);
  const baseTier: 'h' | 's' | 'r' = allowHost ? 'h' : allowShard ? 's' : 'r';
  const tier = Array.from({ length: n }, (_, i): Tier => ({ h: 0, s: 0, r: 0, [baseTier]: fast.rows[i]! }));
  let budget = caps.reduce((s, x) => s + x, 0);
  const minCap = Math.min(...caps);
  let repBytesPerGpu = 0;
  for (let i = 0; i < n; i++) {
    budget -= tier[i]!.s * mem[i]! + tier[i]!.r * W * mem[i]!;
    repBytesPerGpu += tier[i]!.r * mem[i]!;
  }
  if (budget < 0 || repBytesPerGpu > minCap) return undefined;
  for (const u of ups) {
    const per = u.to === 'r' ? (u.from === 'h' ? W : W - 1) * mem[u.i]! : mem[u.i]!;
    let k = Math.min(tier[u.i]![u.from], Math.floor(budget / per));
    if (u.to === 'r') k = Math.min(k, Math.floor((minCap - repBytesPerGpu) / mem[u.i]!));
    if (k <= 0) continue;
    tier[u.i]![u.from] -= k;
    tier[u.i]![u.to] += k;
    budget -= k * per;
    if (u.to === 'r') repBytesPerGpu += k * mem[u.i]!;
  }
  return tier;
}

/**
 * Step 2 of greedyPlan: the sharded rows of each bucket to GPUs, hottest (host seconds per byte) first, each
 * bucket whole to the GPU whose larger share after taking it, of the final memory fill or of the final mean
 * time, is the smallest (a vector LPT): hot buckets, small and busy, even out the time, cold ones, large
 * and idle, the memory. A bucket that fits on no GPU whole is split over the GPUs with room, and what finds
 * no room stays on host (undefined when host is not allowed).
 */
function assignShards(fast: FastLoads, cost: TierCost[], tier: Tier[], allowHost: boolean): number[][] | undefined {
  const { W, H, nC, mem, caps } = fast;
  const n = mem.length;
  const O = fastOffsets(W);
  const counts = Array.from({ length: n }, (_, i) => {
    const row = new Array<number>(nC).fill(0);
    row[REP] = tier[i]!.r;
    row[H] = tier[i]!.h;
    return row;
  });
  const st = fast.state(counts);
  // A GPU's time as a share of its final mean (every sharded row placed, spread evenly). With full overlap a
  // GPU's time is its busiest resource, flat while another binds, so there the share is the largest of its
  // own resources (gather, all-to-all, host link), each as a share of its mean.
  const spread = spreadState(fast, tier);
  const res = (x: FastState, w: number, r: number) =>
    r === 0 ? x[O.gather + w]! : r === 1 ? 2 * Math.max(x[O.ain + w]!, x[O.aout + w]!) : x[O.link + w]!;
  const level = new Float64Array(4);
  for (let w = 0; w < W; w++) {
    level[3]! += fast.gpuTime(spread, w) / W;
    for (let r = 0; r < 3; r++) level[r]! += res(spread, w, r) / W;
  }
  const full = fast.overlap === 'full';
  // GPU w's share after k more rows of item i on it
  const share = (x: FastState, w: number, i: number, k: number): number => {
    if (!full) return fast.gpuTimeWith(x, w, i, gpuClass(w), k) / level[3]!;
    fast.add(x, i, gpuClass(w), k);
    let v = 0;
    for (let r = 0; r < 3; r++) if (level[r]! > 0) v = Math.max(v, res(x, w, r) / level[r]!);
    fast.add(x, i, gpuClass(w), -k);
    return v;
  };
  let shardBytes = 0;
  for (let i = 0; i < n; i++) shardBytes += tier[i]!.s * mem[i]!;
  const fillTarget = Math.min(1, shardBytes / caps.reduce((s, x) => s + x, 0)) + 1e-12;
  const heat = Float64Array.from(cost, (c, i) => c.host / mem[i]!);
  const order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => tier[i]!.s > 0)
    .sort((a, b) => heat[b]! - heat[a]! || a - b);
  for (const i of order) {
    let left = tier[i]!.s;
    while (left > 0) {
      let g = -1;
      let gv = Infinity;
      for (let w = 0; w < W; w++) {
        const k = Math.min(left, fast.room(st, i, gpuClass(w)));
        if (k < 1) continue;
        const v = Math.max((st[O.gmem + w]! + k * mem[i]!) / caps[w]! / fillTarget, share(st, w, i, k));
        if (v < gv) [g, gv] = [w, v];
      }
      if (g < 0) break;
      const k = Math.min(left, fast.room(st, i, gpuClass(g)));
      fast.add(st, i, gpuClass(g), k);
      counts[i]![gpuClass(g)]! += k;
      left -= k;
    }
    if (left > 0) {
      if (!allowHost) return undefined;
      fast.add(st, i, H, left);
      counts[i]![H]! += left;
    }
  }
  return counts;
}

/**
 * Local search over row counts (step 3 of greedyPlan). A move sends k rows of one bucket from one class to
 * another (replicated, gpu g, host); an exchange also sends rows of a second bucket back, the same bytes,
 * through a full GPU: hot rows off the busiest GPU and cold rows onto it, or hot host rows onto a GPU and
 * cold rows off it; and, when nothing else helps, one row or a whole bucket into a class not in use. A move
 * is kept when the score (makespan, then FastLoads.tieBreak) falls by more than a relative 1e-9: strict
 * descent, so it terminates (proofs/greedy.md §3). Along one direction the makespan is convex in k
 * (each GPU's time is a maximum of linear functions of k) except where a class starts or stops being used
 * (latencies), so the search tries one row and, when it helps, steps that double while they help and halve
 * when they stop; the whole move is tried first only where a latency can change. With `focus`, the first
 * pass of moves visits only the items it marks (after a refinement, the new ones).
 */
export function searchCounts(fast: FastLoads, counts: number[][], budget: WorkBudget, focus?: Uint8Array): void {
  const { W, H, nC, mem } = fast;
  const n = counts.length;
  const x = new Float64Array(n * nC);
  counts.forEach((row, i) => row.forEach((k, c) => (x[i * nC + c] = k)));
  const st = fast.state(counts);
  const T = new Float64Array(W);
  let curMax = 0;
  let curSq = 0;
  let sMax = 0;
  let sSq = 0;
  const measure = () => {
    sSq = fast.tieBreak(st, T);
    sMax = 0;
    for (let w = 0; w < W; w++) if (T[w]! > sMax) sMax = T[w]!;
  };
  measure();
  curMax = sMax;
  curSq = sSq;
  const times = Float64Array.from(T);
  const used = new Float64Array(nC);
  for (let i = 0; i < n; i++) for (let c = 0; c < nC; c++) used[c]! += x[i * nC + c]!;
  const attempt = (i: number, a: number, b: number, k: number, j = -1, kj = 0): boolean => {
    // one cost evaluation: W workers recomputed
    budget.left -= W;
    fast.move(st, i, a, b, k);
    if (kj > 0) fast.move(st, j, b, a, kj);
    if (fast.fits(st)) {
      measure();
      if (sMax < curMax * (1 - 1e-9) || (sMax <= curMax * (1 + 1e-12) && sSq < curSq * (1 - 1e-9))) {
        curMax = sMax;
        curSq = sSq;
        times.set(T);
        x[i * nC + a]! -= k;
        x[i * nC + b]! += k;
        used[a]! -= k;
        used[b]! += k;
        if (kj > 0) {
          x[j * nC + b]! -= kj;
          x[j * nC + a]! += kj;
          used[b]! -= kj;
          used[a]! += kj;
        }
        return true;
      }
    }
    if (kj > 0) fast.move(st, j, a, b, kj);
    fast.move(st, i, b, a, k);
    return false;
  };
  // Line search along one direction (see above): kmax() bounds k; tryK(k) attempts a step of k.
  // Written without closures per call (the search makes many thousands of them).
  let dI = 0;
  let dA = 0;
  let dB = 0;
  let dJ = -1;
  const kmax = (): number =>
    dJ < 0
      ? Math.min(x[dI * nC + dA]!, fast.room(st, dI, dB))
      : Math.min(x[dI * nC + dA]!, Math.floor((x[dJ * nC + dB]! * mem[dJ]! + fast.freeBytes(st, dB)) / mem[dI]!));
  const tryK = (k: number): boolean => {
    if (dJ < 0) return attempt(dI, dA, dB, k);
    // rows of j from b to a: the same bytes as k rows of i, or more where b needs the room
    const have = x[dJ * nC + dB]!;
    const need = Math.ceil((k * mem[dI]! - fast.freeBytes(st, dB)) / mem[dJ]!);
    return need <= have && attempt(dI, dA, dB, k, dJ, Math.max(need, Math.min(have, Math.floor((k * mem[dI]!) / mem[dJ]!))));
  };
  const line = (i: number, a: number, b: number, j: number): boolean => {
    dI = i;
    dA = a;
    dB = b;
    dJ = j;
    const k0 = kmax();
    if (k0 <= 0) return false;
    // the smallest step: one row, or for an exchange the rows of i that one row of j makes room for
    const u = j < 0 ? 1 : Math.max(1, Math.round(mem[j]! / mem[i]!));
    // the whole step first where it empties class a (its latency goes) or is the smallest step
    if ((j < 0 && used[a]! === x[i * nC + a]!) || k0 <= u) {
      if (tryK(k0)) return true;
      if (k0 <= u) return false;
    }
    if (!tryK(u)) return false;
    let step = 2 * u;
    let growing = true;
    while (step >= u) {
      const k = Math.min(step, kmax());
      if (k >= u && tryK(k)) {
        if (growing) step *= 2;
      } else {
        growing = false;
        step = Math.floor(step / 2);
      }
    }
    return true;
  };
  // moves only into classes in use (which classes are used, and so pay latency, is the start's choice)
  const direction = (i: number, a: number, b: number): boolean => used[b]! > 0 && line(i, a, b, -1);
  const exchange = (i: number, a: number, b: number, j: number): boolean => line(i, a, b, j);
  // hotness per byte: host seconds of one row per byte (what a byte of GPU memory saves there)
  const heat = Float64Array.from({ length: n }, (_, i) => fast.meanLinear(i, H) / mem[i]!);
  const inClass = (c: number, hottest: boolean): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (x[i * nC + c]! > 0) out.push(i);
    return out.sort((p, q) => (hottest ? heat[q]! - heat[p]! : heat[p]! - heat[q]!) || p - q);
  };
  /**
   * Exchanges from class a into class b: the buckets of a, hottest first, each against the three coldest of
   * b (the same bytes back, or whole buckets both ways); stops after 8 buckets in a row that find none.
   */
  const exchanges = (a: number, b: number, swaps: boolean): boolean => {
    const colds = inClass(b, false).slice(0, 3);
    let any = false;
    let misses = 0;
    for (const i of inClass(a, true)) {
      if (budget.left <= 0) break;
      let hit = false;
      for (const j of colds) {
        if (i === j || x[i * nC + a]! === 0 || x[j * nC + b]! === 0) continue;
        if (exchange(i, a, b, j) || (swaps && attempt(i, a, b, x[i * nC + a]!, j, x[j * nC + b]!))) {
          hit = true;
          break;
        }
      }
      if (hit) {
        any = true;
        misses = 0;
      } else if (++misses >= 8) break;
    }
    return any;
  };
  const byTime = Array.from({ length: W }, (_, g) => g);
  const sortByTime = () => byTime.sort((p, q) => times[p]! - times[q]! || p - q);
  // GPU memory classes: the GPUs, and the replicated class (with one GPU, the only one)
  const gpuClasses = W > 1 ? byTime.map(gpuClass) : [REP];
  const targets: number[] = [];
  let improved = true;
  // A round is a pass of moves, then (when the moves gain little) a pass of exchanges; the search stops
  // after a round that gains less than MIN_GAIN of the makespan (the score's tie-break alone can go on for
  // a long time at little value).
  for (let pass = 0; improved && pass < 100 && budget.left > 0; pass++) {
    improved = false;
    const before = curMax;
    sortByTime();
    for (let i = 0; i < n; i++) {
      if ((i & 63) === 0 && budget.left <= 0) break;
      if (pass === 0 && focus && !focus[i]) continue;
      for (let a = 0; a < nC; a++) {
        if (x[i * nC + a]! === 0) continue;
        // to host, to the replicated class, and to GPUs: from host or replicated the three least busy,
        // from a GPU those less busy than it
        targets.length = 0;
        targets.push(H, REP);
        if (W > 1) {
          const mine = a === H || a === REP ? Infinity : times[a - 1]!;
          for (let r = 0; r < W && (a === H || a === REP ? r < 3 : times[byTime[r]!]! < mine); r++) targets.push(gpuClass(byTime[r]!));
        }
        for (const b of targets) if (b !== a && x[i * nC + a]! > 0 && direction(i, a, b)) improved = true;
      }
    }
    if (improved && before - curMax > MIN_GAIN * before) continue;
    improved = false;
    if (W > 1) {
      // Balance: between the busiest GPU and each other one, hot rows one way and cold rows the other. Hot
      // rows usually leave the busiest GPU; they go to it when its own lookups dominate (a worker with a
      // larger batch fetches less when it owns the hot rows).
      sortByTime();
      const gs = gpuClass(byTime[W - 1]!);
      for (const g of byTime.slice(0, W - 1)) {
        if (budget.left <= 0) break;
        if (exchanges(gs, gpuClass(g), true)) improved = true;
        if (exchanges(gpuClass(g), gs, true)) improved = true;
      }
    }
    // Tiers: hot host rows into a GPU's memory, cold rows of it to host.
    for (const b of used[REP]! > 0 && W > 1 ? [...gpuClasses, REP] : gpuClasses) {
      if (budget.left <= 0) break;
      if (exchanges(H, b, false)) improved = true;
    }
    // Classes not in use: one row, or the whole bucket, of each bucket (opening a class pays its latency).
    for (let b = 0; b < nC && !improved; b++) {
      if (used[b]! > 0 || (W === 1 && b === gpuClass(0))) continue;
      for (let i = 0; i < n && budget.left > 0; i++)
        for (let a = 0; a < nC; a++) {
          const have = x[i * nC + a]!;
          if (a === b || have === 0) continue;
          const k = Math.min(have, fast.room(st, i, b));
          if (k >= 1 && (attempt(i, a, b, 1) || (k > 1 && attempt(i, a, b, k)))) improved = true;
        }
    }
    if (before - curMax <= MIN_GAIN * before) break;
  }
  counts.forEach((row, i) => row.forEach((_, c) => (row[c] = x[i * nC + c]!)));
}

/** Starts whose makespan is within this fraction of the best start's are searched too. */
const START_SLACK = 0.25;

/** Relative makespan gain below which a round of the local search ends it. */
const MIN_GAIN = 1e-5;

/**
 * Step 4 of greedyPlan: every item whose rows are in more than one class is split at the class boundaries
 * (rank order within an item: replicated, gpu 0..W-1, host) into items with their own exact range sums.
 * Undefined when no item is split; `fresh` marks the new items.
 */
function splitMixed(scenario: Scenario, items: Bucket[], counts: number[][]): { items: Bucket[]; counts: number[][]; fresh: Uint8Array } | undefined {
  const nC = counts[0]?.length ?? 0;
  if (!counts.some((row) => row.filter((x) => x > 0).length > 1)) return undefined;
  const outItems: Bucket[] = [];
  const outCounts: number[][] = [];
  const fresh: number[] = [];
  items.forEach((item, i) => {
    const row = counts[i]!;
    if (row.filter((x) => x > 0).length <= 1) {
      outItems.push(item);
      outCounts.push(row);
      fresh.push(0);
      return;
    }
    const table = scenario.tables[item.table]!;
    let at = item.from;
    for (let c = 0; c < nC; c++) {
      const k = row[c]!;
      if (k <= 0) continue;
      outItems.push({ table: item.table, from: at, to: at + k, rows: k, sums: expectedRangeSums(scenario, table, at, at + k), lowerSums: lowerRangeSums(scenario, table, at, at + k) });
      const r = new Array<number>(nC).fill(0);
      r[c] = k;
      outCounts.push(r);
      fresh.push(1);
      at += k;
    }
  });
  return { items: outItems, counts: outCounts, fresh: Uint8Array.from(fresh) };
}

export { evaluate };

/**
 * `greedy` over the candidate global batches (as `exact` searches them): the plan and batch with the
 * highest evaluated throughput. Batches whose activations leave no room are skipped. On Criteo Terabyte
 * the batch choice alone is worth ~1.6% (greedy at 65536: 1.99% from the optimum at 131072; at 131072: 0.38%).
 */
export function greedyBatchSearch(scenario: Scenario, opts: GreedyOptions = {}, batches = scenario.training.candidateBatches): { plan: CheckedPlan; globalBatch: number; scenario: Scenario } {
  let best: { plan: CheckedPlan; globalBatch: number; scenario: Scenario; tp: number } | undefined;
  let lastShortage: InfeasibleError | undefined;
  const list = batches.length ? batches : [scenario.training.globalBatch];
  for (const [i, B] of list.entries()) {
    opts.onProgress?.({ stage: `greedy at batch ${B} (${i + 1} of ${list.length})` });
    const s = B === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, B);
    let plan: CheckedPlan;
    try {
      plan = greedyPlan(s, opts);
    } catch (e) {
      if (e instanceof InfeasibleError) {
        lastShortage = e;
        continue;
      }
      throw e;
    }
    const e = evaluate(s, plan);
    if (e.feasible && (!best || e.throughputSamplesPerSec > best.tp)) best = { plan, globalBatch: B, scenario: s, tp: e.throughputSamplesPerSec };
  }
  // No batch fits: say which resource is short (the last candidate's shortage names it and by how much).
  if (!best) throw lastShortage ?? new InfeasibleError('greedy found no placement that fits at any candidate batch');
  return { plan: best.plan, globalBatch: best.globalBatch, scenario: best.scenario };
}
