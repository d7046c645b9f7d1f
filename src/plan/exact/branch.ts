/**
 * Branch: when rounding did not settle a choice, branch and bound on each usage pattern's MIP (no big-M rows)
 * from the best integer point known; `settle` turns a relaxed choice into its best point, laid out at row
 * level and evaluated.
 */
import type { Model } from '../../mip/model.js';
import { relativeGap, type SolveProgress, type SolveResult } from '../../mip/result.js';
import type { WorkProgress } from '../../progress.js';
import { solve, solverVersion } from '../../mip/solve.js';
import { evaluate } from '../../model/evaluate.js';
import { buildPlacementModel, countsFromValues, throughputProgress, usageCovers, usageName, usageOfCounts } from '../mipModel.js';
import { heuristicPoint, pointOf, repairMemory, rowWeights, startValues, symmetryOrdered } from './incumbent.js';
import { layoutPlan } from './layout.js';
import { tooLargeToBranch } from './relax.js';
import { better, EXACT_RELATIVE_GAP, leastBound, secondsLeft, type ExactOptions, type Incumbent, type OneSolve, type Relaxed } from './types.js';

/** HiGHS MIPs of at least this many variables run in a worker with a watchdog under a time limit. */
export const WORKER_MIN_VARIABLES = 2000;

/** A pattern MIP's progress as exact's own (throughput, samples/s; throughputProgress), its stage under "exact: ". */
export function mipProgress(stage: string, B: number, sp: SolveProgress): WorkProgress {
  return throughputProgress(`exact: ${stage}`, B, sp);
}

/**
 * Second step, when rounding did not settle the choice: branch and bound on each pattern's MIP (no indicators,
 * no big-M rows), lowest bound first, from the best integer point known (a MIP start for HiGHS), skipping
 * patterns whose bound proves they cannot beat it. A pattern's proven bound is the larger of its LP bound and
 * its branch and bound's; the choice's bound is the least over patterns. When the time limit stops it, the
 * best integer point known is returned with status 'timelimit', the bound and the gap to it.
 */
export async function branchAndBound(r: Relaxed, opts: ExactOptions, withHeuristic = true, deadline = r.deadline): Promise<{ incumbent?: Incumbent; bound: number | null; settled: boolean; model?: Model; boundFromSearch: boolean; message: string }> {
  const { s: scenario, items, space, coalesce, lower } = r;
  const solver = opts.solver ?? 'glpk';
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  let incumbent = r.incumbent;
  // greedy's plan as a point (it takes its own time: skipped once the limit has passed)
  if (withHeuristic && !lower && (secondsLeft(deadline) ?? 1) > 0) {
    opts.onProgress?.({ stage: "branch and bound: greedy's plan as a starting point" });
    incumbent = better(incumbent, heuristicPoint(r, opts));
    opts.onProgress?.({ stage: 'branch and bound' });
  }
  const W = scenario.gpus.length;
  const B = scenario.training.globalBatch;
  const onProgress = opts.onProgress;
  const tooLarge = tooLargeToBranch(scenario, items, deadline);
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
      // with onProgress, every pattern's MIP runs in a worker (solve's default) so a progress bar keeps drawing
      worker: solver === 'highs' && left2 !== undefined && pm.model.variables.length >= WORKER_MIN_VARIABLES ? true : undefined,
      ...(startFrom ? { start: startFrom } : {}),
      ...(onProgress ? { onProgress: (sp: SolveProgress) => onProgress(mipProgress(`${lower ? 'certify' : 'branch and bound'} ${usageName(p.usage)} at batch ${B}`, B, sp)) } : {}),
    });
    if (res.status === 'infeasible') {
      // its LP was feasible; HiGHS's answer proves the MIP has no integer point. GLPK's is not trusted for a
      // bound (issue 17): the pattern keeps its LP bound, and is not branched on again.
      if (solver === 'highs') p.infeasible = true;
      p.settled = true;
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

/**
 * Settle one choice: rounding when it is within the gap of the LP bound, branch and bound otherwise. `seeds`
 * (points of known plans, e.g. greedy's) are incumbents from the start. Undefined when no integer point was
 * found (in the time left, or at all).
 */
export async function settle(r: Relaxed, opts: ExactOptions, seeds: Incumbent[] = [], layoutBelowUs?: number): Promise<OneSolve | undefined> {
  const { s: scenario, items, space, coalesce } = r;
  const solver = opts.solver ?? 'glpk';
  const tol = opts.relativeGap ?? EXACT_RELATIVE_GAP;
  const name = space === 'tiered' ? 'exact' : `exact-${space}`;
  let incumbent = r.incumbent;
  for (const seed of seeds) incumbent = better(incumbent, seed);
  r.incumbent = incumbent;
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
    opts.onProgress?.({ stage: 'branch and bound' });
    const bb = await branchAndBound(r, opts);
    ({ incumbent, bound, settled, boundFromSearch } = bb);
    model = modelOf(incumbent) ?? bb.model ?? model;
    message = settled ? 'branch and bound over the usage patterns' : `stopped before every usage pattern was settled: ${bb.message}`;
  }
  if (!incumbent) return undefined;
  if (bound !== null) bound = Math.min(bound, incumbent.objective);
  // A new point is laid out at row level (seconds on 64 GPUs) only when its bucketed objective is below
  // `layoutBelowUs`; otherwise the best seed's plan stands for it (proofs/placement-refinement.md, "Primal step")
  const seed = seeds.filter((x) => x.plan).sort((a, b) => a.objective - b.objective)[0];
  const skipLayout = !incumbent.plan && seed !== undefined && layoutBelowUs !== undefined && !(incumbent.objective < layoutBelowUs);
  const shown = skipLayout ? seed : incumbent;
  if (!skipLayout) opts.onProgress?.({ stage: 'laying out the plan at row level' });
  const laid = shown.plan
    ? { plan: { ...shown.plan, name, algorithm: name }, evaluation: evaluate(scenario, { ...shown.plan, name, algorithm: name }) }
    : layoutPlan(scenario, items, incumbent.counts, coalesce, name, { balance: (secondsLeft(r.deadline) ?? 1) > 0 });
  const result: SolveResult = {
    // not settled: stopped by the time limit, or (without one) by a backend that gave up on a pattern
    status: settled ? 'optimal' : r.deadline !== Infinity ? 'timelimit' : 'feasible',
    objective: incumbent.objective,
    values: {},
    bestBound: bound,
    boundSource: bound === null ? 'none' : boundFromSearch ? 'solver' : 'lp-relaxation',
    gap: relativeGap(incumbent.objective, bound),
    solveSeconds: (performance.now() - r.t0) / 1e3,
    solver,
    solverVersion: await solverVersion(solver),
    message: `${message}; best integer point: ${incumbent.method}${skipLayout ? ' (not laid out: its bucketed objective is not below the best known plan by the layout margin)' : ''}`,
  };
  return { result, method: shown.method, plan: laid.plan, evaluation: laid.evaluation, items, coalesce, model: model ?? ({ name: 'none', sense: 'minimize', objective: { terms: [] }, variables: [], constraints: [] } as Model) };
}

