import { InfeasibleError } from '../errors.js';
import { evaluate, expectedRangeSums } from '../model/evaluate.js';
import {
  addRangeLoads,
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
import { scenarioBuckets, type Bucket, type BucketCache } from './buckets.js';
import { addScaledLoads, bucketedLoads, classList, fastLoads, gpuClass, hostClass, makespanSec, plansFromCounts, REP, type FastLoads, type FastState } from './classes.js';
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
      const time = makespanSec(scenario, trial, coalesce);
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

export interface GreedyOptions {
  /** buckets per table for the greedy's decisions (default 32) */
  maxBuckets?: number;
  /** local-improvement budget in milliseconds (default 40) */
  budgetMs?: number;
  /** buckets shared with other algorithms of the same call */
  bucketCache?: BucketCache;
}

/**
 * `greedy`, the fast heuristic for the tiered model:
 * 1. per bucket, the per-row linear cost of the three tiers (replicated, sharded averaged over GPUs, host)
 *    and their memory (W m, m, 0): a multiple-choice knapsack whose LP optimum is the greedy over upgrades
 *    on each bucket's lower convex hull, by seconds saved per byte (rows are divisible);
 * 2. sharded rows split over GPUs in proportion to free memory, remainders to the least-loaded GPU;
 * 3. each subset of tiers (latency is paid per tier in use) is tried and the best makespan kept;
 * 4. local improvement: moves of chunks of a bucket between tiers and GPUs, accepted when the makespan,
 *    computed by evaluate's own iterationTerms on the aggregated loads, falls.
 */
export function greedyPlan(scenario: Scenario, opts: GreedyOptions = {}): CheckedPlan {
  checkCapacity(scenario, 'tiered');
  const W = scenario.gpus.length;
  const coalesce = true;
  // 32 buckets per table, fewer when the memoised unit seconds (items x classes x GPUs) would pass ~8e6 entries
  const T = scenario.tables.length;
  const mb = opts.maxBuckets ?? Math.max(2, Math.min(32, Math.floor(8e6 / (T * (W + 2) * W))));
  const items = opts.bucketCache ? opts.bucketCache.buckets(scenario, mb) : scenarioBuckets(scenario, mb);
  const classes = classList(W);
  const H = hostClass(W);
  const fast = fastLoads(scenario, items, coalesce);
  const caps = Float64Array.from(scenario.gpus, (_, g) => gpuEmbeddingCapacityBytes(scenario, g));
  const mem = items.map((it) => scenario.tables[it.table]!.rowBytes + scenario.tables[it.table]!.optimizerBytesPerRow);

  // Per-row tier costs (mean over GPUs of linear seconds).
  const cRep = items.map((_, i) => fast.meanLinear(i, REP));
  const cHost = items.map((_, i) => fast.meanLinear(i, H));
  const cShard = items.map((_, i) => {
    if (W === 1) return Infinity;
    let sum = 0;
    for (let g = 0; g < W; g++) sum += fast.meanLinear(i, gpuClass(g));
    return sum / W;
  });

  const build = (allowRep: boolean, allowShard: boolean, allowHost: boolean): number[][] | undefined => {
    // Upgrades on each bucket's lower convex hull of (memory per row, cost per row).
    type Up = { i: number; from: 'h' | 's'; to: 's' | 'r'; ratio: number };
    const ups: Up[] = [];
    items.forEach((_, i) => {
      const pts: Array<{ tag: 'h' | 's' | 'r'; m: number; c: number }> = [];
      if (allowHost) pts.push({ tag: 'h', m: 0, c: cHost[i]! });
      if (allowShard && W > 1) pts.push({ tag: 's', m: mem[i]!, c: cShard[i]! });
      if (allowRep) pts.push({ tag: 'r', m: W * mem[i]!, c: cRep[i]! });
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
    });
    ups.sort((a, b) => a.ratio - b.ratio);
    const base = (i: number): 'h' | 's' | 'r' => (allowHost ? 'h' : allowShard && W > 1 ? 's' : 'r');
    const tier = items.map((it, i) => ({ h: 0, s: 0, r: 0, [base(i)]: it.rows }) as Record<'h' | 's' | 'r', number>);
    let budget = caps.reduce((s, x) => s + x, 0);
    const minCap = Math.min(...caps);
    let repBytesPerGpu = 0;
    items.forEach((_, i) => {
      budget -= tier[i]!.s * mem[i]! + tier[i]!.r * W * mem[i]!;
      repBytesPerGpu += tier[i]!.r * mem[i]!;
    });
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
    // Split sharded rows over GPUs in proportion to free memory; remainders to the least-loaded GPU.
    const free = Float64Array.from(caps, (c) => c - repBytesPerGpu);
    const counts = items.map(() => new Array<number>(classes.length).fill(0));
    const order = items.map((_, i) => i).sort((a, b) => cShard[b]! - cShard[a]!);
    const timeLoad = new Float64Array(W);
    for (const i of order) {
      counts[i]![REP] = tier[i]!.r;
      counts[i]![H] = tier[i]!.h;
      let s = tier[i]!.s;
      if (s === 0) continue;
      const totalFree = free.reduce((a, x) => a + Math.max(0, x), 0);
      for (let g = 0; g < W && totalFree > 0; g++) {
        const k = Math.min(s, Math.floor((s * Math.max(0, free[g]!)) / totalFree), Math.floor(Math.max(0, free[g]!) / mem[i]!));
        counts[i]![gpuClass(g)]! += k;
        free[g]! -= k * mem[i]!;
        timeLoad[g]! += k * cShard[i]!;
      }
      s = tier[i]!.s - counts[i]!.slice(1, 1 + W).reduce((a, x) => a + x, 0);
      while (s > 0) {
        let best = -1;
        for (let g = 0; g < W; g++) if (free[g]! >= mem[i]! && (best < 0 || timeLoad[g]! < timeLoad[best]!)) best = g;
        if (best < 0) break;
        const k = Math.max(1, Math.min(s, Math.floor(s / W)));
        const fit = Math.min(k, Math.floor(free[best]! / mem[i]!));
        counts[i]![gpuClass(best)]! += fit;
        free[best]! -= fit * mem[i]!;
        timeLoad[best]! += fit * cShard[i]!;
        s -= fit;
      }
      counts[i]![H]! += s; // rows that found no room stay on host
      if (s > 0 && !allowHost) return undefined;
    }
    return counts;
  };

  let best: { counts: number[][]; time: number } | undefined;
  for (const [r, s, h] of [[true, true, true], [false, true, true], [true, false, true], [false, false, true], [true, true, false], [false, true, false], [true, false, false]] as const) {
    const counts = build(r, s, h);
    if (!counts) continue;
    const st = fast.state(counts);
    if (!fast.fits(st)) continue;
    const time = fast.makespan(st);
    if (!best || time < best.time) best = { counts, time };
  }
  if (!best) throw new InfeasibleError('greedy found no placement that fits GPU and host memory');

  // Local improvement on typed-array loads (memoised per-bucket unit seconds), under a time budget.
  const counts = best.counts;
  improveCounts(fast, counts, performance.now() + (opts.budgetMs ?? 40));
  const own = plansFromCounts(scenario, items, counts, coalesce, 'greedy');
  if (W > 1) return own;
  // One GPU: the frequency cache is optimal in its own plan space (serial: proofs/caching-knapsack.md);
  // keep whichever of the two evaluate prefers. The bucketed makespan of `own` is evaluate's cost
  // function on the bucket sums (makespanSec of the aggregated loads).
  const time = makespanSec(scenario, bucketedLoads(scenario, items, counts, coalesce), coalesce);
  const cache = { ...cacheGreedyPlan(scenario).plan, name: 'greedy', algorithm: 'greedy' };
  const eCache = evaluate(scenario, cache);
  return eCache.feasible && eCache.iterationSec < time ? cache : own;
}

/**
 * Local search over row counts: moves of k rows of one bucket between two classes (replicated, shard on
 * g, host), k = the whole class, halves, quarters, ..., and the largest k that fits the target's memory;
 * plus memory-neutral exchanges (k rows of bucket i into GPU memory, the same bytes of bucket j out of it).
 * A move is kept when it lowers the makespan, or keeps it and lowers the sum of per-GPU times (ties at
 * the makespan are common with interchangeable GPUs, and a strict-makespan search stalls on them).
 * Lexicographic strict descent: it terminates.
 */
export function improveCounts(fast: FastLoads, counts: number[][], deadline: number): void {
  const { W, H, nC } = fast;
  const st = fast.state(counts);
  let score = fast.score(st);
  const classes = Array.from({ length: nC }, (_, c) => c).filter((c) => c === H || c === REP || W > 1);
  const tryMove = (i: number, from: number, to: number, k: number): boolean => {
    if (k <= 0) return false;
    fast.move(st, i, from, to, k);
    if (fast.fits(st)) {
      const sc = fast.score(st);
      if (better(sc, score)) {
        score = sc;
        counts[i]![from]! -= k;
        counts[i]![to]! += k;
        return true;
      }
    }
    fast.move(st, i, to, from, k);
    return false;
  };
  const n = counts.length;
  let improved = true;
  let rounds = 0;
  while (improved && performance.now() < deadline) {
    improved = false;
    rounds++;
    for (let i = 0; i < n; i++) {
      if ((i & 15) === 0 && performance.now() >= deadline) break;
      for (const from of classes) {
        for (const to of classes) {
          if (to === from) continue;
          const have = counts[i]![from]!;
          if (have === 0) break;
          const room = fast.room(st, i, to);
          let done = false;
          if (room > 0 && room < have) done = tryMove(i, from, to, room);
          for (let k = have; !done && k >= 1; k = Math.floor(k / 2)) done = tryMove(i, from, to, Math.min(k, room));
          if (done) improved = true;
        }
      }
    }
    // Exchanges through a full GPU: rows of bucket i in, the same bytes of bucket j out (to host).
    if (!improved && W >= 1 && performance.now() < deadline) {
      for (let g = 0; g < W && performance.now() < deadline; g++) {
        const cg = W === 1 ? REP : gpuClass(g);
        for (let i = 0; i < n && performance.now() < deadline; i++) {
          const hi = counts[i]![H]!;
          if (hi === 0) continue;
          for (let j = 0; j < n; j++) {
            const gj = counts[j]![cg]!;
            if (j === i || gj === 0) continue;
            // k_i m_i = k_j m_j (rounded down so memory does not grow)
            const kj = Math.min(gj, Math.max(1, Math.floor(gj / 2)));
            const ki = Math.min(hi, Math.floor((kj * fast.mem[j]!) / fast.mem[i]!));
            if (ki <= 0) continue;
            fast.move(st, j, cg, H, kj);
            fast.move(st, i, H, cg, ki);
            const sc = fits(fast, st) ? fast.score(st) : undefined;
            if (sc && better(sc, score)) {
              score = sc;
              counts[j]![cg]! -= kj;
              counts[j]![H]! += kj;
              counts[i]![H]! -= ki;
              counts[i]![cg]! += ki;
              improved = true;
            } else {
              fast.move(st, i, cg, H, ki);
              fast.move(st, j, H, cg, kj);
            }
          }
        }
      }
    }
  }
  void rounds;
}
const fits = (fast: FastLoads, st: FastState) => fast.fits(st);
const better = (a: [number, number], b: [number, number]) => a[0] < b[0] * (1 - 1e-12) || (a[0] <= b[0] * (1 + 1e-12) && a[1] < b[1] * (1 - 1e-12));

export { evaluate };

/**
 * `greedy` over the candidate global batches (as `exact` searches them): the plan and batch with the
 * highest evaluated throughput. Batches whose activations leave no room are skipped. On Criteo Terabyte
 * the batch choice alone is worth ~1.6% (greedy at 65536: 1.99% from the optimum at 131072; at 131072: 0.38%).
 */
export function greedyBatchSearch(scenario: Scenario, opts: GreedyOptions = {}, batches = scenario.training.candidateBatches): { plan: CheckedPlan; globalBatch: number; scenario: Scenario } {
  let best: { plan: CheckedPlan; globalBatch: number; scenario: Scenario; tp: number } | undefined;
  let lastShortage: InfeasibleError | undefined;
  for (const B of batches.length ? batches : [scenario.training.globalBatch]) {
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
