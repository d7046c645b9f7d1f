/**
 * javascript-lp-solver backend: a pure-JavaScript simplex with branch and cut, for small models only, as a
 * third, independent opinion in tests. Variables are renamed (v0, v1, ...) because the solver's result
 * object mixes variable values with its own keys (feasible, result, bounded); upper bounds become rows
 * because the solver only knows non-negative variables.
 */
import solver from 'javascript-lp-solver';
import { effectiveBounds, isIntegerType, isSemiType, type Model } from '../model.js';
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

/**
 * How a model variable maps onto the solver's non-negative variables: x = shift + p (finite lower bound)
 * or x = p - n (no lower bound). The solver's own `unrestricted` option returns wrong optima (min x with
 * -1 <= x <= 0 gives 0 in 1.0.3), so it is not used.
 */
interface Mapping {
  shift: number;
  p: string;
  n: string | null;
}

export function toJslpModel(model: Model, opts: Pick<BackendOptions, 'timeLimitSec'>): { m: JslpModel; maps: Mapping[]; constant: number } {
  const m: JslpModel = { optimize: OBJ, opType: model.sense === 'minimize' ? 'min' : 'max', constraints: {}, variables: {}, ints: {}, unrestricted: {}, options: {} };
  const index = new Map(model.variables.map((v, j) => [v.name, j]));
  const rhsShift = new Map<string, number>();
  let constant = model.objective.constant ?? 0;
  const maps: Mapping[] = model.variables.map((v, j) => {
    if (isSemiType(v.type)) throw new Error(`jslp takes no semi-continuous columns ("${v.name}"; reformulate them first)`);
    const int = isIntegerType(v.type);
    const { lower: lo, upper: up } = effectiveBounds(v);
    const p = `p${j}`;
    m.variables[p] = { [OBJ]: 0 };
    if (int) m.ints[p] = 1;
    if (lo !== null) {
      if (up !== null) {
        m.constraints[`ub${j}`] = { max: up - lo };
        m.variables[p]![`ub${j}`] = 1;
      }
      return { shift: lo, p, n: null };
    }
    const n = `n${j}`;
    m.variables[n] = { [OBJ]: 0 };
    if (int) m.ints[n] = 1;
    if (up !== null) {
      m.constraints[`ub${j}`] = { max: up };
      m.variables[p]![`ub${j}`] = 1;
      m.variables[n]![`ub${j}`] = -1;
    }
    return { shift: 0, p, n };
  });
  const addCoef = (j: number, row: string, coef: number) => {
    const mp = maps[j]!;
    m.variables[mp.p]![row] = (m.variables[mp.p]![row] ?? 0) + coef;
    if (mp.n) m.variables[mp.n]![row] = (m.variables[mp.n]![row] ?? 0) - coef;
    return coef * mp.shift;
  };
  for (const t of model.objective.terms) constant += addCoef(index.get(t.var)!, OBJ, t.coef);
  model.constraints.forEach((c, i) => {
    const r = `r${i}`;
    let shift = 0;
    for (const t of c.terms) shift += addCoef(index.get(t.var)!, r, t.coef);
    rhsShift.set(r, shift);
    const rhs = c.rhs - shift;
    m.constraints[r] = c.sense === '<=' ? { max: rhs } : c.sense === '>=' ? { min: rhs } : { equal: rhs };
  });
  if (Number.isFinite(opts.timeLimitSec)) m.options.timeout = Math.max(1, Math.round(opts.timeLimitSec * 1e3));
  // no `tolerance`: jslp solves small models to optimality, so its answer is its own bound
  return { m, maps, constant };
}

export const jslpBackend: Backend = {
  name: 'jslp',
  maxVariables: 2000,
  acceptsStart: false,
  honoursTimeLimit: false,
  nativeSemi: false,
  async version() {
    return 'javascript-lp-solver 1.0.3';
  },
  async solve(model: Model, opts: BackendOptions): Promise<BackendOutcome> {
    const { m, maps, constant } = toJslpModel(model, opts);
    const t0 = performance.now();
    const r = solver.Solve(m as never) as Record<string, number | boolean>;
    const elapsedSec = (performance.now() - t0) / 1e3;
    const none = { objective: null, values: {}, bestBound: null, boundSource: 'none' as const };
    if (r.feasible === false) return { status: 'infeasible', ...none };
    if (r.bounded === false) return { status: 'unbounded', ...none };
    const values: Record<string, number> = {};
    const val = (k: string | null) => (k !== null && typeof r[k] === 'number' ? (r[k] as number) : 0);
    model.variables.forEach((v, j) => {
      const mp = maps[j]!;
      values[v.name] = mp.shift + val(mp.p) - val(mp.n);
    });
    const objective = (r.result as number) + constant;
    if (Number.isFinite(opts.timeLimitSec) && elapsedSec >= opts.timeLimitSec * 0.999) {
      return { status: 'timelimit', objective, values, bestBound: null, boundSource: 'none', message: 'jslp stopped at the time limit' };
    }
    // a completed simplex (LP) or branch and bound (MIP) proves its answer
    return { status: 'optimal', objective, values, bestBound: objective, boundSource: 'solver' };
  },
};
