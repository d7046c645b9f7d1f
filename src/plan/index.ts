import { InputError } from '../errors.js';
import type { SolverName } from '../mip/result.js';
import { evaluate, type Evaluation } from '../model/evaluate.js';
import type { CheckedPlan } from '../model/plan.js';
import { withGlobalBatch, type Scenario } from '../model/scenario.js';
import type { WorkProgress } from '../progress.js';
import { cacheGreedyPlan, greedyBatchSearch, hostCoalescedPlan, hostPlan, tablewiseGreedyPlan, type KnapsackCertificate } from './algorithms.js';
import { exactPlacement, type ExactOptions, type ExactResult, type KnownPlan } from './exact/index.js';
import { bucketCache } from './buckets.js';
import { restrictionCost, torchrecPlacement, type RestrictionCost, type TorchRecResult } from './torchrec-space.js';

export * from './algorithms.js';
export { scenarioBuckets, tableItems, lowerRangeSums, bucketCache, type BucketCache, bucketBoundaries as planBucketBoundaries, type Bucket as PlanItem } from './buckets.js';
export * from './classes.js';
export * from './exact/index.js';
export * from './mipModel.js';
export * from './torchrec-space.js';
export * from './torchrec-export.js';

export const ALGORITHMS = ['host', 'host-coalesced', 'tablewise-greedy', 'cache-greedy', 'greedy', 'exact', 'exact-tablewise', 'exact-cache', 'exact-torchrec'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export function parseAlgorithm(name: string): Algorithm {
  if ((ALGORITHMS as readonly string[]).includes(name)) return name as Algorithm;
  throw new InputError(`unknown algorithm "${name}" (one of ${ALGORITHMS.join(', ')})`, 'option --algo');
}

export interface PlacementResult {
  algorithm: Algorithm;
  plan: CheckedPlan;
  evaluation: Evaluation;
  /** wall time of the algorithm, milliseconds */
  elapsedMs: number;
  exact?: ExactResult;
  knapsack?: KnapsackCertificate;
  /** exact-torchrec: the TorchRec space's solve (src/plan/torchrec-space.ts) */
  torchrec?: TorchRecResult;
}

export interface PlacementOptions extends ExactOptions {
  /**
   * Pin the global batch: the algorithm plans for this batch only (no candidate-batch search), and the plan
   * records it. Without it greedy and exact search the scenario's candidate batches.
   */
  batch?: number;
  /** plans already made (compare passes every heuristic's): incumbents of the exact search */
  knownPlans?: KnownPlan[];
}

/**
 * Run one algorithm; every plan is costed by evaluate (the one cost function). The returned plan records the
 * batch it was made for (`plan.batch`, the batch of `evaluation`), so a plan file evaluates to the same number.
 */
export async function runAlgorithm(scenario: Scenario, algorithm: Algorithm, options: PlacementOptions = {}): Promise<PlacementResult> {
  const { batch, ...rest } = options;
  const opts: ExactOptions & { knownPlans?: KnownPlan[] } = batch === undefined ? rest : { ...rest, batches: [batch] };
  if (batch !== undefined && batch !== scenario.training.globalBatch) scenario = withGlobalBatch(scenario, batch);
  const t0 = performance.now();
  const done = (plan: CheckedPlan, extra: Partial<PlacementResult> = {}): PlacementResult => {
    const evaluation = extra.evaluation ?? evaluate(scenario, plan);
    const { tables, ...head } = plan;
    return { algorithm, elapsedMs: performance.now() - t0, ...extra, plan: { ...head, batch: evaluation.globalBatch, tables }, evaluation };
  };
  switch (algorithm) {
    case 'host':
      return done(hostPlan(scenario));
    case 'host-coalesced':
      return done(hostCoalescedPlan(scenario));
    case 'tablewise-greedy':
      return done(tablewiseGreedyPlan(scenario));
    case 'cache-greedy': {
      const { plan, certificate } = cacheGreedyPlan(scenario);
      return done(plan, { knapsack: certificate });
    }
    case 'greedy': {
      // Like exact, greedy searches the candidate batches (the batch is part of the plan's throughput).
      const g = greedyBatchSearch(scenario, { bucketCache: opts.bucketCache, onProgress: opts.onProgress }, opts.batches ?? scenario.training.candidateBatches);
      return done(g.plan, { evaluation: evaluate(g.scenario, g.plan) });
    }
    case 'exact-torchrec': {
      const torchrec = await torchrecPlacement(scenario, { solver: opts.solver, timeLimitSec: opts.timeLimitSec, relativeGap: opts.relativeGap, batches: opts.batches, coalesce: opts.coalesce, onProgress: opts.onProgress });
      return done(torchrec.plan, { torchrec, evaluation: torchrec.evaluation });
    }
    case 'exact':
    case 'exact-tablewise':
    case 'exact-cache': {
      const space = algorithm === 'exact' ? 'tiered' : algorithm === 'exact-tablewise' ? 'tablewise' : 'cache';
      const exact = await exactPlacement(scenario, { ...opts, space, ...(space === 'tablewise' ? { coalesce: opts.coalesce ?? false } : {}) });
      return done(exact.plan, { exact, evaluation: exact.evaluation });
    }
  }
}

export interface CompareRow {
  algorithm: Algorithm;
  throughputSamplesPerSec: number;
  iterationSec: number;
  globalBatch: number;
  feasible: boolean;
  /** throughput over B0's at the same batch (the row's globalBatch): the placement's gain, not the batch's */
  speedupOverB0: number;
  /** throughput over B0 at the scenario's batch: placement and batch choice together */
  speedupOverB0AtScenarioBatch: number;
  /**
   * (reference - throughput) / reference; reference = the exact plan when proven optimal for the bucketed
   * model, else the solver's proven bound. The bucketed optimum is exact for the bucketed model, not for the
   * row-level problem, so a heuristic can beat it at row level: the gap is then negative (and gapToBound is the
   * certified number).
   */
  gapToOptimum: number | null;
  gapReference: 'optimum' | 'bound' | 'none';
  /**
   * (bound - throughput) / bound against the certified upper bound on row-level throughput over every
   * candidate batch (proofs/placement-refinement.md): never negative; null when there is no certificate.
   */
  gapToBound: number | null;
  /** B0 (the host plan) costed at this row's batch: the reference of speedupOverB0 */
  b0ThroughputSamplesPerSec: number;
  memoryPerGpuBytes: number[];
  elapsedMs: number;
  status?: string;
}

/**
 * The row-level optimum at the exact plan's batch, bracketed by every plan of the comparison: below by the best
 * feasible plan at that batch (any of them is achievable, so the optimum is at least as fast), above by the
 * certificate's bound (proofs/bucket-certificate.md).
 */
export interface RowLevelInterval {
  /** batch of the best plan */
  globalBatch: number;
  /** the exact search's row-level status: 'optimal' only when the bracket is within its target width */
  status: string;
  /** throughput of the best feasible plan at this batch, and the algorithm that made it */
  bestKnownSamplesPerSec: number;
  bestKnownBy: Algorithm;
  /** certified upper bound on row-level throughput over every candidate batch (null without a certificate) */
  upperSamplesPerSec: number | null;
  /** (upper - best known) / best known on throughput, null without a bound */
  relativeWidth: number | null;
}

export interface CompareOptions extends PlacementOptions {
  algorithms?: Algorithm[];
}

/**
 * Every algorithm on one scenario: throughput, iteration time, speedup over B0 and gap to the exact
 * optimum (or to the proven bound when the solve stopped early), with memory per GPU.
 */
export async function comparePlans(
  scenario: Scenario,
  opts: CompareOptions = {},
): Promise<{ rows: CompareRow[]; exact?: ExactResult; rowLevel?: RowLevelInterval; torchrec?: RestrictionCost; plans: PlacementResult[] }> {
  const algos = opts.algorithms ?? (['host', 'host-coalesced', 'tablewise-greedy', 'cache-greedy', 'greedy', 'exact', 'exact-torchrec'] as Algorithm[]);
  // One set of buckets (and their Zipf range sums) per bucket count, shared by greedy, exact and the certificate.
  const shared = { ...opts, bucketCache: opts.bucketCache ?? bucketCache() };
  // The heuristics first: their plans are incumbents of the exact search (exact is never worse than any row).
  const byAlgo = new Map<Algorithm, PlacementResult>();
  const ordered = [...algos.filter((a) => !a.startsWith('exact')), ...algos.filter((a) => a.startsWith('exact'))];
  for (const [i, a] of ordered.entries()) {
    opts.onProgress?.({ stage: a, done: i, total: algos.length });
    // an algorithm's own progress (exact's rounds, a solve's incumbent and bound) within compare's count
    const inner = opts.onProgress;
    const step = inner ? { onProgress: (p: WorkProgress) => inner({ ...p, stage: p.stage.startsWith(a) ? p.stage : `${a}: ${p.stage}`, done: i, total: algos.length }) } : {};
    const knownPlans = a.startsWith('exact')
      ? [...byAlgo.values()].filter((r) => r.evaluation.feasible).map((r) => ({ plan: r.plan, globalBatch: r.evaluation.globalBatch, source: r.algorithm }))
      : undefined;
    byAlgo.set(a, await runAlgorithm(scenario, a, knownPlans ? { ...shared, ...step, knownPlans } : { ...shared, ...step }));
  }
  opts.onProgress?.({ stage: 'done', done: algos.length, total: algos.length });
  const results = algos.map((a) => byAlgo.get(a)!);
  const b0 = results.find((r) => r.algorithm === 'host') ?? (await runAlgorithm(scenario, 'host', { batch: opts.batch }));
  // B0 at each row's batch: a speedup compares plans at the same batch (a larger batch alone is faster).
  const b0At = new Map<number, number>([[b0.evaluation.globalBatch, b0.evaluation.throughputSamplesPerSec]]);
  const b0Throughput = (B: number): number => {
    let v = b0At.get(B);
    if (v === undefined) {
      v = evaluate(withGlobalBatch(scenario, B), b0.plan).throughputSamplesPerSec;
      b0At.set(B, v);
    }
    return v;
  };
  const exact = results.find((r) => r.algorithm === 'exact')?.exact;
  // The certified bound on row-level throughput over every candidate batch (proofs/placement-refinement.md):
  // it holds for every row, whatever its batch.
  const boundThroughput = exact?.rowLevel.boundSamplesPerSec ?? null;
  let ref: number | null = null;
  let refKind: CompareRow['gapReference'] = 'none';
  if (exact) {
    if (exact.rowLevel.status === 'optimal') {
      ref = exact.evaluation.throughputSamplesPerSec;
      refKind = 'optimum';
    } else if (boundThroughput !== null) {
      ref = boundThroughput;
      refKind = 'bound';
    }
  }
  const rows = results.map((r): CompareRow => ({
    algorithm: r.algorithm,
    throughputSamplesPerSec: r.evaluation.throughputSamplesPerSec,
    iterationSec: r.evaluation.iterationSec,
    globalBatch: r.evaluation.globalBatch,
    feasible: r.evaluation.feasible,
    speedupOverB0: b0Throughput(r.evaluation.globalBatch) > 0 ? r.evaluation.throughputSamplesPerSec / b0Throughput(r.evaluation.globalBatch) : 0,
    speedupOverB0AtScenarioBatch: b0.evaluation.throughputSamplesPerSec > 0 ? r.evaluation.throughputSamplesPerSec / b0.evaluation.throughputSamplesPerSec : 0,
    b0ThroughputSamplesPerSec: b0Throughput(r.evaluation.globalBatch),
    gapToOptimum: ref !== null && ref > 0 ? (ref - r.evaluation.throughputSamplesPerSec) / ref : null,
    gapReference: refKind,
    gapToBound: boundThroughput !== null && boundThroughput > 0 && r.evaluation.feasible ? (boundThroughput - r.evaluation.throughputSamplesPerSec) / boundThroughput : null,
    memoryPerGpuBytes: r.evaluation.gpus.map((g) => g.memoryUsedBytes),
    elapsedMs: r.elapsedMs,
    ...(r.exact ? { status: r.exact.status } : {}),
    ...(r.torchrec ? { status: r.torchrec.status } : {}),
  }));
  let rowLevel: RowLevelInterval | undefined;
  if (exact) {
    const feasible = rows.filter((r) => r.feasible);
    const best = feasible.reduce((a, r) => (r.throughputSamplesPerSec > a.throughputSamplesPerSec ? r : a), feasible[0]!);
    rowLevel = {
      globalBatch: best.globalBatch,
      bestKnownSamplesPerSec: best.throughputSamplesPerSec,
      bestKnownBy: best.algorithm,
      upperSamplesPerSec: boundThroughput,
      relativeWidth: boundThroughput !== null ? Math.max(0, boundThroughput - best.throughputSamplesPerSec) / best.throughputSamplesPerSec : null,
      status: exact.rowLevel.status,
    };
  }
  // What TorchRec's space costs against the full space (issue 15): its optimum against the best full-space plan
  // (every other algorithm's plan is in the full space) and the certified row-level bound at the exact batch.
  let torchrec: RestrictionCost | undefined;
  const tr = results.find((r) => r.algorithm === 'exact-torchrec');
  const full = results.filter((r) => r.algorithm !== 'exact-torchrec' && r.evaluation.feasible);
  if (tr && full.length > 0) {
    const bestFull = full.reduce((a, r) => (r.evaluation.throughputSamplesPerSec > a.evaluation.throughputSamplesPerSec ? r : a));
    torchrec = restrictionCost(tr.evaluation.throughputSamplesPerSec, bestFull.evaluation.throughputSamplesPerSec, bestFull.algorithm, boundThroughput);
  }
  return { rows, exact, ...(rowLevel ? { rowLevel } : {}), ...(torchrec ? { torchrec } : {}), plans: results };
}

export type { SolverName };
export * from './modelMap.js';
