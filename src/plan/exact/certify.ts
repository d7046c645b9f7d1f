/**
 * Certify: a proven lower bound on the row-level optimal iteration time of one choice (batch, coalescing),
 * from the lower-sums model (proofs/bucket-certificate.md): every row of a bucket at its coldest row's
 * probability, plus the bucket's excess mass at the secant slopes of f_K (its folded LPs: placement-refinement.md,
 * "Excess mass"), bounds the row-level problem from below, and any proven bound on that model's MIP does too
 * (folded LP relaxations per usage pattern, the aggregate relaxation where one did not finish, a short branch
 * and bound when the LP bound is loose). Valid whatever the time limit: a stage that did not finish gives
 * the weaker bound it has, or none (null), never a guess.
 */
import { relativeGap } from '../../mip/result.js';
import type { Scenario } from '../../model/scenario.js';
import type { Bucket } from '../buckets.js';
import { TIME_UNIT_SEC, usageName, type PlanSpace } from '../mipModel.js';
import { branchAndBound } from './branch.js';
import { relaxOne } from './relax.js';
import { EXACT_RELATIVE_GAP, leastBound, secondsLeft, type BucketInterval, type ExactOptions, type PatternBounds } from './types.js';

/** Seconds of branch and bound the certificate may spend on the lower-sums MIP when its LP bound is loose. */
export const CERTIFY_BRANCH_SEC = 1;

export interface ChoiceBound {
  /** proven lower bound on the row-level optimal iteration time of the choice, seconds; null: none */
  lowerIterationSec: number | null;
  /** every usage pattern of the lower model is proven infeasible: the choice has no plan */
  infeasible: boolean;
  status: string;
  method: BucketInterval['lowerBoundMethod'];
  /** per usage pattern, the best bound so far (the next round re-solves only those below its goal) */
  patterns: PatternBounds;
}

/**
 * `earlier`: the choice's bound from coarser rounds and the goal (microseconds) its patterns must reach for the
 * bracket to close: a pattern already at the goal is not solved again (on Criteo Terabyte, the second round's
 * certificate with GLPK solved 6 pattern LPs in 2.6 s, most of them far above the binding one). Each pattern
 * keeps the larger of its old and new bound: both bound its row-level optimum.
 */
export async function lowerBound(s: Scenario, space: PlanSpace, coalesce: boolean, items: Bucket[], opts: ExactOptions, deadline: number, earlier?: { bound: ChoiceBound | null; goalUs: number }): Promise<ChoiceBound> {
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const known = earlier?.bound ? { patterns: earlier.bound.patterns, goalUs: earlier.goalUs } : undefined;
  const r = await relaxOne(s, space, coalesce, items, opts, true, deadline, known);
  const patterns: PatternBounds = {};
  for (const p of r.patterns) {
    const before = known?.patterns[usageName(p.usage)];
    if (p.infeasible) patterns[usageName(p.usage)] = 'infeasible';
    else if (p.bound !== null || typeof before === 'number') {
      const b = Math.max(p.bound ?? -Infinity, typeof before === 'number' ? before : -Infinity);
      patterns[usageName(p.usage)] = b;
      p.bound = b;
    }
  }
  if (r.patterns.every((p) => p.infeasible)) return { lowerIterationSec: null, infeasible: true, status: 'every usage pattern infeasible', method: 'lower-model-lp-relaxation', patterns };
  let boundUs = leastBound(r.patterns);
  const viaAggregate = r.patterns.some((p) => p.boundBy === 'aggregate-lp');
  let status = viaAggregate ? 'folded LP relaxations (aggregate relaxation where one did not finish)' : 'folded LP relaxations optimal';
  let method: BucketInterval['lowerBoundMethod'] = viaAggregate ? 'lower-model-aggregate-relaxation' : 'lower-model-lp-relaxation';
  if (space === 'tablewise') method = 'mip-bound';
  const gap = r.incumbent && boundUs !== null ? relativeGap(r.incumbent.objective, Math.min(r.incumbent.objective, boundUs)) : null;
  const left = secondsLeft(deadline);
  const budget = Math.min(CERTIFY_BRANCH_SEC, left ?? Infinity);
  // table-wise items carry their exact sums: the model is the row-level problem of that plan space, and its
  // branch and bound is the bound (runs as long as the deadline allows)
  if ((gap === null || gap > tol) && (space === 'tablewise' ? (left ?? 1) > 0.05 : budget > 0.05)) {
    const bb = await branchAndBound(r, opts, false, space === 'tablewise' ? deadline : performance.now() + budget * 1e3);
    if (bb.bound !== null && (boundUs === null || bb.bound > boundUs)) {
      boundUs = bb.bound;
      status = `MIP ${bb.settled ? 'optimal' : 'stopped'} (bound: ${bb.boundFromSearch ? 'branch and bound' : 'LP relaxations'})`;
      method = space === 'tablewise' ? 'mip-bound' : 'lower-model-mip-bound';
    }
  }
  return { lowerIterationSec: boundUs !== null ? boundUs * TIME_UNIT_SEC : null, infeasible: false, status, method, patterns };
}
