/**
 * One entry point for every backend: solve(model, options) -> SolveResult.
 *
 * The backends answer in their own terms (backends/*.ts); this file turns that into honest statuses:
 * - "infeasible or unbounded" (GLPK's undefined status, HiGHS's presolve answer) and a MIP said to be
 *   unbounded are settled by a phase-1 solve (same constraints, zero objective): no feasible point means
 *   infeasible; a feasible point plus an unbounded relaxation means unbounded (rational data);
 * - where a backend reports no bound, the LP relaxation is solved and its optimum is the bound
 *   (proofs/mip-bounds.md), combined with any bound the backend implies, keeping the tighter;
 * - the gap is recomputed from objective and bound the same way for every backend.
 */
import { BackendError } from '../errors.js';
import { feasibilityModel, isMip, lpRelaxation, maxViolation, objectiveValue, validateModel, type Model } from './model.js';
import { DEFAULT_RELATIVE_GAP, relativeGap, tighterBound, type SolveOptions, type SolveResult, type SolverName } from './result.js';
import type { Backend, BackendOptions, BackendOutcome } from './backends/types.js';
import { glpkBackend } from './backends/glpk.js';
import { highsBackend } from './backends/highs.js';
import { jslpBackend } from './backends/jslp.js';
import { solveInWorker } from './worker-client.js';

export const BACKENDS: Record<SolverName, Backend> = { glpk: glpkBackend, highs: highsBackend, jslp: jslpBackend };

export async function solverVersion(solver: SolverName): Promise<string> {
  return BACKENDS[solver].version();
}

/** Solve a model. In-process unless `worker: true`. Never throws for an infeasible or unbounded model. */
export async function solve(model: Model, options: SolveOptions = {}): Promise<SolveResult> {
  validateModel(model);
  if (options.worker) return solveInWorker(model, options);
  return solveInProcess(model, options);
}

export async function solveInProcess(model: Model, options: SolveOptions = {}): Promise<SolveResult> {
  const solver = options.solver ?? 'glpk';
  const backend = BACKENDS[solver];
  if (!backend) throw new BackendError(`unknown solver "${String(solver)}" (use glpk, highs or jslp)`);
  const timeLimitSec = options.timeLimitSec ?? Number.POSITIVE_INFINITY;
  const gapTol = options.relativeGap ?? DEFAULT_RELATIVE_GAP;
  // loading the WebAssembly runtime (once per process) is not solve time
  const version = await backend.version();
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1e3;
  const remaining = () => Math.max(timeLimitSec - elapsed(), 0.01);
  const finish = (o: BackendOutcome, message = o.message): SolveResult => {
    const status = o.status === 'infeasible-or-unbounded' ? 'error' : o.status;
    const hasSolution = o.objective !== null && Number.isFinite(o.objective);
    return {
      status,
      objective: hasSolution ? o.objective : null,
      values: hasSolution ? o.values : {},
      bestBound: o.bestBound !== null && Number.isFinite(o.bestBound) ? o.bestBound : null,
      boundSource: o.bestBound !== null && Number.isFinite(o.bestBound) ? o.boundSource : 'none',
      gap: hasSolution ? relativeGap(o.objective, o.bestBound) : null,
      solveSeconds: elapsed(),
      solver,
      solverVersion: version,
      ...(message ? { message } : {}),
    };
  };

  if (model.variables.length === 0) return finish(trivialOutcome(model));

  const start = options.start && backend.acceptsStart && isMip(model) ? await completeStart(backend, model, options.start, Math.max(0.01, remaining())) : undefined;
  const opts: BackendOptions = { timeLimitSec: Math.max(0.01, remaining()), relativeGap: gapTol, onLog: options.onLog, onProgress: options.onProgress, ...(start ? { start } : {}) };
  let out: BackendOutcome;
  try {
    out = await backend.solve(model, opts);
  } catch (e) {
    return finish({ status: 'error', objective: null, values: {}, bestBound: null, boundSource: 'none', message: `${solver} failed: ${(e as Error).message}` });
  }

  // An objective whose every term is bounded in its improving direction by the variable bounds cannot be
  // unbounded: such an answer is a numerical failure of the backend (seen: GLPK on badly scaled LPs).
  if (out.status === 'unbounded' && objectiveBoundedByBounds(model))
    return finish({ ...out, status: 'error', message: `${solver} reported unbounded, but the variable bounds bound the objective: a numerical failure` });

  // Settle "infeasible or unbounded", and double-check a MIP that a backend calls unbounded.
  if (out.status === 'infeasible-or-unbounded' || (out.status === 'unbounded' && isMip(model))) {
    const phase1 = await backend.solve(feasibilityModel(model), { ...opts, timeLimitSec: remaining(), onProgress: undefined, start: undefined });
    // a zero objective cannot be unbounded, so "infeasible or unbounded" on phase 1 means infeasible
    if (phase1.status === 'infeasible' || phase1.status === 'infeasible-or-unbounded') return finish({ status: 'infeasible', objective: null, values: {}, bestBound: null, boundSource: 'none' });
    if (phase1.status === 'optimal' || phase1.status === 'feasible') return finish({ status: 'unbounded', objective: null, values: {}, bestBound: null, boundSource: 'none' });
    return finish({ ...out, status: 'error', message: `${solver} could not tell infeasible from unbounded (phase 1: ${phase1.status})` });
  }

  // A bound for a solution that has none from the solver: the LP relaxation (it needs no integrality).
  if ((out.status === 'optimal' || out.status === 'feasible' || out.status === 'timelimit') && out.boundSource !== 'solver' && isMip(model) && options.relaxationBound !== false) {
    const relax = await backend.solve(lpRelaxation(model), { ...opts, timeLimitSec: Number.isFinite(timeLimitSec) ? Math.max(remaining(), 1) : timeLimitSec, onLog: undefined, onProgress: undefined, start: undefined });
    if (relax.status === 'optimal' && relax.objective !== null) {
      const lpBound = relax.objective;
      if (out.bestBound === null) out = { ...out, bestBound: lpBound, boundSource: 'lp-relaxation' };
      else if (tighterBound(model.sense, out.bestBound, lpBound) === lpBound && lpBound !== out.bestBound) out = { ...out, bestBound: lpBound, boundSource: 'lp-relaxation' };
    }
  }

  // Defence in depth: a returned solution must satisfy the model; the objective is recomputed from it.
  if (out.objective !== null && Object.keys(out.values).length > 0) {
    const violation = maxViolation(model, out.values);
    const scale = 1 + Math.max(...model.variables.map((v) => Math.abs(out.values[v.name] ?? 0)));
    if (violation > 1e-5 * scale) return finish({ ...out, status: 'error', message: `${solver} returned a solution violating the model by ${violation.toExponential(2)}` });
    out = { ...out, objective: objectiveValue(model, out.values) };
  }
  return finish(out);
}

/**
 * A full MIP start from values of the integer variables: the LP with those variables fixed gives the
 * continuous ones (HiGHS reads unspecified columns of a partial start in its own way; a complete, feasible
 * vector is taken as it is). Undefined when the fixed LP has no optimum (the start is then dropped).
 */
async function completeStart(backend: Backend, model: Model, partial: Record<string, number>, timeLimitSec: number): Promise<Record<string, number> | undefined> {
  const fixed: Model = {
    ...model,
    name: `${model.name}_start`,
    variables: model.variables.map((v) => {
      const x = partial[v.name];
      if (v.type === 'continuous' || x === undefined) return { ...v, type: 'continuous' };
      const r = Math.round(x);
      return { ...v, type: 'continuous', lower: r, upper: r };
    }),
  };
  if (model.variables.some((v) => v.type !== 'continuous' && partial[v.name] === undefined)) return undefined;
  const r = await backend.solve(fixed, { timeLimitSec, relativeGap: 0 });
  return r.status === 'optimal' && r.objective !== null ? r.values : undefined;
}

/** A model without variables: the objective is its constant, feasible iff every row holds for 0. */
/** True when the bounds of the objective's variables bound it in the optimising direction. */
export function objectiveBoundedByBounds(model: Model): boolean {
  const bounds = new Map(model.variables.map((v) => [v.name, v]));
  const minimise = model.sense === 'minimize';
  return model.objective.terms.every((t) => {
    const v = bounds.get(t.var);
    if (!v || t.coef === 0) return true;
    // minimising c x needs x bounded below when c > 0 and above when c < 0 (and the mirror for maximising)
    const needLower = (t.coef > 0) === minimise;
    const binary = v.type === 'binary';
    return binary || (needLower ? v.lower !== null : v.upper !== null);
  });
}

function trivialOutcome(model: Model): BackendOutcome {
  const ok = maxViolation(model, {}) <= 0;
  const z = model.objective.constant ?? 0;
  return ok
    ? { status: 'optimal', objective: z, values: {}, bestBound: z, boundSource: 'solver' }
    : { status: 'infeasible', objective: null, values: {}, bestBound: null, boundSource: 'none' };
}
