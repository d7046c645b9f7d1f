/**
 * Types and contracts shared by the stages of the exact search (src/plan/exact/):
 * relax (folded LP bounds per usage pattern) -> incumbent (integer points: rounding, polishing, heuristics)
 * -> branch (branch and bound on the pattern MIPs) -> layout (a row-level plan from bucket counts, costed by
 * evaluate) -> certify (a bound on the row-level optimum from the lower-sums model) -> refine (split the
 * buckets where the bracket is loose) -> index (the loop over those stages under one deadline).
 */
import type { OnWorkProgress } from '../../progress.js';
import type { Model } from '../../mip/model.js';
import type { SolveResult, SolverName } from '../../mip/result.js';
import type { Evaluation } from '../../model/evaluate.js';
import type { CheckedPlan } from '../../model/plan.js';
import type { Scenario } from '../../model/scenario.js';
import type { Bucket, BucketCache } from '../buckets.js';
import type { PlanSpace, Usage } from '../mipModel.js';

/**
 * Default relative gap of the placement MIPs: 1e-5. The bucketed objective is itself within the bucket
 * interval (typically 1e-3 to 1e-1 wide) of the row-level problem, so a tighter proof buys nothing; and
 * integer row counts keep the optimum about 1e-6 above the LP bound on Criteo-size models, which a 1e-6
 * tolerance would have to close by branch and bound (`--gap 1e-6` still asks for it).
 */
export const EXACT_RELATIVE_GAP = 1e-5;

/** With progress drawn, LPs of at least this many variables run in a worker (starting one costs ~0.3 s). */
export const WORKER_LP_MIN_VARIABLES = 2000;

/** Whether exact runs an LP in a worker: while progress is drawn (the bar must keep drawing) and the LP is large. */
export function lpInWorker(opts: { onProgress?: unknown }, model: { variables: readonly unknown[] }): boolean {
  return opts.onProgress !== undefined && model.variables.length >= WORKER_LP_MIN_VARIABLES;
}

/** Default target width of the row-level bracket (issue 11: 1%). */
export const DEFAULT_TARGET_WIDTH = 0.01;

/** Refinement rounds at most (each at most doubles the items of the tables it splits). */
export const MAX_REFINE_ROUNDS = 12;

export interface ExactOptions {
  /** MIP backend (default glpk, the toolkit's default) */
  solver?: SolverName;
  /**
   * wall-clock limit of the whole call, seconds: heuristics, model builds, every solve, layout, evaluation and
   * the certificate share one deadline (a stopped call returns the best plan known, status 'timelimit')
   */
  timeLimitSec?: number;
  /** relative gap at which a solve counts as optimal (default EXACT_RELATIVE_GAP) */
  relativeGap?: number;
  /** at most this many buckets per table (default 8) */
  maxBuckets?: number;
  /**
   * stop when the certified row-level bracket (bound - best plan) / best plan on throughput is at most this
   * (default DEFAULT_TARGET_WIDTH); buckets are refined adaptively until then (src/plan/exact/refine.ts)
   */
  targetWidth?: number;
  /** at most this many refinement rounds (default MAX_REFINE_ROUNDS) */
  maxRefineRounds?: number;
  space?: PlanSpace;
  /** coalescing: 'auto' solves both when deduplication costs time (otherwise coalescing dominates) */
  coalesce?: boolean | 'auto';
  /** candidate global batches (default: the scenario's candidateBatches) */
  batches?: number[];
  /** bound the row-level optimum for the certified interval (default true; false: one bucketed solve, no bound) */
  certify?: boolean;
  /**
   * start from the plan space's heuristic, all-host and `knownPlans` (default true). false: only the bucketed
   * search's own points (tests of the bucketed model: the returned plan is then its bucketed solve's)
   */
  seedKnownPlans?: boolean;
  /** progress between steps (the CLI's progress bar; src/progress.ts): stage, round, best plan and bound (samples/s) */
  onProgress?: OnWorkProgress;
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
   * How the lower bound was obtained: the least over usage patterns of the lower-sums model's folded LP
   * optima (a bound on that MIP, hence on the row-level optimum), the same with the aggregate relaxation for
   * a pattern whose LP did not finish, the lower-sums MIP's own bound after a short branch and bound, or the
   * plan space's own MIP bound (table-wise: exact sums).
   */
  lowerBoundMethod: 'lower-model-lp-relaxation' | 'lower-model-aggregate-relaxation' | 'lower-model-mip-bound' | 'mip-bound';
}

/**
 * The row-level bracket of the whole call (proofs/placement-refinement.md): below, the best row-level plan
 * evaluated (any candidate batch and coalescing choice); above, the largest over every candidate batch and
 * coalescing choice of batch / (proven lower bound on that choice's iteration time). It holds whatever the
 * time limit; when some choice has no proven bound the bound is null and the status is never 'optimal'.
 */
export interface RowLevelBracket {
  /** throughput of the returned plan (the best plan evaluated) */
  throughputSamplesPerSec: number;
  /** certified upper bound on the row-level optimum's throughput over all candidate batches; null if none */
  boundSamplesPerSec: number | null;
  /** (bound - throughput) / throughput; null without a bound */
  relativeWidth: number | null;
  /** 'optimal' only when relativeWidth <= targetWidth; 'timelimit' when the deadline stopped the search; 'feasible' otherwise */
  status: 'optimal' | 'timelimit' | 'feasible';
  targetWidth: number;
  /** refinement rounds run, and buckets (items) of the last round */
  rounds: number;
  items: number;
  /** which algorithm or stage produced the returned plan */
  planSource: string;
  /** per candidate batch and coalescing choice: its proven throughput ceiling (null: no bound) */
  choices: Array<{ globalBatch: number; coalesce: boolean; ceilingSamplesPerSec: number | null }>;
}

export interface ExactResult {
  plan: CheckedPlan;
  evaluation: Evaluation;
  status: SolveResult['status'];
  /**
   * The returned plan's point in the bucketed model (microseconds per iteration). When a heuristic's plan wins
   * at row level this is its bucketed objective, which can be above the bucketed optimum: that is `bucketed`.
   */
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
  /** the certified row-level bracket over every candidate batch and coalescing choice */
  rowLevel: RowLevelBracket;
  /**
   * The bucketed MIP's own solve at the returned plan's batch and coalescing choice, on the buckets of the last
   * round that solved it: its status, objective, bound and gap, as a solver of the model `scarec export
   * --buckets N` writes reports them (the same buckets when no refinement round ran, e.g. --target-width 1).
   * null when no bucketed model was solved at that choice (a time limit, or the heuristic plan alone).
   */
  bucketed: { status: SolveResult['status']; objective: number | null; bestBound: number | null; gap: number | null; items: number; bucketsPerTableMax: number } | null;
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
  /** wall time of the whole exact call (heuristics, all candidate batches, coalescing choices, refinement, certificate), seconds */
  totalSeconds: number;
  /** the model that settled the returned point: its pattern's folded LP, or its pattern MIP when branched on */
  model: Model;
  /** per candidate batch: throughput of its plan (null when infeasible) */
  batchSearch: Array<{ globalBatch: number; throughputSamplesPerSec: number | null; status: string }>;
}
export interface OneSolve {
  result: SolveResult;
  method: ExactResult['method'];
  plan: CheckedPlan;
  evaluation: Evaluation;
  items: Bucket[];
  coalesce: boolean;
  model: Model;
}
/** An integer point of the model: counts per item and class, its objective (microseconds), where it came from. */
export interface Incumbent {
  counts: number[][];
  objective: number;
  method: ExactResult['method'];
  /** the heuristic's own plan (its finer row order), when the point came from it */
  plan?: CheckedPlan;
  /** the usage pattern whose LP it was rounded from */
  usage?: Usage;
}

/** One usage pattern of a choice (proofs/placement-bounds.md §1) and what is proven about it. */
export interface Pattern {
  usage: Usage;
  /** proven lower bound on the pattern's MIP optimum (microseconds); null when none is known */
  bound: number | null;
  /** 'earlier-round': kept from a coarser round's lower model (refinement only raises it), not solved again */
  boundBy: 'folded-lp' | 'aggregate-lp' | 'branch-and-bound' | 'earlier-round' | 'none';
  infeasible: boolean;
  /** its MIP is settled: optimal within the gap, pruned by the incumbent, or infeasible */
  settled: boolean;
  /** the last model solved for it (folded LP, or its MIP) */
  model?: Model;
}

/**
 * Per usage pattern (by usageName), the best proven bound of the lower model so far (microseconds), or
 * 'infeasible'. Bounds of coarser rounds stay valid (proofs/placement-refinement.md, "Bounds from coarser
 * rounds stay valid"), and memory, hence infeasibility, does not change with the buckets.
 */
export type PatternBounds = Record<string, number | 'infeasible'>;

/** A plan space, batch and coalescing choice after its folded LP relaxations. */
export interface Relaxed {
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
  /** the whole call's deadline (performance.now() milliseconds; Infinity: none) */
  deadline: number;
}

export const deadlineOf = (t0: number, limitSec: number | undefined) => (limitSec === undefined ? Infinity : t0 + limitSec * 1e3);
/** Seconds to the deadline (undefined: none), never negative. */
export const secondsLeft = (deadline: number) => (deadline === Infinity ? undefined : Math.max(0, (deadline - performance.now()) / 1e3));

export function leastBound(patterns: Pattern[]): number | null {
  let b = Infinity;
  for (const p of patterns) {
    if (p.infeasible) continue;
    if (p.bound === null) return null;
    b = Math.min(b, p.bound);
  }
  return b;
}

export function better(a: Incumbent | undefined, b: Incumbent | undefined): Incumbent | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.objective < a.objective ? b : a;
}

