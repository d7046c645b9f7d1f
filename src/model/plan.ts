import { InputError } from '../errors.js';
import { planSchema, type Plan, type PlanRange } from './schema.js';
import { withGlobalBatch, type Scenario } from './scenario.js';
import { parseWithSchema, readJsonFile } from './validate.js';

/** A plan checked against its scenario: every table covered by sorted, contiguous ranges. */
export interface CheckedPlan extends Plan {
  tables: Record<string, PlanRange[]>;
}

/**
 * Validate a parsed plan object against a scenario. Errors name the file, the field path and what is
 * wrong: unknown or missing tables, overlapping ranges, gaps, ranges past the table, GPU out of range.
 */
export function checkPlan(data: unknown, scenario: Scenario, file = 'plan'): CheckedPlan {
  const plan = parseWithSchema(planSchema, data, file);
  const W = scenario.gpus.length;
  const known = new Set(scenario.tables.map((t) => t.name));
  for (const name of Object.keys(plan.tables)) {
    if (!known.has(name))
      throw new InputError(`table "${name}" is not in scenario "${scenario.name}"`, `${file}: tables.${name}`);
  }
  const tables: Record<string, PlanRange[]> = {};
  for (const table of scenario.tables) {
    const ranges = plan.tables[table.name];
    if (!ranges) throw new InputError(`no ranges for table "${table.name}"`, `${file}: tables.${table.name}`);
    const order = ranges.map((r, i) => ({ r, i })).sort((a, b) => a.r.from - b.r.from);
    let next = 0;
    for (const { r, i } of order) {
      const where = `${file}: tables.${table.name}[${i}]`;
      if (r.to <= r.from) throw new InputError(`"to" (${r.to}) must be greater than "from" (${r.from})`, where);
      if (r.from < next) throw new InputError(`range [${r.from}, ${r.to}) overlaps the range before it (which ends at ${next})`, where);
      if (r.from > next) throw new InputError(`gap: ranks [${next}, ${r.from}) are not placed`, where);
      if (r.to > table.rows) throw new InputError(`"to" (${r.to}) is past the table's ${table.rows} rows`, `${where}.to`);
      if (r.at === 'gpu') {
        if (r.gpu === undefined) throw new InputError('"at": "gpu" needs a "gpu" index', `${where}.gpu`);
        if (r.gpu >= W) throw new InputError(`GPU ${r.gpu} is out of range (the scenario has ${W} GPUs: 0..${W - 1})`, `${where}.gpu`);
      } else if (r.gpu !== undefined) {
        throw new InputError(`"gpu" is only allowed with "at": "gpu" (this range is "${r.at}")`, `${where}.gpu`);
      }
      next = r.to;
    }
    if (next < table.rows) throw new InputError(`gap: ranks [${next}, ${table.rows}) are not placed`, `${file}: tables.${table.name}`);
    tables[table.name] = order.map((o) => o.r);
  }
  return { ...plan, tables };
}

/** Read a plan file: one plan, or a JSON array of plans. */
export function loadPlans(file: string, scenario: Scenario): { plans: CheckedPlan[]; isArray: boolean } {
  const data = readJsonFile(file, 'plan file');
  if (Array.isArray(data)) {
    if (data.length === 0) throw new InputError('the array of plans is empty', file);
    return { plans: data.map((d, i) => checkPlan(d, scenario, `${file}: [${i}]`)), isArray: true };
  }
  return { plans: [checkPlan(data, scenario, file)], isArray: false };
}

/** A plan with every table in one class (the host baselines and simple tests). */
export function uniformPlan(scenario: Scenario, at: 'host' | 'replicated', coalesce = true, name?: string): CheckedPlan {
  const tables: Record<string, PlanRange[]> = {};
  for (const t of scenario.tables) tables[t.name] = [{ from: 0, to: t.rows, at }];
  return { name, coalesce, tables };
}

/** Where the batch a plan is costed at came from: a pinned `--batch`, the plan's own record, or the scenario. */
export type BatchSource = 'pinned' | 'plan' | 'scenario';

/**
 * The scenario at the batch a plan is costed at: a pinned batch wins, then the batch the plan records (the one
 * it was made for), then the scenario's own. evaluate(planScenario(...).scenario, plan) is the number `plan`
 * printed for a plan file it wrote.
 */
export function planScenario(scenario: Scenario, plan: Pick<CheckedPlan, 'batch'>, pinnedBatch?: number): { scenario: Scenario; batch: number; batchSource: BatchSource } {
  const batch = pinnedBatch ?? plan.batch ?? scenario.training.globalBatch;
  const batchSource: BatchSource = pinnedBatch !== undefined ? 'pinned' : plan.batch !== undefined ? 'plan' : 'scenario';
  return { scenario: batch === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, batch), batch, batchSource };
}
