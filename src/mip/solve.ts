/**
 * One entry point for every backend: solve(model, options) -> SolveResult.
 *
 * The backends answer in their own terms (backends/*.ts); this file turns that into honest statuses:
 * - "infeasible or unbounded" (GLPK's undefined status, HiGHS's presolve answer) and a MIP said to be
 *   unbounded are settled by a phase-1 solve (same constraints, zero objective): no feasible point means
 *   infeasible; a feasible point plus an unbounded relaxation means unbounded (rational data);
 * - where a backend reports no bound, the LP relaxation is solved and its optimum is the bound
 *   (proofs/mip-bounds.md), combined with any bound the backend implies, keeping the tighter;
 * - the gap is recomputed from objective and bound the same way for every backend;
 * - an "infeasible" or "unbounded" answer is final only when a second backend agrees (a wrong proof of
 *   infeasibility is the worst answer a solver layer can give; jslp and GLPK were both seen to give one);
 * - what needs no solver is settled here: an integer column whose rounded bounds are empty, a row without
 *   terms that 0 violates (both proven infeasible); rows without terms that 0 satisfies are dropped;
 * - semi-continuous columns go natively to HiGHS and as the binary reformulation (proofs/mip-semi.md) to
 *   the others;
 * - a backend that does not honour the time limit itself (jslp) runs in a worker under the watchdog.
 */
import { BackendError } from '../errors.js';
import { combineLinearTerms, emptyDomain, feasibilityModel, isIntegerType, isMip, lpRelaxation, maxViolation, objectiveValue, reformulateSemi, validateModel, type Model } from './model.js';
import { DEFAULT_RELATIVE_GAP, relativeGap, tighterBound, type SolveOptions, type SolveProgress, type SolveResult, type SolverName } from './result.js';
import type { Backend, BackendOptions, BackendOutcome } from './backends/types.js';
import { glpkBackend } from './backends/glpk.js';
import { highsBackend } from './backends/highs.js';
import { jslpBackend } from './backends/jslp.js';
import { solveInWorker } from './worker-client.js';

export const BACKENDS: Record<SolverName, Backend> = { glpk: glpkBackend, highs: highsBackend, jslp: jslpBackend };

export async function solverVersion(solver: SolverName): Promise<string> {
  return BACKENDS[solver].version();
}

/**
 * Solve a model. In a worker thread with `worker: true`, or by default when `onProgress` is set on a MIP;
 * in-process otherwise (`worker: false` forces it). Never throws for an infeasible or unbounded model.
 */
export async function solve(model: Model, options: SolveOptions = {}): Promise<SolveResult> {
  validateModel(model);
  const backend = BACKENDS[options.solver ?? 'glpk'];
  if (!backend) throw new BackendError(`unknown solver "${String(options.solver)}" (use glpk, highs or jslp)`);
  // refuse a model this backend cannot take (an InputError) here, before a worker would turn it into a backend error
  assertSolvable(model, options.solver ?? 'glpk');
  const limited = options.timeLimitSec !== undefined && Number.isFinite(options.timeLimitSec);
  // A solve whose caller wants progress runs in a worker when it is a MIP (LPs are short): the backends run
  // synchronously, so in-process the caller's event loop (a progress bar's timer) would stand still.
  const wantsWorker = options.worker ?? (options.onProgress !== undefined && isMip(model));
  if (wantsWorker || (limited && !backend.honoursTimeLimit)) return solveInWorker(model, options);
  return solveInProcess(model, options);
}

/** Throws an InputError (naming `where` and the column) when `solver` cannot take the model as it is. */
export function assertSolvable(model: Model, solver: SolverName, where = 'model'): void {
  if (!BACKENDS[solver].nativeSemi) reformulateSemi(model, where);
}

/** Above this relative gap, a GLPK gap stop is followed by an LP-relaxation solve for a tighter bound (proofs/mip-bounds.md §2). */
export const RELAXATION_AFTER_GAP_STOP = 1e-4;

/** Which backend gives the second opinion on a backend's infeasible or unbounded answer. */
export const SECOND_OPINION: Record<SolverName, SolverName> = { glpk: 'highs', highs: 'glpk', jslp: 'highs' };

export async function solveInProcess(input: Model, options: SolveOptions = {}): Promise<SolveResult> {
  const solver = options.solver ?? 'glpk';
  const backend = BACKENDS[solver];
  if (!backend) throw new BackendError(`unknown solver "${String(solver)}" (use glpk, highs or jslp)`);
  const semi = backend.nativeSemi ? { model: input, aux: [] as string[] } : reformulateSemi(input);
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
    const values = { ...o.values };
    for (const z of semi.aux) delete values[z];
    return {
      status,
      objective: hasSolution ? o.objective : null,
      values: hasSolution ? values : {},
      bestBound: o.bestBound !== null && Number.isFinite(o.bestBound) ? o.bestBound : null,
      boundSource: o.bestBound !== null && Number.isFinite(o.bestBound) ? o.boundSource : 'none',
      gap: hasSolution ? relativeGap(o.objective, o.bestBound) : null,
      solveSeconds: elapsed(),
      solver,
      solverVersion: version,
      ...(message ? { message } : {}),
    };
  };

  const none = { objective: null, values: {}, bestBound: null, boundSource: 'none' as const };
  // Settled without a solver: an integer column with no integer within its bounds, a row without terms.
  const empty = emptyDomain(input);
  if (empty) return finish({ status: 'infeasible', ...none, message: `integer variable "${empty.name}" has no integer value within [${empty.lower}, ${empty.upper}]` });
  const termless = semi.model.constraints.filter((c) => combineLinearTerms(c.terms).length === 0);
  const violated = termless.find((c) => (c.sense === '<=' ? 0 > c.rhs : c.sense === '>=' ? 0 < c.rhs : c.rhs !== 0));
  if (violated) return finish({ status: 'infeasible', ...none, message: `row "${violated.name}" has no terms and requires 0 ${violated.sense} ${violated.rhs}` });
  const model: Model = termless.length === 0 ? semi.model : { ...semi.model, constraints: semi.model.constraints.filter((c) => !termless.includes(c)) };

  if (model.variables.length === 0) return finish(trivialOutcome(model));

  const start = options.start && backend.acceptsStart && isMip(model) ? await completeStart(backend, model, options.start, Math.max(0.01, remaining())) : undefined;
  // every backend's progress gap is computed as the result's is (relativeGap), whatever the backend prints
  const onProgress = options.onProgress;
  const progress = onProgress ? (p: SolveProgress) => onProgress({ ...p, gap: relativeGap(p.incumbent, p.bound) }) : undefined;
  const opts: BackendOptions = { timeLimitSec: Math.max(0.01, remaining()), relativeGap: gapTol, onLog: options.onLog, onProgress: progress, ...(start ? { start } : {}) };
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
    if (phase1.status === 'infeasible' || phase1.status === 'infeasible-or-unbounded') out = { status: 'infeasible', ...none };
    else if (phase1.status === 'optimal' || phase1.status === 'feasible') out = { status: 'unbounded', ...none };
    else return finish({ ...out, status: 'error', message: `${solver} could not tell infeasible from unbounded (phase 1: ${phase1.status})` });
  }

  // A second opinion: "infeasible" or "unbounded" is final only when another backend says the same.
  if ((out.status === 'infeasible' || out.status === 'unbounded') && options.secondOpinion !== false) {
    const claim = out.status;
    const other = SECOND_OPINION[solver];
    const limited = Number.isFinite(timeLimitSec);
    let r2: SolveResult;
    try {
      // for an infeasibility claim the other backend only needs a feasible point: the phase-1 model (zero
      // objective) stops at the first one, usually much sooner than a full solve
      r2 = await solveInProcess(claim === 'infeasible' ? feasibilityModel(input) : input, { solver: other, ...(limited ? { timeLimitSec: remaining() } : {}), relativeGap: gapTol, secondOpinion: false, relaxationBound: false });
    } catch (e) {
      return finish({ status: 'error', ...none, message: `${solver} reported ${claim}; the second opinion (${other}) failed: ${(e as Error).message}` });
    }
    if (r2.status === claim) return finish({ ...out, message: `${claim}, confirmed by ${other}` });
    if (r2.objective !== null && claim === 'infeasible')
      return finish({ status: 'error', ...none, message: `${solver} reported infeasible, but ${other} found a feasible point: the infeasibility is not trusted` });
    if (r2.status === 'optimal' || r2.status === 'infeasible' || r2.status === 'unbounded')
      return finish({ status: 'error', ...none, message: `${solver} reported ${claim}, but ${other} says ${r2.status}: not trusted` });
    // the other backend did not finish: the claim is unconfirmed, which is not a final answer
    return finish({ status: limited && elapsed() >= timeLimitSec * 0.99 ? 'timelimit' : 'error', ...none, message: `${solver} reported ${claim}; ${other} could not confirm it (${r2.status}${r2.message ? `: ${r2.message}` : ''})` });
  }

  // A bound for a solution that has none from the solver: the LP relaxation (it needs no integrality).
  // After GLPK's gap stop the bound is within the gap of the objective, so an LP relaxation could improve
  // it by at most gap x |objective|: at gaps <= 1e-4 the extra LP solve (seconds on dcmulti) is skipped.
  const relaxationPays = out.boundSource === 'none' || (out.boundSource === 'gap-tolerance' && gapTol > RELAXATION_AFTER_GAP_STOP);
  if ((out.status === 'optimal' || out.status === 'feasible' || out.status === 'timelimit') && relaxationPays && isMip(model) && options.relaxationBound !== false) {
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
    // a loop, not Math.max(...): a spread of 360k values (1000 tables x 128 GPUs) overflows the call stack
    let largest = 0;
    for (const v of model.variables) largest = Math.max(largest, Math.abs(out.values[v.name] ?? 0));
    const scale = 1 + largest;
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
      if (!isIntegerType(v.type) || x === undefined) return { ...v, type: 'continuous' };
      const r = Math.round(x);
      return { ...v, type: 'continuous', lower: r, upper: r };
    }),
  };
  if (model.variables.some((v) => isIntegerType(v.type) && partial[v.name] === undefined)) return undefined;
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
