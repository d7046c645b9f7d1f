/**
 * From an exported placement model to a plan and back: the variable map (`scarec export` writes it beside the
 * model) names, for every placement variable, its table, rank bucket and class. It is built from the
 * PlacementModel's own items and `varOf`, not from variable-name patterns, so it follows whatever
 * formulation `exactModel` builds; every other column (latency indicators, makespan, aggregates) is auxiliary
 * and only counted.
 */
import { InputError } from '../errors.js';
import { columnOrder } from '../mip/solution-read.js';
import type { CheckedPlan } from '../model/plan.js';
import { checkPlan } from '../model/plan.js';
import { withGlobalBatch, type Scenario } from '../model/scenario.js';
import { itemsFor, layoutPlan } from './exact/index.js';
import type { ModelMap, PlanRange } from '../model/schema.js';
import { classList } from './classes.js';
import type { PlacementModel } from './mipModel.js';

export function modelMapOf(scenario: Scenario, pm: PlacementModel, format: 'lp' | 'mps', text: string, bucketsPerTableMax: number): ModelMap {
  const classes = classList(scenario.gpus.length);
  const placement: ModelMap['placement'] = [];
  pm.items.forEach((item, i) => {
    const table = scenario.tables[item.table]!;
    classes.forEach((cls, c) => {
      const v = pm.varOf(i, c);
      if (v === undefined) return;
      placement.push({ var: v, table: table.name, from: item.from, to: item.from + item.rows, ...cls, rowsPerUnit: pm.rowsPerUnit(i) });
    });
  });
  return {
    kind: 'scarec-model-map',
    version: 1,
    scenario: scenario.name,
    tables: scenario.tables.map((t) => ({ name: t.name, rows: t.rows })),
    gpus: scenario.gpus.length,
    model: pm.model.name,
    format,
    space: pm.space,
    coalesce: pm.coalesce,
    bucketsPerTableMax,
    batch: scenario.training.globalBatch,
    sense: pm.model.sense,
    objectiveUnit: 'us',
    columns: columnOrder(text, format, pm.model.variables.map((v) => v.name)),
    placement,
  };
}

/** A map must describe this scenario's tables and GPUs (else the solution places other rows). */
export function checkMapAgainst(map: ModelMap, scenario: Scenario, file: string): void {
  const here = new Map(scenario.tables.map((t) => [t.name, t.rows]));
  if (map.gpus !== scenario.gpus.length) throw new InputError(`the model was exported for ${map.gpus} GPUs, the scenario has ${scenario.gpus.length}`, `${file}: gpus`);
  if (map.tables.length !== scenario.tables.length) throw new InputError(`the model was exported for ${map.tables.length} tables, the scenario has ${scenario.tables.length}`, `${file}: tables`);
  map.tables.forEach((t, i) => {
    const rows = here.get(t.name);
    if (rows === undefined) throw new InputError(`table "${t.name}" is not in scenario "${scenario.name}"`, `${file}: tables[${i}]`);
    if (rows !== t.rows) throw new InputError(`table "${t.name}" has ${t.rows} rows in the map, ${rows} in the scenario`, `${file}: tables[${i}].rows`);
  });
}

/**
 * Row counts per bucket and class from solver values (rounded to whole units; a binary stands for its whole
 * range), laid out in rank order within each bucket (replicated, then GPU 0..W-1, then host: the order of
 * plansFromCounts). A bucket whose rows do not add up (beyond rounding, absorbed by the host class) means the
 * solution is not of this model: an input error naming the bucket.
 */
export function planFromSolution(scenario: Scenario, map: ModelMap, values: Record<string, number>, file = 'solution'): CheckedPlan {
  const W = scenario.gpus.length;
  type Bucket = { table: string; from: number; to: number; counts: number[]; hasHost: boolean };
  const buckets = new Map<string, Bucket>();
  const cls = (e: ModelMap['placement'][number]) => (e.at === 'replicated' ? 0 : e.at === 'gpu' ? 1 + e.gpu! : W + 1);
  for (const e of map.placement) {
    const key = `${e.table}\u0000${e.from}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { table: e.table, from: e.from, to: e.to, counts: new Array<number>(W + 2).fill(0), hasHost: false }));
    if (e.at === 'gpu' && (e.gpu === undefined || e.gpu >= W)) throw new InputError(`GPU ${e.gpu} is out of range (${W} GPUs)`, `map: ${e.var}`);
    const v = values[e.var] ?? 0;
    if (!Number.isFinite(v) || v < -1e-6) throw new InputError(`variable ${e.var} = ${v}: a placement count must be >= 0`, file);
    b.counts[cls(e)]! += Math.max(0, Math.round(v)) * e.rowsPerUnit;
    if (e.at === 'host') b.hasHost = true;
  }
  const sorted = [...buckets.values()].sort((a, b) => (a.table === b.table ? a.from - b.from : a.table < b.table ? -1 : 1));
  for (const b of sorted) {
    const rows = b.to - b.from;
    const hostAt = W + 1;
    const elsewhere = b.counts.reduce((s, x, c) => (c === hostAt ? s : s + x), 0);
    // rounding of a solver's near-integral values can leave a row or two per class: the host absorbs it
    const slack = W + 2;
    const total = elsewhere + b.counts[hostAt]!;
    if (Math.abs(total - rows) > slack || (!b.hasHost && total !== rows) || elsewhere > rows)
      throw new InputError(`ranks [${b.from}, ${b.to}) of table ${b.table} get ${total} rows from the solution, the bucket has ${rows}: not a solution of this model`, file);
    b.counts[hostAt] = rows - elsewhere;
  }
  const at = map.batch === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, map.batch);
  // The same buckets as the export: lay the sharded rows out as exact does (hot chunks dealt across GPUs).
  const items = itemsFor(at, map.space, map.bucketsPerTableMax);
  const same =
    items.length === sorted.length &&
    items.every((it) => {
      const b = buckets.get(`${at.tables[it.table]!.name}\u0000${it.from}`);
      return b !== undefined && b.to === it.from + it.rows;
    });
  if (same) {
    const counts = items.map((it) => buckets.get(`${at.tables[it.table]!.name}\u0000${it.from}`)!.counts);
    const { plan } = layoutPlan(at, items, counts, map.coalesce, 'imported');
    const { tables: laid, ...head } = plan;
    return checkPlan({ ...head, algorithm: 'import-solution', batch: map.batch, tables: laid }, scenario, file);
  }
  // otherwise (buckets of another version) rank order within each bucket
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) tables[t.name] = [];
  for (const b of sorted) {
    const hostAt = W + 1;
    const list = tables[b.table]!;
    let at = b.from;
    b.counts.forEach((n, c) => {
      if (n <= 0) return;
      const range: PlanRange = c === 0 ? { from: at, to: at + n, at: 'replicated' } : c === hostAt ? { from: at, to: at + n, at: 'host' } : { from: at, to: at + n, at: 'gpu', gpu: c - 1 };
      const last = list[list.length - 1];
      if (last && last.at === range.at && last.gpu === range.gpu && last.to === range.from) last.to = range.to;
      else list.push(range);
      at += n;
    });
  }
  return checkPlan({ name: 'imported', algorithm: 'import-solution', coalesce: map.coalesce, batch: map.batch, tables }, scenario, file);
}
