import { InfeasibleError } from '../errors.js';
import type { Model } from '../mip/model.js';
import type { SolveResult, SolverName } from '../mip/result.js';
import { solve } from '../mip/solve.js';
import { evaluate, type Evaluation } from '../model/evaluate.js';
import type { CheckedPlan } from '../model/plan.js';
import { withGlobalBatch, type Scenario } from '../model/scenario.js';
import { scenarioBuckets, tableItems, type Bucket } from './buckets.js';
import { plansFromCounts } from './classes.js';
import { buildPlacementModel, countsFromValues, TIME_UNIT_SEC, type PlacementModel, type PlanSpace } from './mipModel.js';

export interface ExactOptions {
  solver?: SolverName;
  timeLimitSec?: number;
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
  /** solve the lower-bound model for the certified interval (default true) */
  certify?: boolean;
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
  /** the model that was solved */
  model: Model;
  /** per candidate batch: throughput of its plan (null when infeasible) */
  batchSearch: Array<{ globalBatch: number; throughputSamplesPerSec: number | null; status: string }>;
}

export function itemsFor(scenario: Scenario, space: PlanSpace, maxBuckets: number): Bucket[] {
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
  plan: CheckedPlan;
  evaluation: Evaluation;
}

async function solveOne(scenario: Scenario, space: PlanSpace, coalesce: boolean, maxBuckets: number, opts: ExactOptions): Promise<OneSolve> {
  const pm = buildPlacementModel(scenario, itemsFor(scenario, space, maxBuckets), { space, coalesce });
  const result = await solve(pm.model, { solver: opts.solver ?? 'highs', timeLimitSec: opts.timeLimitSec, relativeGap: opts.relativeGap });
  if (result.status === 'infeasible') throw new InfeasibleError(`no placement fits the memory of the GPUs and the host (${space} plan space)`);
  if (result.objective === null) throw new InfeasibleError(`the solver found no placement (${result.status}${result.message ? `: ${result.message}` : ''})`);
  const counts = countsFromValues(pm, scenario, result.values);
  const name = space === 'tiered' ? 'exact' : `exact-${space}`;
  const plan = plansFromCounts(scenario, pm.items, counts, coalesce, name);
  return { pm, result, plan, evaluation: evaluate(scenario, plan) };
}

/**
 * The exact placement: the bucketed MIP solved per candidate batch (and per coalescing choice), the
 * plan with the highest evaluated throughput, and the certified interval of the row-level problem.
 */
export async function exactPlacement(scenario: Scenario, opts: ExactOptions = {}): Promise<ExactResult> {
  const space = opts.space ?? 'tiered';
  const batches = opts.batches ?? scenario.training.candidateBatches;
  const coalesceChoices = opts.coalesce === undefined || opts.coalesce === 'auto'
    ? scenario.training.dedupSecondsPerLookup > 0 ? [true, false] : [true]
    : [opts.coalesce];
  let maxBuckets = opts.maxBuckets ?? 8;
  const search: ExactResult['batchSearch'] = [];
  let best: { s: Scenario; one: OneSolve; coalesce: boolean } | undefined;
  let lastInfeasible: unknown;
  for (const B of batches) {
    const s = B === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, B);
    let bestHere: OneSolve | undefined;
    for (const coalesce of coalesceChoices) {
      try {
        const one = await solveOne(s, space, coalesce, maxBuckets, opts);
        if (!one.evaluation.feasible) continue;
        if (!bestHere || one.evaluation.throughputSamplesPerSec > bestHere.evaluation.throughputSamplesPerSec) bestHere = one;
      } catch (e) {
        if (!(e instanceof InfeasibleError)) throw e;
        lastInfeasible = e;
      }
    }
    search.push({ globalBatch: B, throughputSamplesPerSec: bestHere?.evaluation.throughputSamplesPerSec ?? null, status: bestHere?.result.status ?? 'infeasible' });
    if (bestHere && (!best || bestHere.evaluation.throughputSamplesPerSec > best.one.evaluation.throughputSamplesPerSec))
      best = { s, one: bestHere, coalesce: bestHere.pm.coalesce };
  }
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

/** Lower model (every row at its bucket's coldest probability) -> proven lower bound on the row-level optimum. */
async function certify(s: Scenario, one: OneSolve, space: PlanSpace, maxBuckets: number, opts: ExactOptions): Promise<BucketInterval> {
  const upper = one.evaluation.iterationSec;
  let lower: number | null;
  let status: string;
  if (space === 'tablewise') {
    // Whole-table items carry their exact sums: the model is the row-level problem of that plan space.
    lower = one.result.bestBound !== null ? one.result.bestBound * TIME_UNIT_SEC : null;
    status = `${one.result.status} (exact sums)`;
  } else {
    const pm = buildPlacementModel(s, itemsFor(s, space, maxBuckets), { space, coalesce: one.pm.coalesce, lower: true, name: `scarec_${space}_lower` });
    const r = await solve(pm.model, { solver: opts.solver ?? 'highs', timeLimitSec: opts.timeLimitSec, relativeGap: opts.relativeGap });
    lower = r.bestBound !== null ? r.bestBound * TIME_UNIT_SEC : null;
    status = r.status;
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
  };
}
