import {
  addRangeLoads,
  combineTerms,
  emptyLoads,
  iterationTerms,
  type Loads,
  type RangeSums,
} from '../model/loads.js';
import type { Scenario } from '../model/scenario.js';
import type { PlanRange } from '../model/schema.js';
import type { CheckedPlan } from '../model/plan.js';
import type { Bucket } from './buckets.js';

/**
 * Placement classes of a row: replicated (index -1 in `classIndex` order), sharded to GPU g, host.
 * A row's class list is, in rank order within a bucket: replicated, gpu 0..W-1, host (DESIGN §4: a plan
 * places a bucket's rows hottest first).
 */
export type PlaceClass = { at: 'replicated' } | { at: 'gpu'; gpu: number } | { at: 'host' };

/** Class order used everywhere: 0 = replicated, 1..W = gpu 0..W-1, W+1 = host. */
export function classList(W: number): PlaceClass[] {
  return [{ at: 'replicated' }, ...Array.from({ length: W }, (_, g) => ({ at: 'gpu' as const, gpu: g })), { at: 'host' }];
}
export { addScaledLoads } from '../model/loads.js';

export const REP = 0;
export const gpuClass = (g: number) => 1 + g;
export const hostClass = (W: number) => W + 1;

/**
 * Loads of `units` units of an item in one class: straight from addRangeLoads (the one cost function).
 * A unit is one row of a bucket (scale 1/n) or, for table-wise items, the whole table (scale 1).
 */
export function unitLoads(scenario: Scenario, item: Bucket, cls: PlaceClass, coalesce: boolean, perRow: boolean, sums: RangeSums = item.sums): Loads {
  const loads = emptyLoads(scenario.gpus.length);
  addRangeLoads(
    loads,
    scenario,
    scenario.tables[item.table]!,
    cls.at,
    cls.at === 'gpu' ? cls.gpu : undefined,
    sums,
    coalesce,
    perRow ? 1 / item.rows : 1,
  );
  return loads;
}

/** Makespan (seconds) of aggregated loads: evaluate's own iterationTerms and combineTerms. */
export function makespanSec(scenario: Scenario, loads: Loads, coalesce: boolean): number {
  const terms = iterationTerms(scenario, loads, coalesce);
  let worst = 0;
  for (const t of terms) worst = Math.max(worst, combineTerms(t, scenario.training.overlap));
  return worst;
}

/**
 * Row counts per item and class -> a plan. Within a bucket rows go in rank order, hottest first:
 * replicated, then gpu 0..W-1, then host. Adjacent ranges of the same class are merged.
 */
export function plansFromCounts(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, name: string, extra: Record<string, unknown> = {}): CheckedPlan {
  const W = scenario.gpus.length;
  const classes = classList(W);
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) tables[t.name] = [];
  items.forEach((item, i) => {
    const table = scenario.tables[item.table]!;
    const list = tables[table.name]!;
    let at = item.from;
    const row = counts[i]!;
    const total = row.reduce((s, x) => s + x, 0);
    if (total !== item.rows) throw new Error(`internal: item ${i} of table ${table.name} has ${total} rows placed, expected ${item.rows}`);
    classes.forEach((cls, c) => {
      const n = row[c]!;
      if (n <= 0) return;
      const range: PlanRange = cls.at === 'gpu' ? { from: at, to: at + n, at: 'gpu', gpu: cls.gpu } : { from: at, to: at + n, at: cls.at };
      const last = list[list.length - 1];
      if (last && last.at === range.at && last.gpu === range.gpu && last.to === range.from) last.to = range.to;
      else list.push(range);
      at += n;
    });
  });
  return { name, algorithm: name, coalesce, tables, ...extra };
}

/** Aggregate loads and class row counts of integer counts on items (the bucketed model's evaluate). */
export function bucketedLoads(scenario: Scenario, items: Bucket[], counts: number[][], coalesce: boolean, lower = false): Loads {
  const W = scenario.gpus.length;
  const classes = classList(W);
  const loads = emptyLoads(W);
  items.forEach((item, i) => {
    classes.forEach((cls, c) => {
      const n = counts[i]![c]!;
      if (n > 0) {
        addRangeLoads(loads, scenario, scenario.tables[item.table]!, cls.at, cls.at === 'gpu' ? cls.gpu : undefined, lower ? item.lowerSums : item.sums, coalesce, n / item.rows);
      }
    });
  });
  fixRowCounters(loads, items, counts, W);
  return loads;
}

/** Exact integer class counters (floating sums of n * (1/n) may leave 1e-16 residues that would turn latencies on). */
export function fixRowCounters(loads: Loads, items: Bucket[], counts: number[][], W: number): void {
  let rep = 0;
  let sh = 0;
  let host = 0;
  counts.forEach((row, i) => {
    void items[i];
    rep += row[REP]!;
    for (let g = 0; g < W; g++) sh += row[gpuClass(g)]!;
    host += row[hostClass(W)]!;
  });
  if (W === 1) {
    loads.rowsReplicated = rep + sh;
    loads.rowsSharded = 0;
  } else {
    loads.rowsReplicated = rep;
    loads.rowsSharded = sh;
  }
  loads.rowsHost = host;
}
