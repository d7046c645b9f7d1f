import { InfeasibleError } from '../errors.js';
import { lpRelaxation, type Model } from '../mip/model.js';
import { relativeGap, type SolveResult, type SolverName } from '../mip/result.js';
import { solve } from '../mip/solve.js';
import { gpuEmbeddingCapacityBytes } from '../model/loads.js';
import { evaluate, type Evaluation } from '../model/evaluate.js';
import type { CheckedPlan } from '../model/plan.js';
import { withGlobalBatch, type Scenario } from '../model/scenario.js';
import { scenarioBuckets, tableItems, type Bucket, type BucketCache } from './buckets.js';
import { bucketedLoads, classList, hostClass, makespanSec, plansFromCounts } from './classes.js';
import { aggregateBoundModel, buildPlacementModel, countsFromValues, TIME_UNIT_SEC, type PlacementModel, type PlanSpace } from './mipModel.js';
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
   * How the lower bound was obtained: the optimum of the LP relaxation of the lower-sums model (a bound on
   * that MIP, hence on the row-level optimum), the lower-sums MIP's own bound after a short branch and
   * bound, or the plan space's own MIP bound (table-wise: exact sums).
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
   * How the solve was settled: 'lp-rounding' = the LP relaxation's optimum (a proven bound) and a rounded
   * integer plan within the requested gap of it, so no branch and bound was needed; 'branch-and-bound' =
   * the MIP backend (proofs/placement-mip.md); 'heuristic-incumbent' = the time limit stopped the solve and
   * the heuristic plan (greedy, as bucket counts of the model) was the best integer point known: status
   * 'timelimit', with the best proven bound (LP relaxation, or the aggregate relaxation when even the LP
   * did not finish) and the gap to it.
   */
  method: 'lp-rounding' | 'branch-and-bound' | 'heuristic-incumbent';
  /** requested relative gap */
  relativeGapTolerance: number;
  /** wall time of the whole exact call (all candidate batches, coalescing choices and the certificate), seconds */
  totalSeconds: number;
  /** the model that was solved */
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
  pm: PlacementModel;
  result: SolveResult;
  method: ExactResult['method'];
  plan: CheckedPlan;
  evaluation: Evaluation;
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

/**
 * The rounded LP point as an integer solution of the model: its counts, whether it fits memory, and its
 * objective in microseconds (the bucketed iteration time: what the MIP's objective is at that point).
 */
function roundedPoint(pm: PlacementModel, scenario: Scenario, values: Record<string, number>, lower = false): { counts: number[][]; fits: boolean; objective: number } {
  const counts = roundCounts(pm, scenario, values);
  const loads = bucketedLoads(scenario, pm.items, counts, pm.coalesce, lower);
  const fits =
    loads.gpuMemoryBytes.every((b, g) => b <= gpuEmbeddingCapacityBytes(scenario, g) * (1 + 1e-12)) && loads.hostMemoryBytes <= scenario.host.memoryBytes * (1 + 1e-12);
  return { counts, fits, objective: makespanSec(scenario, loads, pm.coalesce) / TIME_UNIT_SEC };
}

/** A plan space, batch and coalescing choice after its LP relaxation. */
interface Relaxed {
  s: Scenario;
  pm: PlacementModel;
  /** LP optimum: a proven lower bound on the MIP (microseconds); null when the LP found none */
  lpBound: number | null;
  /** the rounded plan when it is within the requested gap of the LP bound */
  rounded?: OneSolve;
  /** the rounded LP point when it fits memory but is not within the gap: an incumbent candidate */
  roundedPoint?: { counts: number[][]; objective: number };
  /** the LP relaxation stopped at the time limit (no time is left for branch and bound) */
  lpTimedOut?: boolean;
  t0: number;
}

/**
 * First step of one choice: the LP relaxation. Its optimum is a proven lower bound on the MIP
 * (proofs/placement-mip.md), and its rounding an integer plan; when that plan's bucketed iteration time
 * (= the MIP objective at that point: one cost function) is within the requested gap of the bound and it
 * fits memory, the MIP is settled to that gap without branching.
 */
async function relaxOne(scenario: Scenario, space: PlanSpace, coalesce: boolean, maxBuckets: number, opts: ExactOptions): Promise<Relaxed> {
  const t0 = performance.now();
  const pm = buildPlacementModel(scenario, itemsFor(scenario, space, maxBuckets, opts.bucketCache), { space, coalesce });
  const solver = opts.solver ?? 'glpk';
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const relax = await solve(lpRelaxation(pm.model), { solver, timeLimitSec: opts.timeLimitSec });
  if (relax.status === 'infeasible') throw new InfeasibleError(`no placement fits the memory of the GPUs and the host (${space} plan space)`);
  if (relax.status !== 'optimal' || relax.objective === null) return { s: scenario, pm, lpBound: null, t0, lpTimedOut: relax.status === 'timelimit' };
  const { counts, fits, objective } = roundedPoint(pm, scenario, relax.values);
  const bound = Math.min(relax.objective, objective);
  const gap = relativeGap(objective, bound);
  if (!fits || gap === null || gap > tol) return { s: scenario, pm, lpBound: relax.objective, t0, ...(fits ? { roundedPoint: { counts, objective } } : {}) };
  const plan = plansFromCounts(scenario, pm.items, counts, coalesce, space === 'tiered' ? 'exact' : `exact-${space}`);
  const result: SolveResult = {
    status: 'optimal',
    objective,
    values: {},
    bestBound: bound,
    boundSource: 'lp-relaxation',
    gap,
    solveSeconds: (performance.now() - t0) / 1e3,
    solver,
    solverVersion: relax.solverVersion,
    message: 'LP relaxation rounded to integers within the requested gap of its bound',
  };
  return { s: scenario, pm, lpBound: relax.objective, t0, rounded: { pm, result, method: 'lp-rounding', plan, evaluation: evaluate(scenario, plan) } };
}

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
      const c = r.at === 'replicated' ? REP_CLASS : r.at === 'host' ? hostClass(W) : 1 + (r.gpu ?? 0);
      row[W === 1 && c === 1 ? REP_CLASS : c]! += n;
    }
    return row;
  });
}
const REP_CLASS = 0;

/** The heuristic of the plan space as an integer point of the model, with its objective (microseconds). */
function heuristicPoint(r: Relaxed, opts: ExactOptions): { counts: number[][]; objective: number; plan: CheckedPlan } | undefined {
  const { s, pm } = r;
  let plan: CheckedPlan;
  try {
    if (pm.space === 'tablewise') plan = tablewiseGreedyPlan(s);
    else if (pm.space === 'cache') plan = cacheGreedyPlan(s).plan;
    else plan = greedyPlan(s, { bucketCache: opts.bucketCache, budgetMs: 40 });
  } catch (e) {
    if (e instanceof InfeasibleError) return undefined;
    throw e;
  }
  const counts = countsFromPlan(s, pm.items, plan);
  if (pm.space === 'tablewise' && counts.some((row, i) => !row.some((x) => x === pm.items[i]!.rows))) return undefined;
  const loads = bucketedLoads(s, pm.items, counts, pm.coalesce);
  const fits =
    loads.gpuMemoryBytes.every((b, g) => b <= gpuEmbeddingCapacityBytes(s, g) * (1 + 1e-12)) && loads.hostMemoryBytes <= s.host.memoryBytes * (1 + 1e-12);
  return fits ? { counts, objective: makespanSec(s, loads, pm.coalesce) / TIME_UNIT_SEC, plan } : undefined;
}

/**
 * Proven lower bound (microseconds) from the aggregate relaxation (aggregateBoundModel): a small LP that
 * finishes when the full LP relaxation does not. Null when it does not finish either.
 */
async function aggregateBound(s: Scenario, pm: PlacementModel, opts: ExactOptions, lower = false): Promise<number | null> {
  if (pm.space === 'tablewise') return null;
  const r = await solve(aggregateBoundModel(s, pm.items, { coalesce: pm.coalesce, lower, space: pm.space }), { solver: opts.solver ?? 'glpk', timeLimitSec: Math.max(5, opts.timeLimitSec ?? 0) });
  return r.status === 'optimal' && r.objective !== null ? r.objective : null;
}

/**
 * Second step, when rounding did not settle it: branch and bound by the MIP backend. When the time limit
 * stops it (or the LP relaxation already used it up), the best integer point known is returned: the
 * backend's incumbent, the rounded LP point or the heuristic's plan as bucket counts, whichever has the
 * lowest objective, with status 'timelimit', the best proven bound and the gap to it. The backends take
 * no MIP start (glpk.js and highs-js expose none), so the heuristic is kept as the answer, not passed in.
 */
async function branchAndBound(r: Relaxed, opts: ExactOptions): Promise<OneSolve> {
  if (r.rounded) return r.rounded;
  const { s: scenario, pm } = r;
  const solver = opts.solver ?? 'glpk';
  const used = (performance.now() - r.t0) / 1e3;
  const remaining = opts.timeLimitSec === undefined ? undefined : Math.max(0.01, opts.timeLimitSec - used);
  let result: SolveResult;
  if (r.lpTimedOut) {
    result = { status: 'timelimit', objective: null, values: {}, bestBound: null, boundSource: 'none', gap: null, solveSeconds: 0, solver, solverVersion: '', message: 'the LP relaxation stopped at the time limit' };
  } else {
    result = await solve(pm.model, { solver, timeLimitSec: remaining, relativeGap: opts.relativeGap ?? EXACT_RELATIVE_GAP });
  }
  if (result.status === 'infeasible') throw new InfeasibleError(`no placement fits the memory of the GPUs and the host (${pm.space} plan space)`);
  const stopped = result.objective === null || result.status === 'timelimit' || result.status === 'feasible' || result.status === 'error';
  if (!stopped) {
    result.solveSeconds = (performance.now() - r.t0) / 1e3;
    const counts = countsFromValues(pm, scenario, result.values);
    const plan = plansFromCounts(scenario, pm.items, counts, pm.coalesce, pm.space === 'tiered' ? 'exact' : `exact-${pm.space}`);
    return { pm, result, method: 'branch-and-bound', plan, evaluation: evaluate(scenario, plan) };
  }
  // Stopped early: best integer point known, best proven bound.
  const candidates: Array<{ counts: number[][]; objective: number; method: OneSolve['method']; plan?: CheckedPlan }> = [];
  if (result.objective !== null && Object.keys(result.values).length > 0) candidates.push({ counts: countsFromValues(pm, scenario, result.values), objective: result.objective, method: 'branch-and-bound' });
  if (r.roundedPoint) candidates.push({ ...r.roundedPoint, method: 'lp-rounding' });
  const h = heuristicPoint(r, opts);
  if (h) candidates.push({ ...h, method: 'heuristic-incumbent' });
  if (!candidates.length) throw new InfeasibleError(`the solver found no placement and the heuristic found none that fits (${result.status}${result.message ? `: ${result.message}` : ''})`);
  const best = candidates.reduce((a, c) => (c.objective < a.objective ? c : a));
  let bound = result.bestBound;
  let boundSource = result.boundSource;
  if (r.lpBound !== null && (bound === null || r.lpBound > bound)) [bound, boundSource] = [r.lpBound, 'lp-relaxation'];
  if (bound === null) {
    const agg = await aggregateBound(scenario, pm, opts);
    if (agg !== null) [bound, boundSource] = [agg, 'lp-relaxation'];
  }
  if (bound !== null) bound = Math.min(bound, best.objective);
  // The heuristic's own plan has these counts per model bucket (the objective is the MIP's at that point)
  // but a finer row order inside each bucket: re-laying its rows bucket by bucket (replicated, gpu 0..W-1,
  // host) would give gpu 0 the hottest rows of a coarse bucket and unbalance the GPUs at row level.
  const name = pm.space === 'tiered' ? 'exact' : `exact-${pm.space}`;
  const plan = best.plan ? { ...best.plan, name, algorithm: name } : plansFromCounts(scenario, pm.items, best.counts, pm.coalesce, name);
  const out: SolveResult = {
    status: 'timelimit',
    objective: best.objective,
    values: {},
    bestBound: bound,
    boundSource,
    gap: relativeGap(best.objective, bound),
    solveSeconds: (performance.now() - r.t0) / 1e3,
    solver,
    solverVersion: result.solverVersion,
    message: `stopped at the time limit (${result.message ?? result.status}); best integer point: ${best.method}`,
  };
  return { pm, result: out, method: best.method, plan, evaluation: evaluate(scenario, plan) };
}

async function solveOne(scenario: Scenario, space: PlanSpace, coalesce: boolean, maxBuckets: number, opts: ExactOptions): Promise<OneSolve> {
  return branchAndBound(await relaxOne(scenario, space, coalesce, maxBuckets, opts), opts);
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
        // Proven bound on iteration time: the LP optimum; when the LP gave none (GLPK can fail to factorize
        // an ill-conditioned basis and report a bounded LP as unbounded), the aggregate relaxation's optimum,
        // which also bounds the MIP from below (proofs/placement-mip.md) and costs tens of milliseconds: it
        // can prune the choice without a full branch and bound.
        const agg = r.lpBound === null ? await aggregateBound(s, r.pm, opts) : null;
        const boundUs = r.lpBound ?? agg;
        // highest throughput any plan of this choice can reach (the bound is on iteration time)
        const ceiling = boundUs !== null && boundUs > 0 ? B / (boundUs * TIME_UNIT_SEC) : Infinity;
        relaxed.push({ B, r, ceiling, boundSource: r.lpBound !== null ? 'LP bound' : 'aggregate bound' });
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
      one = await branchAndBound(r, opts);
    } catch (e) {
      if (!(e instanceof InfeasibleError)) throw e;
      lastInfeasible = e;
      continue;
    }
    if (!one.evaluation.feasible) continue;
    const tp = one.evaluation.throughputSamplesPerSec;
    if (!here || here.throughput === null || tp > here.throughput) perBatch.set(B, { throughput: tp, status: one.result.status, ceiling });
    if (!best || tp > best.one.evaluation.throughputSamplesPerSec) best = { s: r.s, one, coalesce: r.pm.coalesce };
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
    items: one.pm.items.length,
    interval,
    model: one.pm.model,
    batchSearch: search,
  };
}

/** Seconds of branch and bound the certificate may spend on the lower-sums MIP when its LP bound is loose. */
export const CERTIFY_BRANCH_SEC = 1;

/**
 * Proven lower bound on the row-level optimum (proofs/bucket-certificate.md): the lower-sums model (every
 * row at its bucket's coldest probability) bounds the row-level problem from below, and any proven bound
 * on that MIP does too. First its LP relaxation; when rounding that LP already lands within the requested
 * gap, branch and bound could raise the bound by no more than that gap and is skipped. Otherwise branch
 * and bound runs for at most CERTIFY_BRANCH_SEC (or the time limit) and the tighter bound is kept.
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
    const pm = buildPlacementModel(s, itemsFor(s, space, maxBuckets, opts.bucketCache), { space, coalesce: one.pm.coalesce, lower: true, name: `scarec_${space}_lower` });
    const solver = opts.solver ?? 'glpk';
    const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
    const relax = await solve(lpRelaxation(pm.model), { solver, timeLimitSec: opts.timeLimitSec });
    // An LP stopped early proves nothing: only an optimal LP's value is a bound.
    let boundUs = relax.status === 'optimal' && relax.objective !== null ? relax.objective : null;
    status = `LP relaxation ${relax.status}`;
    method = 'lower-model-lp-relaxation';
    let settled = false;
    if (boundUs === null) {
      // The full LP did not finish: the aggregate relaxation of the lower model still bounds it.
      boundUs = await aggregateBound(s, pm, opts, true);
      if (boundUs !== null) {
        status = `LP relaxation ${relax.status}; aggregate relaxation optimal`;
        method = 'lower-model-aggregate-relaxation';
        settled = true;
      }
    }
    if (boundUs !== null) {
      const rounded = roundedPoint(pm, s, relax.values, true);
      const gap = relativeGap(rounded.objective, Math.min(rounded.objective, boundUs));
      settled = rounded.fits && gap !== null && gap <= tol;
    }
    if (!settled) {
      const limit = Math.min(opts.timeLimitSec ?? Infinity, CERTIFY_BRANCH_SEC);
      const r = await solve(pm.model, { solver, timeLimitSec: limit, relativeGap: tol });
      if (r.bestBound !== null && (boundUs === null || r.bestBound > boundUs)) {
        boundUs = r.bestBound;
        status = `MIP ${r.status} (bound: ${r.boundSource})`;
        method = 'lower-model-mip-bound';
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
