/**
 * Relax: per usage pattern of one choice (plan space, batch, coalescing), the folded LP relaxation (its
 * optimum bounds the pattern's MIP, proofs/placement-bounds.md §1-2) and its rounding (an incumbent); the
 * aggregate relaxation where an LP does not finish. The least bound over the patterns bounds the choice.
 */
import { availableParallelism } from 'node:os';
import { solve } from '../../mip/solve.js';
import type { SolveResult } from '../../mip/result.js';
import type { Model } from '../../mip/model.js';
import { relativeGap } from '../../mip/result.js';
import type { Scenario } from '../../model/scenario.js';
import { excessItems, type Bucket } from '../buckets.js';
import { aggregateBoundModel, checkCapacity, foldedLpModel, patternShortOfGpuMemory, usageName, usagePatterns, type FoldUnits, type PlanSpace } from '../mipModel.js';
import { pointOf, polish, roundFolded } from './incumbent.js';
import { better, EXACT_RELATIVE_GAP, leastBound, lpInWorker, secondsLeft, WORKER_LP_MIN_VARIABLES, type ExactOptions, type Incumbent, type Pattern, type PatternBounds, type Relaxed } from './types.js';

/**
 * Solve an LP and double-check an "infeasible" answer of GLPK with HiGHS (issue 17: GLPK's simplex called a
 * feasible but badly scaled LP, one GPU at 1 B/s next to one at 1e16 B/s, infeasible). A pattern wrongly
 * taken as infeasible would raise the least bound above the optimum, so only an answer both agree on (or
 * HiGHS's own) counts as a proof; when HiGHS cannot settle it, the LP's answer is "no bound" (status error).
 */
export async function solveTrusted(model: Model, solver: ExactOptions['solver'], timeLimitSec: number | undefined, worker = false): Promise<SolveResult> {
  const r = await solve(model, { solver: solver ?? 'glpk', timeLimitSec, worker });
  if (r.status !== 'infeasible' || solver === 'highs') return r;
  const h = await solve(model, { solver: 'highs', timeLimitSec: timeLimitSec === undefined ? undefined : Math.max(timeLimitSec, 0.5) }).catch(() => undefined);
  if (!h) return { ...r, status: 'error', message: 'GLPK said infeasible and HiGHS could not check it' };
  return h;
}

/** LPs of one relaxation solved at the same time at most (bounded by the machine's cores). */
export const LP_CONCURRENCY = 2;

/**
 * First step of one choice: for every usage pattern, the folded LP relaxation (its optimum is the pattern's
 * LP bound, proofs/placement-bounds.md §1-2) and its rounding (an incumbent). The least bound over the
 * patterns bounds the MIP; when the best rounded point is within the requested gap of it, the choice is
 * settled without branching.
 */
export async function relaxOne(
  scenario: Scenario,
  space: PlanSpace,
  coalesce: boolean,
  items: Bucket[],
  opts: ExactOptions,
  lower: boolean,
  deadline: number,
  /** the certificate's earlier rounds: patterns whose bound is already at least `goalUs` are not solved again */
  known?: { patterns: PatternBounds; goalUs: number },
): Promise<Relaxed> {
  const t0 = performance.now();
  checkCapacity(scenario, space);
  const solver = opts.solver ?? 'glpk';
  const patterns: Pattern[] = [];
  let incumbent: Incumbent | undefined;
  let aggregate: number | null | undefined;
  const units: FoldUnits = new Map();
  // the excess items (lower model) depend on the items only: computed once for all patterns
  const excess = lower && space !== 'tablewise' ? excessItems(scenario, items, 3) : undefined;
  const usages = usagePatterns(scenario, space);
  // 1. Which patterns need an LP (the others are settled without one), and their models.
  const jobs: Array<{ k: number; p: Pattern; fl: ReturnType<typeof foldedLpModel> }> = [];
  const unsolved: Pattern[] = [];
  for (const [k, usage] of usages.entries()) {
    // a step's heartbeat, every pattern in order: building a pattern's model takes a second on 64 GPUs
    opts.onProgress?.({ stage: `pattern ${k + 1} of ${usages.length}` });
    const p: Pattern = { usage, bound: null, boundBy: 'none', infeasible: false, settled: false };
    patterns.push(p);
    const before = known?.patterns[usageName(usage)];
    if ((!usage.rep && !usage.shard && !usage.host) || patternShortOfGpuMemory(scenario, usage) || before === 'infeasible') {
      p.infeasible = p.settled = true; // no class to hold the rows, GPUs too small for them without the host, or proven so before
      continue;
    }
    if (typeof before === 'number' && before >= known!.goalUs) {
      p.bound = before;
      p.boundBy = 'earlier-round';
      p.settled = true;
      continue;
    }
    const left = secondsLeft(deadline);
    if (left === undefined || left > 0) {
      const fl = foldedLpModel(scenario, items, { space, coalesce, lower, usage, units, excess });
      p.model = fl.model;
      jobs.push({ k, p, fl });
    } else unsolved.push(p);
  }
  // 2. The LPs, up to LP_CONCURRENCY at a time, each in a worker when more than one runs (an in-process solve
  // holds the thread): on gen-T500-W64 the certificate's two binding patterns took 6.2 s each, one after the
  // other. Results are taken in pattern order, so the answer does not depend on which finishes first.
  const parallel = Math.min(LP_CONCURRENCY, jobs.length, Math.max(1, availableParallelism()));
  const results = new Array<{ r: SolveResult; solvedBy: NonNullable<ExactOptions['solver']> } | undefined>(jobs.length);
  let next = 0;
  const runJob = async (j: number) => {
    const { k, fl } = jobs[j]!;
    // and one per LP: each can take seconds on 128 GPUs (the CLI draws at most once a second)
    opts.onProgress?.({ stage: `solving the LP of pattern ${k + 1}${parallel > 1 ? ` (${parallel} at a time)` : ''}` });
    const worker = lpInWorker(opts, fl.model) || (parallel > 1 && fl.model.variables.length >= WORKER_LP_MIN_VARIABLES);
    // The certificate's LPs go to HiGHS first whatever the backend: with GLPK they were solved twice, by GLPK and
    // then by HiGHS to check it (checkedLpBound), and GLPK's simplex on the lower model with its excess items took
    // 7x HiGHS's time (gen-T500-W64, 2026-12-04: round 0's certificate 36.8 s against 6.7 s). GLPK solves one only
    // when HiGHS gives no answer, and its value is then checked as before.
    const lpSolver = lower ? 'highs' : solver;
    const limit = () => {
      const l = secondsLeft(deadline);
      return l === undefined ? undefined : Math.max(l, 0.01);
    };
    let r = await solveTrusted(fl.model, lpSolver, limit(), worker);
    let solvedBy: NonNullable<ExactOptions['solver']> = lpSolver;
    if (lpSolver !== solver && r.status !== 'optimal' && r.status !== 'infeasible') {
      r = await solveTrusted(fl.model, solver, limit(), worker);
      solvedBy = solver;
    }
    results[j] = { r, solvedBy };
  };
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < jobs.length) await runJob(next++);
    }),
  );
  // 3. Bounds and rounded points, in pattern order.
  for (const [j, { p, fl }] of jobs.entries()) {
    const { r, solvedBy } = results[j]!;
    if (r.status === 'infeasible') {
      p.infeasible = p.settled = true;
      continue;
    }
    if (r.status === 'optimal' && r.objective !== null) {
      p.bound = lower ? await checkedLpBound(fl.model, solvedBy, r.objective, deadline) : r.objective;
      p.boundBy = 'folded-lp';
      if (space !== 'tablewise') {
        const counts = roundFolded(scenario, items, fl, r.values, coalesce, lower);
        if (counts) {
          const pt = pointOf(scenario, items, counts, coalesce, lower);
          if (pt.fits) incumbent = better(incumbent, { counts, objective: pt.objective, method: 'lp-rounding', usage: p.usage });
        }
      }
      continue;
    }
    unsolved.push(p);
  }
  for (const p of unsolved) {
    // No LP answer in time: the aggregate relaxation bounds every pattern (it drops the latencies). The primal
    // (upper) model's bound only orders and prunes the bucketed search, so past the deadline it goes without
    // one: HiGHS spent 21.6 s on that LP under a 0.5 s limit (gen-T500-W64, 11,951 items).
    if (!lower && (secondsLeft(deadline) ?? 1) <= 0) continue;
    if (aggregate === undefined) aggregate = await aggregateBound(scenario, items, space, coalesce, opts, lower, deadline);
    if (aggregate !== null) {
      p.bound = aggregate;
      p.boundBy = 'aggregate-lp';
    }
  }
  const lpBound = leastBound(patterns);
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const gap = incumbent && lpBound !== null ? relativeGap(incumbent.objective, Math.min(incumbent.objective, lpBound)) : null;
  if (incumbent?.usage && lpBound !== null && gap !== null && gap > tol && !tooLargeToBranch(scenario, items, deadline)) {
    opts.onProgress?.({ stage: 'polishing the rounded LP plan' });
    incumbent = await polish(scenario, items, space, coalesce, lower, incumbent, lpBound, opts, deadline);
  }
  return { s: scenario, space, coalesce, lower, items, patterns, lpBound, incumbent, t0, deadline };
}

/**
 * A certificate LP's optimum as a bound. GLPK's simplex was seen to stop above the optimum of the lower model's
 * folded LP and still call it optimal: 29379.22 us against 29376.63 from HiGHS (Criteo Terabyte on 1 GPU,
 * batch 131072 uncoalesced, 8.8e-5 relative), which put the certified bound below greedy's plan; the full
 * model stopped 2.4e-5 above (proofs/placement-refinement.md). A bound must not exceed the optimum, so with
 * GLPK the certificate's LPs are also solved by HiGHS and the smaller optimum is the bound, as HiGHS's answer
 * already settles GLPK's infeasibility claims (solveTrusted). When HiGHS does not finish, GLPK's value stands.
 */
async function checkedLpBound(model: Model, solver: ExactOptions['solver'], objective: number, deadline: number): Promise<number> {
  if (solver === 'highs') return objective;
  const left = secondsLeft(deadline);
  const h = await solve(model, { solver: 'highs', timeLimitSec: left === undefined ? undefined : Math.max(left, 0.5) }).catch(() => undefined);
  return h?.status === 'optimal' && h.objective !== null ? Math.min(objective, h.objective) : objective;
}

/** Under a time limit, models past MAX_BRANCH_TERMS are not built (see there). */
export function tooLargeToBranch(s: Scenario, items: Bucket[], deadline: number): boolean {
  const W = s.gpus.length;
  const nodes = new Set(s.gpus.map((g) => g.node)).size;
  return deadline !== Infinity && items.length * W * (nodes + 2) > MAX_BRANCH_TERMS;
}

/**
 * Proven lower bound (microseconds) from the aggregate relaxation (aggregateBoundModel): a small LP that
 * finishes when the folded LP does not. Null when it does not finish either.
 */
export async function aggregateBound(s: Scenario, items: Bucket[], space: PlanSpace, coalesce: boolean, opts: ExactOptions, lower: boolean, deadline: number): Promise<number | null> {
  if (space === 'tablewise') return null;
  // a small LP: it gets a little time past the deadline (AGGREGATE_MIN_SEC) so that a stopped call still has a bound
  const left = secondsLeft(deadline);
  const model = aggregateBoundModel(s, items, { coalesce, lower, space });
  const r = await solveTrusted(model, opts.solver, left === undefined ? undefined : Math.max(left, AGGREGATE_MIN_SEC));
  if (r.status === 'optimal' && r.objective !== null) return lower ? checkedLpBound(model, opts.solver, r.objective, deadline) : r.objective;
  // not settled by GLPK (numerics, issue 17): HiGHS once more
  if (opts.solver !== 'highs' && r.status !== 'timelimit') {
    const h = await solve(model, { solver: 'highs', timeLimitSec: left === undefined ? undefined : Math.max(left, AGGREGATE_MIN_SEC) });
    if (h.status === 'optimal' && h.objective !== null) return h.objective;
  }
  return null;
}

/**
 * Models past this many all-to-all and time-row terms (items x GPUs x (nodes + 2)) are not branched on under a
 * time limit: building them alone takes seconds, and branch and bound cannot improve on the folded LP and its
 * rounding in the time left. Without a time limit every model is branched on.
 */
export const MAX_BRANCH_TERMS = 2e6;

/** Seconds the aggregate relaxation may take even when the deadline has passed (a small LP; the bound it gives is what keeps a stopped call honest). */
export const AGGREGATE_MIN_SEC = 0.5;

