/**
 * javascript-lp-solver backend: a pure-JavaScript simplex with branch and cut, for small models only, as a
 * third, independent opinion in tests. Variables are renamed (v0, v1, ...) because the solver's result
 * object mixes variable values with its own keys (feasible, result, bounded); bounds become rows because
 * the solver only knows non-negative or unrestricted variables.
 */
import solver from 'javascript-lp-solver';
import type { Model } from '../model.js';
import type { Backend, BackendOptions, BackendOutcome } from './types.js';

interface JslpModel {
  optimize: string;
  opType: 'max' | 'min';
  constraints: Record<string, { max?: number; min?: number; equal?: number }>;
  variables: Record<string, Record<string, number>>;
  ints: Record<string, 1>;
  unrestricted: Record<string, 1>;
  options: { timeout?: number; tolerance?: number };
}

const OBJ = '__objective';

export function toJslpModel(model: Model, opts: Pick<BackendOptions, 'timeLimitSec'>): { m: JslpModel; names: string[] } {
  const names = model.variables.map((v) => v.name);
  const id = new Map(names.map((n, j) => [n, `v${j}`]));
  const m: JslpModel = { optimize: OBJ, opType: model.sense === 'minimize' ? 'min' : 'max', constraints: {}, variables: {}, ints: {}, unrestricted: {}, options: {} };
  model.variables.forEach((v, j) => {
    const k = `v${j}`;
    m.variables[k] = { [OBJ]: 0 };
    const lo = v.type === 'binary' ? Math.max(v.lower ?? 0, 0) : v.lower;
    const up = v.type === 'binary' ? Math.min(v.upper ?? 1, 1) : v.upper;
    if (lo === null || lo < 0) m.unrestricted[k] = 1;
    if (lo !== null && lo !== 0) {
      m.constraints[`lb${j}`] = { min: lo };
      m.variables[k]![`lb${j}`] = 1;
    }
    if (up !== null) {
      m.constraints[`ub${j}`] = { max: up };
      m.variables[k]![`ub${j}`] = 1;
    }
    if (v.type !== 'continuous') m.ints[k] = 1;
  });
  for (const t of model.objective.terms) m.variables[id.get(t.var)!]![OBJ] += t.coef;
  model.constraints.forEach((c, i) => {
    const r = `r${i}`;
    m.constraints[r] = c.sense === '<=' ? { max: c.rhs } : c.sense === '>=' ? { min: c.rhs } : { equal: c.rhs };
    for (const t of c.terms) {
      const col = m.variables[id.get(t.var)!]!;
      col[r] = (col[r] ?? 0) + t.coef;
    }
  });
  if (Number.isFinite(opts.timeLimitSec)) m.options.timeout = Math.max(1, Math.round(opts.timeLimitSec * 1e3));
  // no `tolerance`: jslp solves small models to optimality, so its answer is its own bound
  return { m, names };
}

export const jslpBackend: Backend = {
  name: 'jslp',
  maxVariables: 2000,
  async version() {
    return 'javascript-lp-solver 1.0.3';
  },
  async solve(model: Model, opts: BackendOptions): Promise<BackendOutcome> {
    const { m, names } = toJslpModel(model, opts);
    const t0 = performance.now();
    const r = solver.Solve(m as never) as Record<string, number | boolean>;
    const elapsedSec = (performance.now() - t0) / 1e3;
    const none = { objective: null, values: {}, bestBound: null, boundSource: 'none' as const };
    if (r.feasible === false) return { status: 'infeasible', ...none };
    if (r.bounded === false) return { status: 'unbounded', ...none };
    const values: Record<string, number> = {};
    names.forEach((n, j) => (values[n] = typeof r[`v${j}`] === 'number' ? (r[`v${j}`] as number) : 0));
    const objective = (r.result as number) + (model.objective.constant ?? 0);
    if (Number.isFinite(opts.timeLimitSec) && elapsedSec >= opts.timeLimitSec * 0.999) {
      return { status: 'timelimit', objective, values, bestBound: null, boundSource: 'none', message: 'jslp stopped at the time limit' };
    }
    // a completed simplex (LP) or branch and bound (MIP) proves its answer
    return { status: 'optimal', objective, values, bestBound: objective, boundSource: 'solver' };
  },
};
