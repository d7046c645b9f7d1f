/**
 * Refine: adaptive bucket boundaries (proofs/placement-refinement.md §3). The certificate's lower model
 * charges every row of a bucket its coldest row's probability; splitting a bucket can only raise that
 * bound (each part's coldest row is at least as hot) and lets the primal model separate rows that should
 * be placed apart. Buckets are split (1) at every rank where the best plan changes class inside a bucket,
 * so the plan becomes a point of the refined model, and (2) where the lower model is loosest: the buckets
 * whose rows, all on one GPU or all on the host, would cost the most more seconds at their mean than at
 * their coldest row; those are cut at their geometric midpoint rank.
 */
import type { CheckedPlan } from '../../model/plan.js';
import { resourceSeconds, type ResourceSeconds } from '../../model/loads.js';
import type { Scenario } from '../../model/scenario.js';
import { bucketBoundaries, type Bucket } from '../buckets.js';
import { unitLoads } from '../classes.js';

/** Initial boundaries: the geometric buckets of `bucketBoundaries` (at most maxBuckets per table). */
export function initialCuts(scenario: Scenario, maxBuckets: number): number[][] {
  return scenario.tables.map((t) => bucketBoundaries(t, maxBuckets));
}

const totalSec = (r: ResourceSeconds) => {
  let s = r.allReduceSec + r.hostDramSec;
  for (const a of [r.gatherSec, r.hostLinkSec, r.allToAllInSec, r.allToAllOutSec]) for (const x of a) s += x;
  return s;
};

/**
 * Seconds by which the lower model under-charges a bucket if all its rows sit in one class (one GPU, or the
 * host): the largest over those two classes of (mean sums - coldest-row sums), by resourceSeconds.
 */
export function bucketSlackSec(scenario: Scenario, item: Bucket, coalesce: boolean): number {
  let worst = 0;
  for (const cls of [{ at: 'gpu' as const, gpu: 0 }, { at: 'host' as const }]) {
    const up = totalSec(resourceSeconds(scenario, unitLoads(scenario, item, cls, coalesce, false, item.sums)));
    const lo = totalSec(resourceSeconds(scenario, unitLoads(scenario, item, cls, coalesce, false, item.lowerSums)));
    worst = Math.max(worst, up - lo);
  }
  return worst;
}

/** Ranks inside (from, to) of a table where the plan changes class or GPU. */
function planCuts(plan: CheckedPlan, table: string): number[] {
  const ranges = plan.tables[table] ?? [];
  return ranges.slice(1).map((r) => r.from);
}

export interface RefineOptions {
  /**
   * split at most this many buckets for slack per round (default: as many as the items, at least 16, so slack
   * alone at most doubles the model). A round's cost grows about linearly with its items, so a round that grows
   * the model more reaches the same items in less work: with a quarter of the items (before 2026-12-04)
   * gen-T500-W64 reached 0.970% in 54.9 s and gen-T1000-W128 2.52% in 102 s (then no round fitted); with all of
   * them 0.876% in 52.6 s and 1.80% in 117.6 s; gen-T26-W8, gen-T100-W16 and Criteo Terabyte equal or narrower.
   */
  maxSlackSplits?: number;
  /**
   * at most this many new cuts per round (default: four times the items, at least 256, so a round at most about
   * quintuples the model; a cap of one times the items slowed Criteo Terabyte's bracket from 0.19% to 0.79%).
   * On 1000 tables x 128 GPUs the best plan's class boundaries alone were 248,000 cuts: one round went from 2765
   * to 250,826 items, and GLPK's LP of that size ran minutes past its limit.
   */
  maxNewCuts?: number;
}

/**
 * New boundaries, or null when nothing is left to split (every bucket one row, or of equal probabilities).
 * `items` are the buckets of the current cuts at the choice whose bound is loosest.
 */
export function refineCuts(scenario: Scenario, cuts: number[][], items: Bucket[], plan: CheckedPlan | undefined, coalesce: boolean, opts: RefineOptions = {}): number[][] | null {
  const next = cuts.map((c) => new Set(c));
  const budget = opts.maxNewCuts ?? Math.max(256, 4 * items.length);
  let added = 0;
  const add = (t: number, r: number) => {
    const s = next[t]!;
    if (added < budget && !s.has(r)) {
      s.add(r);
      added++;
    }
  };
  const splittable = items.filter((it) => it.rows > 1 && scenario.tables[it.table]!.distribution.probability(it.from) !== scenario.tables[it.table]!.distribution.probability(it.to - 1));
  const scored = splittable.map((it) => ({ it, slack: bucketSlackSec(scenario, it, coalesce) })).sort((a, b) => b.slack - a.slack);
  // (1) class boundaries of the best plan inside a bucket, the loosest buckets' first when they exceed the budget
  if (plan) {
    const inside = new Map<Bucket, number[]>();
    const byTable = new Map<number, Bucket[]>();
    for (const it of items) {
      const list = byTable.get(it.table);
      if (list) list.push(it);
      else byTable.set(it.table, [it]);
    }
    for (const t of scenario.tables) {
      const buckets = byTable.get(t.index) ?? [];
      for (const r of planCuts(plan, t.name)) {
        if (!(r > 0 && r < t.rows) || next[t.index]!.has(r)) continue;
        const b = buckets.find((it) => it.from < r && r < it.to);
        if (b) {
          const list = inside.get(b);
          if (list) list.push(r);
          else inside.set(b, [r]);
        }
        else add(t.index, r); // at no bucket's interior (a boundary already): nothing to rank
      }
    }
    const slackOf = new Map(scored.map((x) => [x.it, x.slack]));
    for (const [b, rs] of [...inside].sort((x, y) => (slackOf.get(y[0]) ?? 0) - (slackOf.get(x[0]) ?? 0))) for (const r of rs) add(b.table, r);
  }
  // (2) the loosest buckets of the lower model, halved in log-rank
  const total = scored.reduce((a, x) => a + x.slack, 0);
  const cap = opts.maxSlackSplits ?? Math.max(16, items.length);
  let covered = 0;
  for (const { it, slack } of scored.slice(0, cap)) {
    if (total > 0 && covered >= 0.9 * total) break;
    covered += slack;
    const mid = Math.min(it.to - 1, Math.max(it.from + 1, Math.round(Math.sqrt(Math.max(it.from, 0.5) * it.to))));
    add(it.table, mid);
  }
  if (added === 0) return null;
  return next.map((s) => [...s].sort((a, b) => a - b));
}

/**
 * Under a time limit, the share of the time left that the next refinement round's estimated cost may take
 * (the estimate is linear in the items; the LPs grow faster than that, but a round's fixed costs do not grow
 * at all: on gen-T500-W64 with HiGHS, round 0 took 24.7 s at 3984 items and round 1 21.0 s at 4283, against 26.5 s
 * estimated). At 0.6 round 1 never started there (32.1 s left); at 0.85 it did and ended at 49.7 s of 60, the
 * bracket 26.6% -> 17.7% (proofs/placement-refinement.md, "Deadline").
 */
export const ROUND_TIME_SHARE = 0.85;

/**
 * How many new cuts the next refinement round may add under a deadline (proofs/placement-refinement.md,
 * "Deadline"). A round costs about in proportion to its items and to its steps (relaxations and certificates):
 * the last round's seconds per item, scaled by the ratio of the next round's steps to the last round's, is the
 * estimate; the next round may use ROUND_TIME_SHARE of the time left, so it adds at most that many items less
 * the ones it has, and never more than max(256, 4 x items). When that leaves fewer than max(16, 5% of the items)
 * new cuts the round does not start. Without a deadline (`secondsLeft` undefined) any number of cuts. Pure.
 */
export function nextRoundBudget(r: { secondsLeft: number | undefined; lastRoundSec: number; lastItems: number; workNext: number; workLast: number }): {
  start: boolean;
  maxNewCuts: number | undefined;
  affordableItems: number;
} {
  if (r.secondsLeft === undefined) return { start: true, maxNewCuts: undefined, affordableItems: Infinity };
  const secPerItem = (r.lastRoundSec / Math.max(1, r.lastItems)) * (r.workNext / Math.max(1, r.workLast));
  const affordableItems = Math.floor((ROUND_TIME_SHARE * r.secondsLeft) / Math.max(secPerItem, 1e-12)) - r.lastItems;
  const maxNewCuts = Math.min(Math.max(256, 4 * r.lastItems), affordableItems);
  return { start: maxNewCuts >= Math.max(16, Math.ceil(0.05 * r.lastItems)), maxNewCuts, affordableItems };
}
