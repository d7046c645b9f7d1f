/**
 * Layout: a row-level plan from bucket counts (which rows of a bucket go to which GPU), costed by evaluate
 * (the one cost function). Any layout of the same counts is a point of the same bucketed objective; the
 * evaluated plan is what the row-level bracket's lower end is (proofs/bucket-certificate.md).
 */
import { addRangeLoads, emptyLoads, resourceSeconds } from '../../model/loads.js';
import { evaluate, expectedRangeSums, type Evaluation } from '../../model/evaluate.js';
import type { CheckedPlan } from '../../model/plan.js';
import type { PlanRange } from '../../model/schema.js';
import type { Scenario } from '../../model/scenario.js';
import type { Bucket } from '../buckets.js';
import { gpuClass, hostClass, plansFromCounts, REP } from '../classes.js';
import { rowWeights } from './incumbent.js';

/**
 * A row-level plan with the given counts per item and class. The bucketed model charges every row of a bucket
 * the bucket's mean; laying a bucket's rows out in rank order (replicated, gpu 0..W-1, host: plansFromCounts)
 * gives the hottest sharded rows to gpu 0 and, with coarse buckets, unbalances the GPUs at row level. So the
 * sharded rows of each bucket are cut into one contiguous chunk per GPU, and chunks are dealt hottest first to
 * the GPUs with the least load so far (items hottest first: longest processing time first). Each GPU keeps its
 * count, so memory is what the model checked. The better of this and the rank-order layout by `evaluate` is
 * returned (past the deadline, the rank-order layout alone). Any layout of the same counts is a plan of the
 * same bucketed objective; the interval's upper end is the evaluated plan (proofs/bucket-certificate.md).
 */
export function layoutPlan(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, name: string, opts: { balance?: boolean } = {}): { plan: CheckedPlan; evaluation: Evaluation } {
  const W = scenario.gpus.length;
  const H = hostClass(W);
  const rankOrder = () => {
    const plan = plansFromCounts(scenario, items, counts, coalesce, name);
    return { plan, evaluation: evaluate(scenario, plan) };
  };
  // `balance: false` (a call past its deadline): the rank-order layout alone, one evaluate instead of the
  // chunk heats and two (on gen-T500-W64 at 11,950 items the balanced layout took 55 s past a 60 s limit)
  if (W === 1 || opts.balance === false) return rankOrder();
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

