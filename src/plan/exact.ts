import { InfeasibleError } from '../errors.js';
import type { OnWorkProgress } from '../progress.js';
import { lpRelaxation, type Model } from '../mip/model.js';
import { relativeGap, type SolveResult, type SolverName } from '../mip/result.js';
import { solve, solverVersion } from '../mip/solve.js';
import { addRangeLoads, emptyLoads, gpuEmbeddingCapacityBytes, resourceSeconds } from '../model/loads.js';
import { evaluate, expectedRangeSums, type Evaluation } from '../model/evaluate.js';
import type { CheckedPlan } from '../model/plan.js';
import type { PlanRange } from '../model/schema.js';
import { withGlobalBatch, type Scenario } from '../model/scenario.js';
import { scenarioBuckets, tableItems, type Bucket, type BucketCache } from './buckets.js';
import { bucketedLoads, classList, gpuClass, hostClass, makespanSec, plansFromCounts, REP, unitLoads } from './classes.js';
import {
  aggregateBoundModel,
  buildPlacementModel,
  checkCapacity,
  countsFromValues,
  foldedLpModel,
  gpuKey,
  TIME_UNIT_SEC,
  usageCovers,
  usageName,
  usageOfCounts,
  usagePatterns,
  type FoldedLp,
  type FoldUnits,
  type PlacementModel,
  type PlanSpace,
  type Usage,
} from './mipModel.js';
import { cacheGreedyPlan, greedyPlan, tablewiseGreedyPlan } from './algorithms.js';

/**
 * Default relative gap of the placement MIPs: 1e-5. The bucketed objective is itself within the bucket
 * interval (typically 1e-3 to 1e-1 wide) of the row-level problem, so a tighter proof buys nothing; and
 * integer row counts keep the optimum about 1e-6 above the LP bound on Criteo-size models, which a 1e-6
 * tolerance would have to close by branch and bound (`--gap 1e-6` still asks for it).
 */
export const EXACT_RELATIVE_GAP = 1e-5;

export interface ExactOptions {
  /** MIP backend (default glpk, the toolkit's default) */
  solver?: SolverName;
  /** wall-clock limit of each solve (LP relaxation plus branch and bound), seconds */
  timeLimitSec?: number;
  /** relative gap at which a solve counts as optimal (default EXACT_RELATIVE_GAP) */
  relativeGap?: number;
  /** at most this many buckets per table (default 8) */
  maxBuckets?: number;
  /** refine buckets (doubling, up to 512 per table) until the certified interval's relative width is at most this */
  targetWidth?: number;
  space?: PlanSpace;
  /** coalescing: 'auto' solves both when deduplication costs time (otherwise coalescing dominates) */
  coalesce?: boolean | 'auto';
  /** candidate global batches (default: the scenario's candidateBatches) */
  batches?: number[];
  /** bound the row-level optimum for the certified interval (default true) */
  certify?: boolean;
  /** buckets shared with other algorithms of the same call (comparePlans passes one) */
  bucketCache?: BucketCache;
  /** progress between steps (the CLI's progress bar; src/progress.ts) */
  onProgress?: OnWorkProgress;
}

/** Certified interval for the row-level optimum (proofs/bucket-certificate.md). */
export interface BucketInterval {
  /** proven lower bound on the row-level optimal iteration time (null if the lower model has no bound) */
  lowerIterationSec: number | null;
  /** iteration time of the derived row-level plan (evaluate): an achievable upper bound */
  upperIterationSec: number;
  throughputLowerSamplesPerSec: number;
  throughputUpperSamplesPerSec: number | null;
  /** (upper - lower) / lower on iteration time */
  relativeWidth: number | null;
  lowerModelStatus: string;
  /**
   * How the lower bound was obtained: the least over usage patterns of the lower-sums model's folded LP
   * optima (a bound on that MIP, hence on the row-level optimum), the same with the aggregate relaxation for
   * a pattern whose LP did not finish, the lower-sums MIP's own bound after a short branch and bound, or the
   * plan space's own MIP bound (table-wise: exact sums).
   */
  lowerBoundMethod: 'lower-model-lp-relaxation' | 'lower-model-aggregate-relaxation' | 'lower-model-mip-bound' | 'mip-bound';
}

export interface ExactResult {
  plan: CheckedPlan;
  evaluation: Evaluation;
  status: SolveResult['status'];
  /** the MIP's objective value (microseconds per iteration of the bucketed model), as in the exported model */
  objective: number | null;
  objectiveUnit: 'us';
  bestBound: number | null;
  gap: number | null;
  boundSource: SolveResult['boundSource'];
  solver: SolverName;
  solveSeconds: number;
  globalBatch: number;
  coalesce: boolean;
  space: PlanSpace;
  bucketsPerTableMax: number;
  items: number;
  interval: BucketInterval | null;
  /**
   * Where the returned integer point came from (proofs/placement-bounds.md §3): 'lp-rounding' = the folded LP
   * of a usage pattern rounded (and polished); 'branch-and-bound' = a pattern MIP's incumbent; 'heuristic-
   * incumbent' = greedy's plan as bucket counts. The bound is the least over usage patterns of each pattern's
   * best proven bound (folded LP, its branch and bound, or the aggregate relaxation when an LP did not
   * finish); status 'optimal' when the point is within the requested gap of it (or every pattern's MIP was
   * settled), else 'timelimit' with that gap.
   */
  method: 'lp-rounding' | 'branch-and-bound' | 'heuristic-incumbent';
  /** requested relative gap */
  relativeGapTolerance: number;
  /** wall time of the whole exact call (all candidate batches, coalescing choices and the certificate), seconds */
  totalSeconds: number;
  /** the model that settled the returned point: its pattern's folded LP, or its pattern MIP when branched on */
  model: Model;
  /** per candidate batch: throughput of its plan (null when infeasible) */
  batchSearch: Array<{ globalBatch: number; throughputSamplesPerSec: number | null; status: string }>;
}

export function itemsFor(scenario: Scenario, space: PlanSpace, maxBuckets: number, cache?: BucketCache): Bucket[] {
  if (cache) return space === 'tablewise' ? cache.tables(scenario) : cache.buckets(scenario, maxBuckets);
  return space === 'tablewise' ? tableItems(scenario) : scenarioBuckets(scenario, maxBuckets);
}

/** Build the model that `exact` solves first (the one `scarec export` writes). */
export function exactModel(scenario: Scenario, opts: { space?: PlanSpace; maxBuckets?: number; coalesce?: boolean; lower?: boolean } = {}): PlacementModel {
  const space = opts.space ?? 'tiered';
  return buildPlacementModel(scenario, itemsFor(scenario, space, opts.maxBuckets ?? 8), { space, coalesce: opts.coalesce ?? true, lower: opts.lower });
}

interface OneSolve {
  result: SolveResult;
  method: ExactResult['method'];
  plan: CheckedPlan;
  evaluation: Evaluation;
  items: Bucket[];
  coalesce: boolean;
  model: Model;
}

/**
 * Integer row counts from a relaxed solution: per item, every class keeps the floor of its value and the
 * leftover rows go one by one to the classes with the largest fractional parts (a whole-table item goes to
 * its largest value). Rows are conserved per item; memory is checked by the caller.
 */
export function roundCounts(pm: PlacementModel, scenario: Scenario, values: Record<string, number>): number[][] {
  const classes = classList(scenario.gpus.length);
  return pm.items.map((item, i) => {
    const v = classes.map((_, c) => {
      const name = pm.varOf(i, c);
      return name === undefined ? -1 : Math.max(0, values[name] ?? 0);
    });
    const row = classes.map(() => 0);
    if (pm.rowsPerUnit(i) > 1 || pm.space === 'tablewise') {
      let best = hostClass(scenario.gpus.length);
      v.forEach((x, c) => {
        if (x > v[best]!) best = c;
      });
      row[best] = item.rows;
      return row;
    }
    v.forEach((x, c) => (row[c] = x < 0 ? 0 : Math.floor(x + 1e-9)));
    let left = item.rows - row.reduce((a, x) => a + x, 0);
    const order = v
      .map((x, c) => ({ c, frac: x < 0 ? -1 : x - row[c]! }))
      .filter((o) => o.frac >= 0)
      .sort((a, b) => b.frac - a.frac || a.c - b.c);
    for (let k = 0; left > 0; k = (k + 1) % order.length, left--) row[order[k]!.c]! += 1;
    for (let k = order.length - 1; left < 0; k = (k + order.length - 1) % order.length) {
      const c = order[k]!.c;
      if (row[c]! > 0) {
        row[c]! -= 1;
        left++;
      }
    }
    return row;
  });
}

/** Bucketed iteration time (microseconds: the MIP objective at that point) and memory fit of counts. */
function pointOf(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, lower = false): { fits: boolean; objective: number } {
  const loads = bucketedLoads(scenario, items, counts, coalesce, lower);
  const fits =
    loads.gpuMemoryBytes.every((b, g) => b <= gpuEmbeddingCapacityBytes(scenario, g) * (1 + 1e-12)) && loads.hostMemoryBytes <= scenario.host.memoryBytes * (1 + 1e-12);
  return { fits, objective: makespanSec(scenario, loads, coalesce) / TIME_UNIT_SEC };
}

/**
 * Integer counts from a folded LP point (proofs/placement-bounds.md §3; any integer point that fits memory is
 * a plan of the MIP, and its objective is evaluated exactly, so this is a heuristic for the incumbent only):
 * 1. per item, the LP's rows of each class (replicated, each orbit's total, host) are rounded to integers
 *    summing to the item's rows by largest remainders;
 * 2. an orbit's rows are spread evenly over its GPUs, the leftover rows (fewer than the orbit's GPUs) to the
 *    GPUs with the least leftover load so far, items taken hottest first (longest processing time first);
 * 3. a GPU over its memory gives rows to the host, coldest first; a host over its memory gives rows to GPUs
 *    with room. Null when that fails.
 */
export function roundFolded(scenario: Scenario, items: Bucket[], fl: FoldedLp, values: Record<string, number>, coalesce: boolean, lower = false): number[][] | null {
  const W = scenario.gpus.length;
  const H = hostClass(W);
  const { members } = fl.orbits;
  const fr = fl.fractions(values);
  const weight = rowWeights(scenario, items, coalesce, lower);
  const counts = items.map(() => new Array<number>(W + 2).fill(0));
  const perOrbit: number[][] = items.map(() => members.map(() => 0));
  items.forEach((it, i) => {
    const f = fr[i]!;
    const slots = [f.rep * it.rows, ...members.map((m, o) => m.length * f.orbit[o]! * it.rows), f.host * it.rows];
    const ints = slots.map((x) => Math.max(0, Math.floor(x + 1e-9)));
    let left = it.rows - ints.reduce((a, x) => a + x, 0);
    const order = slots.map((x, k) => ({ k, frac: x - ints[k]! })).filter((o) => slots[o.k]! > 0).sort((a, b) => b.frac - a.frac || a.k - b.k);
    if (!order.length) order.push({ k: slots.length - 1, frac: 0 });
    for (let j = 0; left > 0; j = (j + 1) % order.length, left--) ints[order[j]!.k]! += 1;
    // floors plus the 1e-9 slack can pass the rows by one: take it back from the largest slot
    while (left < 0) {
      const k = ints.indexOf(Math.max(...ints));
      ints[k]! -= 1;
      left++;
    }
    counts[i]![REP] = ints[0]!;
    members.forEach((_, o) => (perOrbit[i]![o] = ints[1 + o]!));
    counts[i]![H] = ints[ints.length - 1]!;
  });
  // Spread each orbit's rows over its GPUs; leftovers by longest processing time first.
  const extra = new Float64Array(W);
  const order = items.map((_, i) => i).sort((a, b) => weight[b]! - weight[a]! || a - b);
  for (const i of order) {
    members.forEach((m, o) => {
      const total = perOrbit[i]![o]!;
      if (total === 0) return;
      const base = Math.floor(total / m.length);
      let rest = total - base * m.length;
      for (const g of m) counts[i]![gpuClass(g)]! += base;
      if (rest > 0) {
        const byLoad = [...m].sort((a, b) => extra[a]! - extra[b]! || a - b);
        for (const g of byLoad) {
          if (rest-- <= 0) break;
          counts[i]![gpuClass(g)]! += 1;
          extra[g]! += weight[i]!;
        }
      }
    });
  }
  if (W === 1) {
    // one GPU: its class is the replicated one
    counts.forEach((row) => {
      row[REP]! += row[gpuClass(0)]!;
      row[gpuClass(0)] = 0;
    });
  }
  return repairMemory(scenario, items, counts, weight) ? counts : null;
}

/** Per-row weight of each item: seconds one row adds on the GPU that holds it (gathers, sends), by resourceSeconds. */
function rowWeights(scenario: Scenario, items: Bucket[], coalesce: boolean, lower = false): number[] {
  return items.map((it) => {
    const sec = resourceSeconds(scenario, unitLoads(scenario, it, { at: 'gpu', gpu: 0 }, coalesce, true, lower ? it.lowerSums : it.sums));
    return sec.gatherSec[0]! + 2 * sec.allToAllOutSec[0]!;
  });
}

/**
 * Make integer counts fit memory (in place): a GPU over its capacity sends rows to the host, coldest items
 * first (its own sharded rows, then replicated rows, which free every GPU); a host over its capacity sends
 * rows to GPUs with room, hottest first. False when that does not make them fit. Counts from a solver can be
 * a few rows over (its feasibility tolerance); counts from rounding, a few rows per item.
 */
function repairMemory(scenario: Scenario, items: Bucket[], counts: number[][], weight: number[]): boolean {
  const W = scenario.gpus.length;
  const H = hostClass(W);
  const bytes = items.map((it) => scenario.tables[it.table]!.rowBytes + scenario.tables[it.table]!.optimizerBytesPerRow);
  const cap = scenario.gpus.map((_, g) => gpuEmbeddingCapacityBytes(scenario, g));
  const mem = scenario.gpus.map((_, g) => counts.reduce((s, row, i) => s + (row[REP]! + (W > 1 ? row[gpuClass(g)]! : 0)) * bytes[i]!, 0));
  const cold = items.map((_, i) => i).sort((a, b) => weight[a]! - weight[b]! || b - a);
  for (let g = 0; g < W; g++) {
    for (const c of W > 1 ? [gpuClass(g), REP] : [REP]) {
      for (const i of cold) {
        const over = mem[g]! - cap[g]!;
        if (over <= 0) break;
        const n = Math.min(counts[i]![c]!, Math.ceil(over / bytes[i]!));
        if (n <= 0) continue;
        counts[i]![c]! -= n;
        counts[i]![H]! += n;
        // a replicated row frees every GPU
        if (c === REP) for (let w = 0; w < W; w++) mem[w]! -= n * bytes[i]!;
        else mem[g]! -= n * bytes[i]!;
      }
    }
    if (mem[g]! > cap[g]!) return false;
  }
  let hostOver = counts.reduce((s, row, i) => s + row[H]! * bytes[i]!, 0) - scenario.host.memoryBytes;
  if (hostOver > 0 && W > 1) {
    for (const i of [...cold].reverse()) {
      for (let g = 0; g < W && hostOver > 0; g++) {
        const room = Math.floor((cap[g]! - mem[g]!) / bytes[i]!);
        const n = Math.min(counts[i]![H]!, room, Math.ceil(hostOver / bytes[i]!));
        if (n <= 0) continue;
        counts[i]![H]! -= n;
        counts[i]![gpuClass(g)]! += n;
        mem[g]! += n * bytes[i]!;
        hostOver -= n * bytes[i]!;
      }
      if (hostOver <= 0) break;
    }
  }
  return hostOver <= 0;
}

/**
 * A row-level plan with the given counts per item and class. The bucketed model charges every row of a bucket
 * the bucket's mean; laying a bucket's rows out in rank order (replicated, gpu 0..W-1, host: plansFromCounts)
 * gives the hottest sharded rows to gpu 0 and, with coarse buckets, unbalances the GPUs at row level. So the
 * sharded rows of each bucket are cut into one contiguous chunk per GPU, and chunks are dealt hottest first to
 * the GPUs with the least load so far (items hottest first: longest processing time first). Each GPU keeps its
 * count, so memory is what the model checked. The better of this and the rank-order layout by `evaluate` is
 * returned. Any layout of the same counts is a plan of the same bucketed objective; the interval's upper end
 * is the evaluated plan (proofs/bucket-certificate.md).
 */
export function layoutPlan(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, name: string): { plan: CheckedPlan; evaluation: Evaluation } {
  const W = scenario.gpus.length;
  const H = hostClass(W);
  const rankOrder = () => {
    const plan = plansFromCounts(scenario, items, counts, coalesce, name);
    return { plan, evaluation: evaluate(scenario, plan) };
  };
  if (W === 1) return rankOrder();
  const weight = rowWeights(scenario, items, coalesce);
  const shardedRows = counts.map((row) => row.reduce((a, x, c) => (c !== REP && c !== H ? a + x : a), 0));
  // Exact range sums per chunk cost a Zipf evaluation each: spend them on the items with the most sharded
  // load (LAYOUT_CHUNK_BUDGET chunks); the other items' chunks are charged their bucket's mean.
  const byLoad = items.map((_, i) => i).sort((a, b) => weight[b]! * shardedRows[b]! - weight[a]! * shardedRows[a]! || a - b);
  let budget = LAYOUT_CHUNK_BUDGET;
  const exactHeat = new Set<number>();
  for (const i of byLoad) {
    const k = counts[i]!.filter((x, c) => c !== REP && c !== H && x > 0).length;
    if (k <= 1 || budget < k) continue;
    exactHeat.add(i);
    budget -= k;
  }
  const chunks = items.map((item, i) => {
    const row = counts[i]!;
    const gpus = Array.from({ length: W }, (_, g) => g).filter((g) => row[gpuClass(g)]! > 0);
    const S = shardedRows[i]!;
    const start = item.from + row[REP]!;
    const table = scenario.tables[item.table]!;
    // heat of the k-th of |gpus| equal chunks: seconds its rows add on the GPU that holds them
    const heat = gpus.map((_, k) => {
      const a = start + Math.floor((k * S) / gpus.length);
      const b = start + Math.floor(((k + 1) * S) / gpus.length);
      if (b <= a) return 0;
      if (!exactHeat.has(i)) return weight[i]! * (b - a);
      const l = emptyLoads(W);
      addRangeLoads(l, scenario, table, 'gpu', 0, expectedRangeSums(scenario, table, a, b), coalesce);
      const sec = resourceSeconds(scenario, l);
      return sec.gatherSec[0]! + 2 * sec.allToAllOutSec[0]!;
    });
    return { heat, gpus };
  });
  const load = new Float64Array(W);
  const owner: number[][] = items.map(() => []);
  const order = items.map((_, i) => i).sort((a, b) => (chunks[b]!.heat[0] ?? 0) - (chunks[a]!.heat[0] ?? 0) || a - b);
  for (const i of order) {
    const { heat, gpus } = chunks[i]!;
    [...gpus]
      .sort((a, b) => load[a]! - load[b]! || a - b)
      .forEach((g, k) => {
        owner[i]![k] = g;
        load[g]! += heat[k]!;
      });
  }
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) tables[t.name] = [];
  items.forEach((item, i) => {
    const list = tables[scenario.tables[item.table]!.name]!;
    const row = counts[i]!;
    const total = row.reduce((a, x) => a + x, 0);
    if (total !== item.rows) throw new Error(`internal: item ${i} has ${total} rows placed, expected ${item.rows}`);
    let at = item.from;
    const push = (n: number, range: Omit<PlanRange, 'from' | 'to'>) => {
      if (n <= 0) return;
      const last = list[list.length - 1];
      if (last && last.at === range.at && last.gpu === range.gpu && last.to === at) last.to = at + n;
      else list.push({ from: at, to: at + n, ...range } as PlanRange);
      at += n;
    };
    push(row[REP]!, { at: 'replicated' });
    for (const g of owner[i]!) push(row[gpuClass(g)]!, { at: 'gpu', gpu: g });
    push(row[H]!, { at: 'host' });
  });
  const plan: CheckedPlan = { name, algorithm: name, coalesce, tables };
  const evaluation = evaluate(scenario, plan);
  // the heat is measured on GPU 0, a guess for GPUs of other parameters: the better of the two layouts
  const byRank = rankOrder();
  return evaluation.feasible && evaluation.iterationSec <= byRank.evaluation.iterationSec ? { plan, evaluation } : byRank;
}

/** Chunks whose heat layoutPlan computes from exact range sums (the rest use their bucket's mean). */
export const LAYOUT_CHUNK_BUDGET = 32000;

/**
 * Counts per model item and class of any plan (rows of each range counted in the bucket that holds them):
 * an integer point of the bucketed MIP whenever the plan fits memory (the MIP does not order rows inside
 * a bucket). Used to turn a heuristic plan into an incumbent of the model.
 */
export function countsFromPlan(scenario: Scenario, items: Bucket[], plan: CheckedPlan): number[][] {
  const W = scenario.gpus.length;
  return items.map((item) => {
    const row = new Array<number>(W + 2).fill(0);
    for (const r of plan.tables[scenario.tables[item.table]!.name] ?? []) {
      const n = Math.min(r.to, item.to) - Math.max(r.from, item.from);
      if (n <= 0) continue;
      const c = r.at === 'replicated' ? REP : r.at === 'host' ? hostClass(W) : 1 + (r.gpu ?? 0);
      row[W === 1 && c === 1 ? REP : c]! += n;
    }
    return row;
  });
}

/** An integer point of the model: counts per item and class, its objective (microseconds), where it came from. */
interface Incumbent {
  counts: number[][];
  objective: number;
  method: ExactResult['method'];
  /** the heuristic's own plan (its finer row order), when the point came from it */
  plan?: CheckedPlan;
  /** the usage pattern whose LP it was rounded from */
  usage?: Usage;
}

/** One usage pattern of a choice (proofs/placement-bounds.md §1) and what is proven about it. */
interface Pattern {
  usage: Usage;
  /** proven lower bound on the pattern's MIP optimum (microseconds); null when none is known */
  bound: number | null;
  boundBy: 'folded-lp' | 'aggregate-lp' | 'branch-and-bound' | 'none';
  infeasible: boolean;
  /** its MIP is settled: optimal within the gap, pruned by the incumbent, or infeasible */
  settled: boolean;
  /** the last model solved for it (folded LP, or its MIP) */
  model?: Model;
}

/** A plan space, batch and coalescing choice after its folded LP relaxations. */
interface Relaxed {
  s: Scenario;
  space: PlanSpace;
  coalesce: boolean;
  lower: boolean;
  items: Bucket[];
  patterns: Pattern[];
  /** least bound over the feasible patterns: a proven lower bound on the MIP (microseconds); null if unknown */
  lpBound: number | null;
  incumbent?: Incumbent;
  t0: number;
}

const deadlineOf = (t0: number, limitSec: number | undefined) => (limitSec === undefined ? Infinity : t0 + limitSec * 1e3);
const secondsLeft = (deadline: number) => (deadline === Infinity ? undefined : Math.max(0, (deadline - performance.now()) / 1e3));

function leastBound(patterns: Pattern[]): number | null {
  let b = Infinity;
  for (const p of patterns) {
    if (p.infeasible) continue;
    if (p.bound === null) return null;
    b = Math.min(b, p.bound);
  }
  return b;
}

function better(a: Incumbent | undefined, b: Incumbent | undefined): Incumbent | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.objective < a.objective ? b : a;
}

/**
 * First step of one choice: for every usage pattern, the folded LP relaxation (its optimum is the pattern's
 * LP bound, proofs/placement-bounds.md §1-2) and its rounding (an incumbent). The least bound over the
 * patterns bounds the MIP; when the best rounded point is within the requested gap of it, the choice is
 * settled without branching.
 */
async function relaxOne(scenario: Scenario, space: PlanSpace, coalesce: boolean, maxBuckets: number, opts: ExactOptions, lower = false, limitSec = opts.timeLimitSec): Promise<Relaxed> {
  const t0 = performance.now();
  const deadline = deadlineOf(t0, limitSec);
  const items = itemsFor(scenario, space, maxBuckets, opts.bucketCache);
  checkCapacity(scenario, space);
  const solver = opts.solver ?? 'glpk';
  const patterns: Pattern[] = [];
  let incumbent: Incumbent | undefined;
  let aggregate: number | null | undefined;
  const units: FoldUnits = new Map();
  for (const usage of usagePatterns(scenario, space)) {
    const p: Pattern = { usage, bound: null, boundBy: 'none', infeasible: false, settled: false };
    patterns.push(p);
    if (!usage.rep && !usage.shard && !usage.host) {
      p.infeasible = p.settled = true; // no class to hold the rows
      continue;
    }
    const left = secondsLeft(deadline);
    if (left === undefined || left > 0) {
      const fl = foldedLpModel(scenario, items, { space, coalesce, lower, usage, units });
      p.model = fl.model;
      const r = await solve(fl.model, { solver, timeLimitSec: left === undefined ? undefined : Math.max(left, 0.01) });
      if (r.status === 'infeasible') {
        p.infeasible = p.settled = true;
        continue;
      }
      if (r.status === 'optimal' && r.objective !== null) {
        p.bound = r.objective;
        p.boundBy = 'folded-lp';
        if (space !== 'tablewise') {
          const counts = roundFolded(scenario, items, fl, r.values, coalesce, lower);
          if (counts) {
            const pt = pointOf(scenario, items, counts, coalesce, lower);
            if (pt.fits) incumbent = better(incumbent, { counts, objective: pt.objective, method: 'lp-rounding', usage });
          }
        }
        continue;
      }
    }
    // No LP answer in time: the aggregate relaxation bounds every pattern (it drops the latencies).
    if (aggregate === undefined) aggregate = await aggregateBound(scenario, items, space, coalesce, opts, lower);
    if (aggregate !== null) {
      p.bound = aggregate;
      p.boundBy = 'aggregate-lp';
    }
  }
  if (patterns.every((p) => p.infeasible)) throw new InfeasibleError(`no placement fits the memory of the GPUs and the host (${space} plan space)`);
  const lpBound = leastBound(patterns);
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const gap = incumbent && lpBound !== null ? relativeGap(incumbent.objective, Math.min(incumbent.objective, lpBound)) : null;
  if (incumbent?.usage && lpBound !== null && gap !== null && gap > tol && !tooLargeToBranch(scenario, items, limitSec))
    incumbent = await polish(scenario, items, space, coalesce, lower, incumbent, lpBound, opts, deadline);
  return { s: scenario, space, coalesce, lower, items, patterns, lpBound, incumbent, t0 };
}

/**
 * Rows per GPU below which `polish` holds items at their rounded counts, one LP per entry: first the small
 * items, then the medium ones at the counts the previous LP rounded them to.
 */
export const POLISH_HELD_ROWS_PER_GPU = [64, 2048, 65536];

/**
 * Polish a rounded point (a heuristic for the incumbent; proofs/placement-bounds.md §3): hold the small items
 * (whose rounding moves whole hot rows between GPUs) at their rounded counts, solve the LP relaxation of the
 * pattern's full model over the other items (one variable per GPU: their rows rebalance what the small items'
 * rounding unbalanced), round that, and repeat with the medium items held too; each round leaves only larger,
 * colder items to round. Stops at the requested gap or the time limit; the best point found is returned.
 */
async function polish(s: Scenario, items: Bucket[], space: PlanSpace, coalesce: boolean, lower: boolean, inc: Incumbent, lpBound: number, opts: ExactOptions, deadline: number): Promise<Incumbent> {
  const W = s.gpus.length;
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const pm = buildPlacementModel(s, items, { space, coalesce, lower, usage: inc.usage });
  const relaxed = lpRelaxation(pm.model);
  const weights = rowWeights(s, items, coalesce, lower);
  let best = inc;
  let counts = inc.counts;
  for (const perGpu of POLISH_HELD_ROWS_PER_GPU) {
    const left = secondsLeft(deadline);
    if ((left !== undefined && left < 0.05) || relativeGap(best.objective, Math.min(best.objective, lpBound))! <= tol) break;
    const held = new Map<string, number>();
    items.forEach((it, i) => {
      if (it.rows > perGpu * W) return;
      counts[i]!.forEach((n, c) => {
        const v = pm.varOf(i, c);
        if (v) held.set(v, n);
      });
    });
    const model = { ...relaxed, variables: relaxed.variables.map((v) => (held.has(v.name) ? { ...v, lower: held.get(v.name)!, upper: held.get(v.name)! } : v)) };
    const r = await solve(model, { solver: opts.solver ?? 'glpk', timeLimitSec: left === undefined ? undefined : Math.max(left, 0.05) });
    if (r.status !== 'optimal') break;
    const next = roundCounts(pm, s, r.values);
    if (!repairMemory(s, items, next, weights)) break;
    const pt = pointOf(s, items, next, coalesce, lower);
    if (!pt.fits) break;
    counts = next;
    best = better(best, { counts, objective: pt.objective, method: 'lp-rounding', usage: inc.usage })!;
  }
  return best;
}

/** Under a time limit, models past MAX_BRANCH_TERMS are not built (see there). */
function tooLargeToBranch(s: Scenario, items: Bucket[], limitSec: number | undefined): boolean {
  const W = s.gpus.length;
  const nodes = new Set(s.gpus.map((g) => g.node)).size;
  return limitSec !== undefined && items.length * W * (nodes + 2) > MAX_BRANCH_TERMS;
}

/** The heuristic of the plan space as an integer point of the model, with its objective (microseconds). */
function heuristicPoint(r: Relaxed, opts: ExactOptions): Incumbent | undefined {
  const { s, items } = r;
  let plan: CheckedPlan;
  try {
    if (r.space === 'tablewise') plan = tablewiseGreedyPlan(s);
    else if (r.space === 'cache') plan = cacheGreedyPlan(s).plan;
    else plan = greedyPlan(s, { bucketCache: opts.bucketCache, budgetMs: 40 });
  } catch (e) {
    if (e instanceof InfeasibleError) return undefined;
    throw e;
  }
  // the counts are a point of the model whichever coalescing the heuristic assumed; the plan takes the choice's
  if (plan.coalesce !== r.coalesce) plan = { ...plan, coalesce: r.coalesce };
  const counts = countsFromPlan(s, items, plan);
  if (r.space === 'tablewise' && counts.some((row, i) => !row.some((x) => x === items[i]!.rows))) return undefined;
  const pt = pointOf(s, items, counts, r.coalesce);
  return pt.fits ? { counts, objective: pt.objective, method: 'heuristic-incumbent', plan } : undefined;
}

/**
 * Proven lower bound (microseconds) from the aggregate relaxation (aggregateBoundModel): a small LP that
 * finishes when the folded LP does not. Null when it does not finish either.
 */
async function aggregateBound(s: Scenario, items: Bucket[], space: PlanSpace, coalesce: boolean, opts: ExactOptions, lower = false): Promise<number | null> {
  if (space === 'tablewise') return null;
  const r = await solve(aggregateBoundModel(s, items, { coalesce, lower, space }), { solver: opts.solver ?? 'glpk', timeLimitSec: Math.max(5, opts.timeLimitSec ?? 0) });
  return r.status === 'optimal' && r.objective !== null ? r.objective : null;
}

/**
 * The same point with interchangeable GPUs (every parameter equal, same node: the runs that the model's
 * symmetry-breaking rows order) permuted so their memory is non-increasing, as those rows require. Permuting
 * interchangeable GPUs changes no GPU's load profile, only which GPU carries it: the objective is the same.
 */
export function symmetryOrdered(scenario: Scenario, items: Bucket[], counts: number[][]): number[][] {
  const W = scenario.gpus.length;
  const key = (g: number) => `${gpuKey(scenario, g)}|${scenario.gpus[g]!.node}`;
  const bytes = items.map((it) => scenario.tables[it.table]!.rowBytes + scenario.tables[it.table]!.optimizerBytesPerRow);
  const mem = (g: number) => counts.reduce((s, row, i) => s + row[gpuClass(g)]! * bytes[i]!, 0);
  const out = counts.map((row) => [...row]);
  for (let a = 0; a < W; ) {
    let b = a + 1;
    while (b < W && key(b) === key(a)) b++;
    const run = Array.from({ length: b - a }, (_, k) => a + k);
    const sorted = [...run].sort((x, y) => mem(y) - mem(x) || x - y);
    run.forEach((g, k) => counts.forEach((row, i) => (out[i]![gpuClass(g)] = row[gpuClass(sorted[k]!)]!)));
    a = b;
  }
  return out;
}

/** Values of the pattern model's integer variables at a point (a MIP start). */
function startValues(pm: PlacementModel, counts: number[][]): Record<string, number> {
  const out: Record<string, number> = {};
  pm.items.forEach((_, i) =>
    counts[i]!.forEach((n, c) => {
      const v = pm.varOf(i, c);
      if (v) out[v] = n / pm.rowsPerUnit(i);
    }),
  );
  return out;
}

/**
 * Models past this many all-to-all and time-row terms (items x GPUs x (nodes + 2)) are not branched on under a
 * time limit: building them alone takes seconds, and branch and bound cannot improve on the folded LP and its
 * rounding in the time left. Without a time limit every model is branched on.
 */
export const MAX_BRANCH_TERMS = 2e6;

/** HiGHS MIPs of at least this many variables run in a worker with a watchdog under a time limit. */
export const WORKER_MIN_VARIABLES = 2000;

/**
 * Second step, when rounding did not settle the choice: branch and bound on each pattern's MIP (no indicators,
 * no big-M rows), lowest bound first, from the best integer point known (a MIP start for HiGHS), skipping
 * patterns whose bound proves they cannot beat it. A pattern's proven bound is the larger of its LP bound and
 * its branch and bound's; the choice's bound is the least over patterns. When the time limit stops it, the
 * best integer point known is returned with status 'timelimit', the bound and the gap to it.
 */
async function branchAndBound(r: Relaxed, opts: ExactOptions, withHeuristic = true, limitSec = opts.timeLimitSec): Promise<{ incumbent?: Incumbent; bound: number | null; settled: boolean; model?: Model; boundFromSearch: boolean; message: string }> {
  const { s: scenario, items, space, coalesce, lower } = r;
  const solver = opts.solver ?? 'glpk';
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const deadline = deadlineOf(r.t0, limitSec);
  let incumbent = r.incumbent;
  // greedy's plan as a point (it takes its own time: skipped once the limit has passed)
  if (withHeuristic && !lower && (secondsLeft(deadline) ?? 1) > 0) incumbent = better(incumbent, heuristicPoint(r, opts));
  const W = scenario.gpus.length;
  const tooLarge = tooLargeToBranch(scenario, items, limitSec);
  const notes: string[] = [];
  let model: Model | undefined;
  let boundFromSearch = false;
  const order = [...r.patterns].filter((p) => !p.infeasible).sort((a, b) => (a.bound ?? -Infinity) - (b.bound ?? -Infinity));
  for (const p of order) {
    if (incumbent && p.bound !== null && p.bound >= incumbent.objective * (1 - tol)) {
      p.settled = true; // cannot beat the incumbent by more than the gap
      continue;
    }
    const left = secondsLeft(deadline);
    if (left !== undefined && left <= 0.01) {
      notes.push(`${usageName(p.usage)}: no time left`);
      continue;
    }
    if (tooLarge) {
      notes.push(`${usageName(p.usage)}: not branched (${items.length} items x ${W} GPUs is past MAX_BRANCH_TERMS under a time limit)`);
      continue;
    }
    const pm = buildPlacementModel(scenario, items, { space, coalesce, lower, usage: p.usage });
    model = p.model = pm.model;
    const startFrom = incumbent && usageCovers(p.usage, usageOfCounts(W, incumbent.counts)) ? startValues(pm, symmetryOrdered(scenario, items, incumbent.counts)) : undefined;
    const left2 = secondsLeft(deadline);
    // HiGHS runs larger models in a worker under a time limit: its watchdog ends a run that overstays
    // (src/mip/worker-client.ts; starting a worker costs ~0.3 s, which small models do not need to pay)
    const res = await solve(pm.model, {
      solver,
      timeLimitSec: left2 === undefined ? undefined : Math.max(left2, 0.01),
      relativeGap: tol,
      relaxationBound: false,
      worker: solver === 'highs' && left2 !== undefined && pm.model.variables.length >= WORKER_MIN_VARIABLES,
      ...(startFrom ? { start: startFrom } : {}),
    });
    if (res.status === 'infeasible') {
      p.infeasible = p.settled = true;
      continue;
    }
    if (res.objective !== null && Object.keys(res.values).length > 0) {
      const counts = countsFromValues(pm, scenario, res.values);
      let pt = pointOf(scenario, items, counts, coalesce, lower);
      // a solver's feasibility tolerance can leave a GPU a few rows over: move them to the host
      if (!pt.fits && space !== 'tablewise' && repairMemory(scenario, items, counts, rowWeights(scenario, items, coalesce, lower))) pt = pointOf(scenario, items, counts, coalesce, lower);
      if (pt.fits) incumbent = better(incumbent, { counts, objective: pt.objective, method: 'branch-and-bound', usage: p.usage });
    }
    if (res.bestBound !== null && (p.bound === null || res.bestBound > p.bound)) {
      p.bound = res.bestBound;
      p.boundBy = 'branch-and-bound';
      boundFromSearch = true;
    }
    if (res.status === 'optimal') p.settled = true;
    else notes.push(`${usageName(p.usage)}: ${res.status}${res.message ? ` (${res.message})` : ''}`);
  }
  const settled = r.patterns.every((p) => p.settled || p.infeasible);
  let bound = leastBound(r.patterns);
  if (bound !== null && incumbent) bound = Math.min(bound, incumbent.objective);
  return { incumbent, bound, settled, model, boundFromSearch, message: notes.join('; ') };
}

/** Settle one choice: rounding when it is within the gap of the LP bound, branch and bound otherwise. */
async function settle(r: Relaxed, opts: ExactOptions): Promise<OneSolve> {
  const { s: scenario, items, space, coalesce } = r;
  const solver = opts.solver ?? 'glpk';
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const name = space === 'tiered' ? 'exact' : `exact-${space}`;
  let incumbent = r.incumbent;
  let bound = r.lpBound;
  let settled = false;
  let boundFromSearch = false;
  let message: string;
  const modelOf = (inc: Incumbent | undefined) =>
    (inc ? r.patterns.find((p) => p.model && inc.usage && usageName(p.usage) === usageName(inc.usage))?.model : undefined) ??
    [...r.patterns].filter((p) => p.model && !p.infeasible).sort((a, b) => (a.bound ?? Infinity) - (b.bound ?? Infinity))[0]?.model;
  let model = modelOf(incumbent);
  const gapOf = (inc: Incumbent | undefined, b: number | null) => (inc && b !== null ? relativeGap(inc.objective, Math.min(b, inc.objective)) : null);
  const g0 = gapOf(incumbent, bound);
  if (g0 !== null && g0 <= tol) {
    settled = true;
    message = 'folded LP relaxations of every usage pattern, rounded to integers within the requested gap of their least bound';
  } else {
    const bb = await branchAndBound(r, opts);
    ({ incumbent, bound, settled, boundFromSearch } = bb);
    model = modelOf(incumbent) ?? bb.model ?? model;
    message = settled ? 'branch and bound over the usage patterns' : `stopped before every usage pattern was settled: ${bb.message}`;
  }
  if (!incumbent) throw new InfeasibleError(`the solver found no placement and the heuristic found none that fits (${space} plan space)`);
  if (bound !== null) bound = Math.min(bound, incumbent.objective);
  const laid = incumbent.plan
    ? { plan: { ...incumbent.plan, name, algorithm: name }, evaluation: evaluate(scenario, { ...incumbent.plan, name, algorithm: name }) }
    : layoutPlan(scenario, items, incumbent.counts, coalesce, name);
  const result: SolveResult = {
    // not settled: stopped by the time limit, or (without one) by a backend that gave up on a pattern
    status: settled ? 'optimal' : opts.timeLimitSec !== undefined ? 'timelimit' : 'feasible',
    objective: incumbent.objective,
    values: {},
    bestBound: bound,
    boundSource: bound === null ? 'none' : boundFromSearch ? 'solver' : 'lp-relaxation',
    gap: relativeGap(incumbent.objective, bound),
    solveSeconds: (performance.now() - r.t0) / 1e3,
    solver,
    solverVersion: await solverVersion(solver),
    message: `${message}; best integer point: ${incumbent.method}`,
  };
  return { result, method: incumbent.method, plan: laid.plan, evaluation: laid.evaluation, items, coalesce, model: model ?? ({ name: 'none', sense: 'minimize', objective: { terms: [] }, variables: [], constraints: [] } as Model) };
}

async function solveOne(scenario: Scenario, space: PlanSpace, coalesce: boolean, maxBuckets: number, opts: ExactOptions): Promise<OneSolve> {
  return settle(await relaxOne(scenario, space, coalesce, maxBuckets, opts), opts);
}

/**
 * The exact placement: the bucketed MIP per candidate batch and coalescing choice, the plan with the
 * highest evaluated throughput, and the certified interval of the row-level problem. Every choice is
 * relaxed first; choices are then settled in order of their LP bound, and a choice whose LP bound proves
 * it cannot beat the best plan found so far (batch / bound <= that throughput) is skipped without
 * branch and bound: the returned plan stays within the requested gap of the optimum over all choices.
 */
export async function exactPlacement(scenario: Scenario, opts: ExactOptions = {}): Promise<ExactResult> {
  const t0 = performance.now();
  const space = opts.space ?? 'tiered';
  const batches = opts.batches ?? scenario.training.candidateBatches;
  const coalesceChoices = opts.coalesce === undefined || opts.coalesce === 'auto'
    ? scenario.training.dedupSecondsPerLookup > 0 ? [true, false] : [true]
    : [opts.coalesce];
  let maxBuckets = opts.maxBuckets ?? 8;
  let lastInfeasible: unknown;
  const relaxed: Array<{ B: number; r: Relaxed; ceiling: number; boundSource: string }> = [];
  const infeasibleBatches = new Set<number>();
  for (const B of batches) {
    const s = B === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, B);
    for (const coalesce of coalesceChoices) {
      try {
        const r = await relaxOne(s, space, coalesce, maxBuckets, opts);
        // Proven bound on iteration time: the least over usage patterns of their folded LP optima (the
        // aggregate relaxation's optimum for a pattern whose LP did not finish; proofs/placement-bounds.md).
        const boundUs = r.lpBound;
        // highest throughput any plan of this choice can reach (the bound is on iteration time)
        const ceiling = boundUs !== null && boundUs > 0 ? B / (boundUs * TIME_UNIT_SEC) : Infinity;
        const viaAggregate = r.patterns.some((p) => p.boundBy === 'aggregate-lp');
        relaxed.push({ B, r, ceiling, boundSource: viaAggregate ? 'aggregate bound' : 'LP bound' });
      } catch (e) {
        if (!(e instanceof InfeasibleError)) throw e;
        lastInfeasible = e;
        infeasibleBatches.add(B);
      }
    }
  }
  relaxed.sort((a, b) => b.ceiling - a.ceiling);
  let best: { s: Scenario; one: OneSolve; coalesce: boolean } | undefined;
  const perBatch = new Map<number, { throughput: number | null; status: string; ceiling: number }>();
  for (const { B, r, ceiling, boundSource } of relaxed) {
    const here = perBatch.get(B);
    if (best && ceiling <= best.one.evaluation.throughputSamplesPerSec * (1 + 1e-12)) {
      if (!here) perBatch.set(B, { throughput: null, status: `pruned (${boundSource})`, ceiling });
      continue;
    }
    let one: OneSolve;
    try {
      one = await settle(r, opts);
    } catch (e) {
      if (!(e instanceof InfeasibleError)) throw e;
      lastInfeasible = e;
      continue;
    }
    if (!one.evaluation.feasible) continue;
    const tp = one.evaluation.throughputSamplesPerSec;
    if (!here || here.throughput === null || tp > here.throughput) perBatch.set(B, { throughput: tp, status: one.result.status, ceiling });
    if (!best || tp > best.one.evaluation.throughputSamplesPerSec) best = { s: r.s, one, coalesce: r.coalesce };
  }
  const search: ExactResult['batchSearch'] = batches.map((B) => {
    const h = perBatch.get(B);
    return { globalBatch: B, throughputSamplesPerSec: h?.throughput ?? null, status: h?.status ?? 'infeasible' };
  });
  if (!best) throw lastInfeasible ?? new InfeasibleError('no candidate batch admits a feasible placement');

  let { s, one } = best;
  let interval = opts.certify === false ? null : await certify(s, one, space, maxBuckets, opts);
  // Refine buckets until the certified interval is narrow enough (or the refinement stops paying).
  while (opts.targetWidth !== undefined && interval && (interval.relativeWidth === null || interval.relativeWidth > opts.targetWidth) && maxBuckets < 512 && space !== 'tablewise') {
    maxBuckets *= 2;
    one = await solveOne(s, space, best.coalesce, maxBuckets, opts);
    interval = await certify(s, one, space, maxBuckets, opts);
  }
  return {
    plan: one.plan,
    evaluation: one.evaluation,
    status: one.result.status,
    objective: one.result.objective,
    objectiveUnit: 'us',
    bestBound: one.result.bestBound,
    gap: one.result.gap,
    boundSource: one.result.boundSource,
    solver: one.result.solver,
    solveSeconds: one.result.solveSeconds,
    method: one.method,
    relativeGapTolerance: opts.relativeGap ?? EXACT_RELATIVE_GAP,
    totalSeconds: (performance.now() - t0) / 1e3,
    globalBatch: s.training.globalBatch,
    coalesce: best.coalesce,
    space,
    bucketsPerTableMax: maxBuckets,
    items: one.items.length,
    interval,
    model: one.model,
    batchSearch: search,
  };
}

/** Seconds of branch and bound the certificate may spend on the lower-sums MIP when its LP bound is loose. */
export const CERTIFY_BRANCH_SEC = 1;

/**
 * Proven lower bound on the row-level optimum (proofs/bucket-certificate.md): the lower-sums model (every
 * row at its bucket's coldest probability) bounds the row-level problem from below, and any proven bound
 * on that MIP does too. First the folded LP relaxations of its usage patterns (proofs/placement-bounds.md):
 * their least optimum bounds it; when rounding their points already lands within the requested gap, branch
 * and bound could raise the bound by no more than that gap and is skipped. Otherwise branch and bound runs
 * for at most CERTIFY_BRANCH_SEC (and never past the time limit) and the tighter bound is kept.
 */
async function certify(s: Scenario, one: OneSolve, space: PlanSpace, maxBuckets: number, opts: ExactOptions): Promise<BucketInterval> {
  const upper = one.evaluation.iterationSec;
  let lower: number | null;
  let status: string;
  let method: BucketInterval['lowerBoundMethod'];
  if (space === 'tablewise') {
    // Whole-table items carry their exact sums: the model is the row-level problem of that plan space.
    lower = one.result.bestBound !== null ? one.result.bestBound * TIME_UNIT_SEC : null;
    status = `${one.result.status} (exact sums)`;
    method = 'mip-bound';
  } else {
    const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
    const limit = opts.timeLimitSec;
    const r = await relaxOne(s, space, one.coalesce, maxBuckets, opts, true, limit);
    let boundUs = r.lpBound;
    const viaAggregate = r.patterns.some((p) => p.boundBy === 'aggregate-lp');
    status = viaAggregate ? 'folded LP relaxations (aggregate relaxation where one did not finish)' : 'folded LP relaxations optimal';
    method = viaAggregate ? 'lower-model-aggregate-relaxation' : 'lower-model-lp-relaxation';
    const gap = r.incumbent && boundUs !== null ? relativeGap(r.incumbent.objective, Math.min(r.incumbent.objective, boundUs)) : null;
    if (gap === null || gap > tol) {
      // a short branch and bound, within what is left of the time limit
      const used = (performance.now() - r.t0) / 1e3;
      const budget = Math.min(CERTIFY_BRANCH_SEC, limit === undefined ? Infinity : Math.max(0, limit - used));
      if (budget > 0.05) {
        const bb = await branchAndBound(r, opts, false, used + budget);
        if (bb.bound !== null && (boundUs === null || bb.bound > boundUs)) {
          boundUs = bb.bound;
          status = `MIP ${bb.settled ? 'optimal' : 'stopped'} (bound: ${bb.boundFromSearch ? 'branch and bound' : 'LP relaxations'})`;
          method = 'lower-model-mip-bound';
        }
      }
    }
    lower = boundUs !== null ? boundUs * TIME_UNIT_SEC : null;
  }
  // A solver's bound can exceed the true value by its tolerance; never report lower > upper.
  if (lower !== null) lower = Math.min(lower, upper);
  const B = s.training.globalBatch;
  return {
    lowerIterationSec: lower,
    upperIterationSec: upper,
    throughputLowerSamplesPerSec: B / upper,
    throughputUpperSamplesPerSec: lower !== null && lower > 0 ? B / lower : null,
    relativeWidth: lower !== null && lower > 0 ? (upper - lower) / lower : null,
    lowerModelStatus: status,
    lowerBoundMethod: method,
  };
}
