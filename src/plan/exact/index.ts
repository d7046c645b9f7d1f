/**
 * The exact placement (issue 11; proofs/placement-refinement.md): the row-level optimum bracketed and, within
 * the target width, certified. One deadline for the whole call. Stages, one file each:
 * - known plans (the plan space's heuristic over the candidate batches, all-host, plans the caller passes):
 *   evaluated at row level, they are incumbents from the start, so exact is never worse than a heuristic;
 * - relax.ts / incumbent.ts / branch.ts: the bucketed (mean-sums) model per choice, seeded with the best
 *   known plan's counts, for new candidate plans;
 * - layout.ts: those counts as row-level plans, costed by evaluate;
 * - certify.ts: per choice, a proven lower bound on the row-level iteration time (lower-sums model);
 * - refine.ts: split the buckets where the best plan changes class or the lower model is loosest;
 * repeated until (bound - best) / best <= targetWidth, the deadline, or nothing is left to refine.
 */
import { InfeasibleError } from '../../errors.js';
import type { Model } from '../../mip/model.js';
import { relativeGap } from '../../mip/result.js';
import { solverVersion } from '../../mip/solve.js';
import { evaluate, type Evaluation } from '../../model/evaluate.js';
import type { CheckedPlan } from '../../model/plan.js';
import { withGlobalBatch, type Scenario } from '../../model/scenario.js';
import { cacheGreedyPlan, greedyBatchSearch, hostPlan, tablewiseGreedyPlan } from '../algorithms.js';
import { bucketsFromCuts, scenarioBuckets, tableItems, type Bucket, type BucketCache } from '../buckets.js';
import { buildPlacementModel, TIME_UNIT_SEC, usageName, usagePatterns, type PlacementModel, type PlanSpace, type Usage } from '../mipModel.js';
import { settle } from './branch.js';
import { lowerBound, type ChoiceBound } from './certify.js';
import { countsFromPlan, pointOf } from './incumbent.js';
import { relaxOne } from './relax.js';
import { initialCuts, nextRoundBudget, refineCuts } from './refine.js';
import {
  DEFAULT_TARGET_WIDTH,
  deadlineOf,
  EXACT_RELATIVE_GAP,
  MAX_REFINE_ROUNDS,
  secondsLeft,
  type BucketInterval,
  type ExactOptions,
  type ExactResult,
  type Incumbent,
  type OneSolve,
  type Relaxed,
  type RowLevelBracket,
} from './types.js';

export * from './types.js';
export { roundCounts, roundFolded, countsFromPlan, symmetryOrdered, POLISH_HELD_ROWS_PER_GPU } from './incumbent.js';
export { LAYOUT_CHUNK_BUDGET, layoutPlan } from './layout.js';
export { MAX_BRANCH_TERMS, AGGREGATE_MIN_SEC } from './relax.js';
export { WORKER_MIN_VARIABLES } from './branch.js';
export { CERTIFY_BRANCH_SEC } from './certify.js';
export { refineCuts, initialCuts, bucketSlackSec } from './refine.js';

/**
 * A bucketed point is laid out at row level (two evaluates of a plan with a chunk per bucket and GPU: 10 s on
 * gen-T500-W64) only when its bucketed throughput is above (1 - LAYOUT_MARGIN) times the best plan's. Measured
 * 2026-12-04 (bucketed objective / best plan's time -> the laid-out plan against the best): round 0 of
 * gen-T500-W64 1.105 -> 19% slower, gen-T100-W16 1.258 -> 27% slower, gen-T26-W8 1.205 -> 1.9% slower, gen-T10-W2
 * 1.051 -> 1.3% slower; the refined rounds 0.999 -> 0.01% and 0.07% faster (T100, T26), 0.9999 -> 0.05% slower
 * (T10). The bucketed model charges each row its bucket's mean, so a point that it does not even rate within
 * 1% of the best plan did not beat it at row level in any of these. At one row per bucket the model is exact
 * and the rule only skips points that are no better (proofs/placement-refinement.md, "Primal step").
 */
export const LAYOUT_MARGIN = 0.01;

export function itemsFor(scenario: Scenario, space: PlanSpace, maxBuckets: number, cache?: BucketCache): Bucket[] {
  if (cache) return space === 'tablewise' ? cache.tables(scenario) : cache.buckets(scenario, maxBuckets);
  return space === 'tablewise' ? tableItems(scenario) : scenarioBuckets(scenario, maxBuckets);
}

/**
 * Build a placement model at `maxBuckets` rank buckets per table. With `usage`, the pattern model that
 * exact's branch and bound solves (branch.ts: no indicator binaries, no big-M rows); without it, the
 * indicator model whose optimum is the least over the usage patterns' optima (proofs/placement-bounds.md §1).
 */
export function exactModel(scenario: Scenario, opts: { space?: PlanSpace; maxBuckets?: number; coalesce?: boolean; lower?: boolean; usage?: Usage } = {}): PlacementModel {
  const space = opts.space ?? 'tiered';
  return buildPlacementModel(scenario, itemsFor(scenario, space, opts.maxBuckets ?? 8), { space, coalesce: opts.coalesce ?? true, lower: opts.lower, usage: opts.usage });
}

/**
 * The pattern models exact solves at these buckets (what `scarec export` writes, one file each): the
 * bucketed optimum is the least of their optima (proofs/placement-bounds.md §1).
 */
export function exactPatternModels(scenario: Scenario, opts: { space?: PlanSpace; maxBuckets?: number; coalesce?: boolean } = {}): Array<{ pattern: string; usage: Usage; pm: PlacementModel }> {
  const space = opts.space ?? 'tiered';
  return usagePatterns(scenario, space)
    .filter((u) => u.rep || u.shard || u.host)
    .map((usage) => ({ pattern: usageName(usage), usage, pm: exactModel(scenario, { ...opts, space, usage }) }));
}

/** A plan the caller already has (compare passes every algorithm's): an incumbent of the exact search. */
export interface KnownPlan {
  plan: CheckedPlan;
  globalBatch: number;
  source: string;
}

interface Best {
  s: Scenario;
  plan: CheckedPlan;
  evaluation: Evaluation;
  coalesce: boolean;
  source: string;
  method: ExactResult['method'];
}

interface Choice {
  B: number;
  s: Scenario;
  coalesce: boolean;
  /** best proven lower bound on its row-level iteration time so far (bounds of coarser rounds stay valid) */
  lower: ChoiceBound | null;
  infeasible: boolean;
}

const ceilingOf = (c: Choice): number | null =>
  c.infeasible ? 0 : c.lower?.lowerIterationSec == null ? null : c.lower.lowerIterationSec > 0 ? c.B / c.lower.lowerIterationSec : null;

/**
 * The plan space's own heuristic over the candidate batches, and all-host: row-level plans known before any
 * solve. Each is skipped when it finds no plan that fits.
 */
function knownPlans(scenario: Scenario, space: PlanSpace, batches: number[], opts: ExactOptions): KnownPlan[] {
  const out: KnownPlan[] = [];
  const attempt = (f: () => KnownPlan) => {
    try {
      out.push(f());
    } catch (e) {
      if (!(e instanceof InfeasibleError)) throw e;
    }
  };
  const B0 = scenario.training.globalBatch;
  if (space === 'tiered')
    attempt(() => {
      const g = greedyBatchSearch(scenario, { bucketCache: opts.bucketCache, onProgress: opts.onProgress && ((p) => opts.onProgress!({ ...p, stage: `exact: known plans: ${p.stage}` })) }, batches);
      return { plan: g.plan, globalBatch: g.globalBatch, source: 'greedy' };
    });
  else if (space === 'cache') attempt(() => ({ plan: cacheGreedyPlan(scenario).plan, globalBatch: B0, source: 'cache-greedy' }));
  else attempt(() => ({ plan: tablewiseGreedyPlan(scenario), globalBatch: B0, source: 'tablewise-greedy' }));
  attempt(() => ({ plan: hostPlan(scenario), globalBatch: B0, source: 'host' }));
  return out;
}

/**
 * The exact placement: the best row-level plan found (never worse than the plan space's heuristic or any
 * plan passed in `knownPlans`) and the certified bracket of the row-level optimum over every candidate batch
 * and coalescing choice, refined until it is within `targetWidth` or the time limit stops it.
 */
export async function exactPlacement(scenario: Scenario, opts: ExactOptions & { knownPlans?: KnownPlan[] } = {}): Promise<ExactResult> {
  const t0 = performance.now();
  const deadline = deadlineOf(t0, opts.timeLimitSec);
  const late = () => secondsLeft(deadline) === 0;
  const space = opts.space ?? 'tiered';
  const batches = opts.batches ?? scenario.training.candidateBatches;
  const coalesceChoices = opts.coalesce === undefined || opts.coalesce === 'auto' ? (scenario.training.dedupSecondsPerLookup > 0 ? [true, false] : [true]) : [opts.coalesce];
  const target = opts.targetWidth ?? DEFAULT_TARGET_WIDTH;
  const certifyOn = opts.certify !== false;
  const maxRounds = certifyOn ? (opts.maxRefineRounds ?? MAX_REFINE_ROUNDS) : 0;
  const name = space === 'tiered' ? 'exact' : `exact-${space}`;
  let rounds = 0;
  const progress = (stage: string, extra: { incumbent?: number | null; bound?: number | null; gap?: number | null } = {}) =>
    opts.onProgress?.({ stage, done: rounds, total: maxRounds, ...extra });
  const scenarios = new Map<number, Scenario>();
  const scenarioAt = (B: number) => {
    let s = scenarios.get(B);
    if (!s) scenarios.set(B, (s = B === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, B)));
    return s;
  };
  const choices: Choice[] = batches.flatMap((B) => coalesceChoices.map((coalesce) => ({ B, s: scenarioAt(B), coalesce, lower: null, infeasible: false })));

  // Known plans: incumbents before any solve.
  let best: Best | undefined;
  const perBatch = new Map<number, number>();
  const consider = (s: Scenario, plan: CheckedPlan, evaluation: Evaluation, source: string, method: ExactResult['method']) => {
    if (!evaluation.feasible) return;
    const B = s.training.globalBatch;
    perBatch.set(B, Math.max(perBatch.get(B) ?? 0, evaluation.throughputSamplesPerSec));
    if (!best || evaluation.throughputSamplesPerSec > best.evaluation.throughputSamplesPerSec) {
      best = { s, plan, evaluation, coalesce: plan.coalesce, source, method };
      if (method !== 'heuristic-incumbent') primalWon = true;
    }
  };
  // whether a plan of the bucketed search has been the best plan at some point: refinement rounds run the
  // primal step only then (or while no plan is known). Where the known plans stay ahead, a refinement round's
  // primal step is a relaxation, a settling and a row-level layout whose plan loses: gen-T500-W64 (HiGHS,
  // 2026-12-04) spent 19-34 s per round on them in rounds 1-4 without a better plan, against 10-25 s for the
  // certificate, and the bound alone reached 5.4% after round 1 at 38 s where both steps took 65 s
  // (proofs/placement-refinement.md, "Primal step")
  let primalWon = false;
  // items of the last primal step and its seconds per item; finalPass: the primal step alone, once, at the end
  let primalRanAt: number | undefined;
  let primalSecPerItem = 0;
  let finalPass = false;
  const known = opts.seedKnownPlans === false ? [] : [...knownPlans(scenario, space, batches, opts), ...(space === 'tiered' ? (opts.knownPlans ?? []) : [])];
  for (const k of known) {
    if (!batches.includes(k.globalBatch)) continue;
    const s = scenarioAt(k.globalBatch);
    const plan = { ...k.plan, name, algorithm: name };
    consider(s, plan, evaluate(s, plan), k.source, 'heuristic-incumbent');
  }
  progress(`exact: best known plan ${best ? `${best.evaluation.throughputSamplesPerSec.toPrecision(6)} samples/s (${best.source})` : 'none'}`, { incumbent: best?.evaluation.throughputSamplesPerSec ?? null });

  let cuts = space === 'tablewise' ? null : initialCuts(scenario, opts.maxBuckets ?? 8);
  const itemCache = new Map<number, Bucket[]>();
  const itemsAt = (s: Scenario) => {
    const B = s.training.globalBatch;
    let it = itemCache.get(B);
    if (!it) itemCache.set(B, (it = cuts ? bucketsFromCuts(s, cuts) : (opts.bucketCache?.tables(s) ?? tableItems(s))));
    return it;
  };
  // the last bucketed solve of each choice (the best plan's choice's is reported: objective, bound, model)
  const solved = new Map<Choice, OneSolve>();
  let capacityError: InfeasibleError | undefined;
  let bestSolvedTp = 0;
  let stoppedByTime = false;
  const bracket = () => {
    const ceilings = choices.map(ceilingOf);
    const bestTp = best?.evaluation.throughputSamplesPerSec ?? null;
    const bound = ceilings.some((c) => c === null) ? null : Math.max(0, ...(ceilings as number[]));
    return { ceilings, bestTp, bound, width: bound !== null && bestTp ? Math.max(0, bound - bestTp) / bestTp : null };
  };

  // A choice is open while its ceiling can beat the best plan's throughput `tp` (the primal step solves it), and
  // needs a bound while its ceiling is not within the target of `tp` (the certificate step bounds it); the
  // round estimate counts the same two sets.
  const isOpen = (c: Choice, tp: number) => !c.infeasible && (ceilingOf(c) === null || ceilingOf(c)! > tp * (1 + 1e-9));
  const needsBound = (c: Choice, tp: number) => !c.infeasible && (ceilingOf(c) === null || tp <= 0 || ceilingOf(c)! > tp * (1 + target));

  let roundStartMs = performance.now();
  // relaxations and certificates run this round (one per choice and step): the next round's estimate scales by it
  let workThisRound = 0;
  for (;;) {
    // 1. Primal: the bucketed model of the choices that can still beat the best plan, most promising first.
    const bestTp = best?.evaluation.throughputSamplesPerSec ?? 0;
    const open = choices
      .filter((c) => isOpen(c, bestTp))
      .sort((a, b) => (ceilingOf(b) ?? Infinity) - (ceilingOf(a) ?? Infinity));
    // first round: every open choice (as the bucketed search always did); later rounds: the loosest two, while
    // the bucketed search has produced the best plan (primalWon), else none.
    // All are relaxed first, then settled in order of their bucketed LP ceiling, each skipped when that
    // ceiling proves its bucketed model cannot beat the best plan so far.
    const relaxedList: Array<{ c: Choice; r: Relaxed; ceiling: number }> = [];
    // Refinement rounds solve the bucketed model to a tenth of the target width (unless --gap says otherwise):
    // a tighter bucketed proof cannot narrow the row-level bracket by more than that, and GLPK's branch and
    // bound at 1e-5 on a refined model can run for minutes.
    const roundOpts: ExactOptions = rounds > 0 && opts.relativeGap === undefined ? { ...opts, relativeGap: Math.max(EXACT_RELATIVE_GAP, target / 10) } : opts;
    const primalNow = rounds === 0 && !finalPass ? open : !best || primalWon || finalPass ? open.slice(0, 2) : [];
    const primalT0 = performance.now();
    for (const c of primalNow) {
      if (late()) {
        stoppedByTime = true;
        break;
      }
      let r: Relaxed;
      const step = `exact round ${rounds}: LP relaxations at batch ${c.B}${c.coalesce ? '' : ', uncoalesced'}`;
      progress(step);
      try {
        // the relaxation's own steps (pattern LPs, polishing) as heartbeats under this step's name
        const stepOpts: ExactOptions = opts.onProgress ? { ...roundOpts, onProgress: (p) => progress(`${step}: ${p.stage}`) } : roundOpts;
        workThisRound++;
        r = await relaxOne(c.s, space, c.coalesce, itemsAt(c.s), stepOpts, false, deadline);
      } catch (e) {
        if (!(e instanceof InfeasibleError)) throw e;
        c.infeasible = true;
        capacityError ??= e; // checkCapacity: names the short resource
        continue;
      }
      if (r.patterns.every((p) => p.infeasible)) continue; // the certificate settles whether it is infeasible
      relaxedList.push({ c, r, ceiling: r.lpBound !== null && r.lpBound > 0 ? c.B / (r.lpBound * TIME_UNIT_SEC) : Infinity });
    }
    relaxedList.sort((a, b) => b.ceiling - a.ceiling);
    for (const { c, r, ceiling } of relaxedList) {
      // the bucketed LP bound prunes the bucketed search (not the row-level bound: that is the lower model's)
      // (against plans of the bucketed search: a known plan can beat the bucketed model at row level)
      if (bestSolvedTp > 0 && ceiling <= bestSolvedTp * (1 + 1e-12)) continue;
      // and no point of it could be laid out (LAYOUT_MARGIN: its bucketed throughput is at most this ceiling), so
      // settling it could only return the best plan again (gen-T500-W64: 3.8 s of branch and bound, round 0)
      if (best && ceiling <= best.evaluation.throughputSamplesPerSec * (1 - LAYOUT_MARGIN)) continue;
      // Past the deadline a choice is settled only while no plan is known at all: settling lays the plan out at
      // row level and evaluates it (11 s on 1000 tables x 128 GPUs), which would overrun the limit for a plan
      // that a known one already bounds from below.
      if (late() && (r.incumbent === undefined || best !== undefined)) {
        stoppedByTime = true;
        continue;
      }
      const items = r.items;
      // a stage of its own: seeding, settling and laying out take seconds on 128 GPUs
      const settleStep = `exact round ${rounds}: settling batch ${c.B}${c.coalesce ? '' : ', uncoalesced'}`;
      progress(settleStep);
      const seeds: Incumbent[] = [];
      if (best && space === 'tiered') {
        const counts = countsFromPlan(c.s, items, best.plan);
        const pt = pointOf(c.s, items, counts, c.coalesce);
        if (pt.fits) seeds.push({ counts, objective: pt.objective, method: 'heuristic-incumbent', plan: { ...best.plan, coalesce: c.coalesce } });
      }
      const settleOpts: ExactOptions = opts.onProgress ? { ...roundOpts, onProgress: (p) => progress(`${settleStep}: ${p.stage}`, { incumbent: p.incumbent, bound: p.bound, gap: p.gap }) } : roundOpts;
      // lay out only a point whose bucketed throughput is within LAYOUT_MARGIN of the best plan's or above it
      const layoutBelowUs = best ? c.B / (best.evaluation.throughputSamplesPerSec * (1 - LAYOUT_MARGIN)) / TIME_UNIT_SEC : undefined;
      const one = await settle(r, settleOpts, seeds, layoutBelowUs);
      if (!one) continue;
      solved.set(c, one);
      if (one.evaluation.feasible) bestSolvedTp = Math.max(bestSolvedTp, one.evaluation.throughputSamplesPerSec);
      consider(c.s, one.plan, one.evaluation, one.method === 'heuristic-incumbent' ? (best?.source ?? 'heuristic') : `exact round ${rounds}`, one.method);
    }
    if (primalNow.length) {
      primalRanAt = itemsAt(choices[0]!.s).length;
      primalSecPerItem = (performance.now() - primalT0) / 1e3 / Math.max(1, primalRanAt);
    }
    if (!certifyOn || finalPass) break;

    // 2. Bound: every choice whose ceiling is not yet within the target of the best plan.
    for (const c of choices) {
      const tp = best?.evaluation.throughputSamplesPerSec ?? 0;
      if (!needsBound(c, tp)) continue;
      if (late() && c.lower) {
        stoppedByTime = true;
        continue; // keep the bound it has; a choice without one still gets the aggregate relaxation
      }
      let b: ChoiceBound;
      progress(`exact round ${rounds}: certified bound at batch ${c.B}${c.coalesce ? '' : ', uncoalesced'}`);
      try {
        // a pattern whose earlier bound already gives a ceiling within the target of the best plan is kept
        const goalUs = tp > 0 ? c.B / (tp * (1 + target)) / TIME_UNIT_SEC : Infinity;
        workThisRound++;
        b = await lowerBound(c.s, space, c.coalesce, itemsAt(c.s), opts, deadline, { bound: c.lower, goalUs });
      } catch (e) {
        if (!(e instanceof InfeasibleError)) throw e;
        capacityError ??= e;
        c.infeasible = true;
        continue;
      }
      if (b.infeasible) c.infeasible = true;
      else if (b.lowerIterationSec !== null && (c.lower?.lowerIterationSec == null || b.lowerIterationSec > c.lower.lowerIterationSec)) c.lower = b;
      else if (!c.lower) c.lower = b;
    }
    const br = bracket();
    progress(`exact round ${rounds}: ${itemCache.values().next().value?.length ?? 0} items, row-level bracket width ${br.width === null ? '?' : `${(br.width * 100).toFixed(3)}%`}`, { incumbent: br.bestTp, bound: br.bound, gap: br.width });
    if (br.width !== null && br.width <= target) {
      // Within the target, the bound is done; when the primal step last ran on coarser buckets (it sat out the
      // refinement rounds, primalWon) one more primal step on the refined buckets may still find a better plan,
      // if its estimate (the last primal step's seconds per item) fits half the time left: the bracket can only
      // narrow (gen-T26-W8: the refined primal's plan had been 0.15% faster than greedy's).
      const itemsNow = itemsAt(choices[0]!.s).length;
      const left = secondsLeft(deadline);
      if (cuts && primalRanAt !== undefined && itemsNow > primalRanAt && (left === undefined || primalSecPerItem * itemsNow <= 0.5 * left)) {
        finalPass = true;
        continue;
      }
      break;
    }
    if (late()) {
      stoppedByTime = true;
      break;
    }
    if (rounds >= maxRounds || !cuts) break;
    // 3. Refine at the choice whose bound is loosest (the highest ceiling), with the best plan's class boundaries.
    const loosest = [...choices].filter((c) => !c.infeasible).sort((a, b) => (ceilingOf(b) ?? Infinity) - (ceilingOf(a) ?? Infinity))[0];
    if (!loosest) break;
    const lastItems = itemsAt(loosest.s).length;
    // A round costs about in proportion to its items (LPs, rounding, layout, evaluate) and to the choices it
    // relaxes and certifies (round 0 relaxes every choice, later rounds the loosest two, and certify only
    // those not yet within the target). Under a time limit the next round gets the new cuts it can afford in
    // ROUND_TIME_SHARE of the time left, and a round that cannot finish is not started: a round cut off by the
    // deadline leaves the bracket where it was and only overruns the limit (gen-T500-W64: round 2, 5x the
    // items of round 1, ran 26 s past a 60 s limit; with the default 4x growth, 8 initial buckets per table
    // stopped after round 0 at a 53% bracket with 37 s of 60 left).
    const left = secondsLeft(deadline);
    const tpNow = best?.evaluation.throughputSamplesPerSec ?? 0;
    const openNext = choices.filter((c) => isOpen(c, tpNow)).length;
    const certifyNext = choices.filter((c) => needsBound(c, tpNow)).length;
    const workNext = (!best || primalWon ? Math.min(2, openNext) : 0) + certifyNext;
    const roundSec = (performance.now() - roundStartMs) / 1e3;
    const budget = nextRoundBudget({ secondsLeft: left, lastRoundSec: roundSec, lastItems, workNext, workLast: workThisRound });
    if (!budget.start) {
      stoppedByTime = true;
      progress(`exact round ${rounds + 1} not started: ${left!.toFixed(1)} s left affords ${Math.max(0, budget.affordableItems)} more buckets (a round of ${lastItems} took ${roundSec.toFixed(1)} s)`);
      break;
    }
    const next = refineCuts(loosest.s, cuts, itemsAt(loosest.s), best?.plan, loosest.coalesce, budget.maxNewCuts === undefined ? {} : { maxNewCuts: budget.maxNewCuts });
    if (!next) break;
    // (refineCuts adds at most maxNewCuts, so the round's estimate, seconds per item times its items, stays within
    // ROUND_TIME_SHARE of the time left: no second check is needed)
    cuts = next;
    itemCache.clear();
    rounds++;
    roundStartMs = performance.now();
    workThisRound = 0;
  }

  if (!best && opts.seedKnownPlans === false)
    // nothing from the bucketed search (a time limit): the known plans after all, rather than no plan
    for (const k of knownPlans(scenario, space, batches, opts)) {
      const s = scenarioAt(k.globalBatch);
      const plan = { ...k.plan, name, algorithm: name };
      consider(s, plan, evaluate(s, plan), k.source, 'heuristic-incumbent');
    }
  if (!best) {
    if (capacityError && choices.every((c) => c.infeasible)) throw capacityError;
    if (choices.every((c) => c.infeasible)) throw new InfeasibleError(`no placement fits the memory of the GPUs and the host (${space} plan space)`);
    throw new InfeasibleError(`no placement found${deadline !== Infinity ? ' within the time limit' : ''}, and the heuristics found none that fits (${space} plan space)`);
  }
  const br = bracket();
  if (br.bound !== null && br.bound < best.evaluation.throughputSamplesPerSec * (1 - 1e-6))
    throw new Error(`internal: the certified row-level bound ${br.bound} is below an evaluated plan's throughput ${best.evaluation.throughputSamplesPerSec}`);
  const bound = br.bound === null ? null : Math.max(br.bound, best.evaluation.throughputSamplesPerSec);
  const width = bound === null ? null : (bound - best.evaluation.throughputSamplesPerSec) / best.evaluation.throughputSamplesPerSec;
  const rlStatus: RowLevelBracket['status'] = width !== null && width <= target ? 'optimal' : stoppedByTime || (deadline !== Infinity && late()) ? 'timelimit' : 'feasible';
  const finalItems = itemsAt(best.s);
  const rowLevel: RowLevelBracket = {
    throughputSamplesPerSec: best.evaluation.throughputSamplesPerSec,
    boundSamplesPerSec: bound,
    relativeWidth: width,
    status: rlStatus,
    targetWidth: target,
    rounds,
    items: finalItems.length,
    planSource: best.source,
    choices: choices.map((c, i) => ({ globalBatch: c.B, coalesce: c.coalesce, ceilingSamplesPerSec: br.ceilings[i]! })),
  };

  // The bucketed numbers of the returned plan, on the items of its batch (countsFromPlan: a point of that model).
  const choice = choices.find((c) => c.B === best!.s.training.globalBatch && c.coalesce === best!.coalesce);
  const one = choice ? solved.get(choice) : undefined;
  const counts = countsFromPlan(best.s, finalItems, best.plan);
  const objective = space === 'tablewise' ? (one?.result.objective ?? null) : pointOf(best.s, finalItems, counts, best.coalesce).objective;
  const sameChoice = one !== undefined && one.items === finalItems;
  const bestBound = sameChoice && one.result.bestBound !== null && objective !== null ? Math.min(one.result.bestBound, objective) : null;
  const lower = choice?.lower?.lowerIterationSec ?? null;
  const upperSec = best.evaluation.iterationSec;
  const lowerClamped = lower === null ? null : Math.min(lower, upperSec);
  const interval: BucketInterval | null = certifyOn
    ? {
        lowerIterationSec: lowerClamped,
        upperIterationSec: upperSec,
        throughputLowerSamplesPerSec: best.s.training.globalBatch / upperSec,
        throughputUpperSamplesPerSec: lowerClamped !== null && lowerClamped > 0 ? best.s.training.globalBatch / lowerClamped : null,
        relativeWidth: lowerClamped !== null && lowerClamped > 0 ? (upperSec - lowerClamped) / lowerClamped : null,
        lowerModelStatus: choice?.lower?.status ?? 'no bound',
        lowerBoundMethod: choice?.lower?.method ?? 'lower-model-lp-relaxation',
      }
    : null;
  const solver = opts.solver ?? 'glpk';
  const status = certifyOn ? rlStatus : (one?.result.status ?? (deadline !== Infinity ? 'timelimit' : 'feasible'));
  return {
    plan: best.plan,
    evaluation: best.evaluation,
    // exact means the row-level bracket is within the target; without the certificate, the bucketed solve's status
    status,
    objective,
    objectiveUnit: 'us',
    bestBound,
    gap: objective !== null && bestBound !== null ? relativeGap(objective, bestBound) : null,
    boundSource: bestBound === null ? 'none' : (one?.result.boundSource ?? 'none'),
    solver,
    solveSeconds: one?.result.solveSeconds ?? 0,
    method: best.method,
    relativeGapTolerance: opts.relativeGap ?? EXACT_RELATIVE_GAP,
    totalSeconds: (performance.now() - t0) / 1e3,
    globalBatch: best.s.training.globalBatch,
    coalesce: best.coalesce,
    space,
    bucketsPerTableMax: cuts ? Math.max(...cuts.map((c) => c.length - 1)) : 1,
    items: finalItems.length,
    interval,
    rowLevel,
    bucketed: one
      ? {
          status: one.result.status,
          objective: one.result.objective,
          bestBound: one.result.bestBound,
          gap: one.result.objective !== null && one.result.bestBound !== null ? relativeGap(one.result.objective, one.result.bestBound) : null,
          items: one.items.length,
          bucketsPerTableMax: maxItemsPerTable(one.items),
        }
      : null,
    model: one?.model ?? ({ name: 'none', sense: 'minimize', objective: { terms: [] }, variables: [], constraints: [] } as Model),
    batchSearch: batches.map((B) => {
      const cs = choices.filter((c) => c.B === B);
      const tp = perBatch.get(B) ?? null;
      const ceil = cs.map((c) => ceilingOf(c));
      const status = cs.every((c) => c.infeasible)
        ? 'infeasible'
        : best!.s.training.globalBatch === B
          ? 'best'
          : ceil.every((x) => x !== null && x <= best!.evaluation.throughputSamplesPerSec * (1 + target))
            ? 'bounded below the best plan'
            : 'open';
      return { globalBatch: B, throughputSamplesPerSec: tp, status };
    }),
  };
}

/** The most buckets any one table has among `items`. */
function maxItemsPerTable(items: readonly Bucket[]): number {
  const per = new Map<number, number>();
  for (const it of items) per.set(it.table, (per.get(it.table) ?? 0) + 1);
  return Math.max(1, ...per.values());
}

/** The solver's version string (reported beside the result). */
export const exactSolverVersion = solverVersion;
