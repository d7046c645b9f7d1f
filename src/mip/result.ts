/** Result and option types shared by every backend, plus the gap definition. */

export type SolverName = 'glpk' | 'highs' | 'jslp';
export const SOLVERS: readonly SolverName[] = ['glpk', 'highs', 'jslp'];

/**
 * - optimal: optimality proven within the requested relative gap (default 1e-6);
 * - feasible: a solution, optimality not proven (stopped early by something other than the time limit);
 * - infeasible / unbounded: proven (ambiguous solver answers are resolved by a phase-1 solve);
 * - timelimit: the time limit stopped the solve; `objective`/`values` hold the best incumbent if one was found;
 * - error: the backend failed (see `message`).
 */
export type SolveStatus = 'optimal' | 'feasible' | 'infeasible' | 'unbounded' | 'timelimit' | 'error';

/**
 * Where `bestBound` comes from:
 * - solver: the backend's own proven bound (HiGHS MIP dual bound; an LP's optimal value; a completed branch and bound);
 * - gap-tolerance: implied by the backend stopping because its own gap met the tolerance (GLPK reports no bound);
 * - lp-relaxation: the optimum of the LP relaxation, solved separately;
 * - none: no bound is known.
 */
export type BoundSource = 'solver' | 'gap-tolerance' | 'lp-relaxation' | 'none';

export interface SolveResult {
  status: SolveStatus;
  /** objective of the returned solution (with the constant); null when there is none */
  objective: number | null;
  /** variable values of the returned solution; empty when there is none */
  values: Record<string, number>;
  /** proven bound on the optimum: a lower bound when minimising, an upper bound when maximising */
  bestBound: number | null;
  boundSource: BoundSource;
  /** |objective - bestBound| / max(|objective|, 1e-9); 0 when they agree to 1e-9 relative; null without both */
  gap: number | null;
  solveSeconds: number;
  solver: SolverName;
  solverVersion: string;
  message?: string;
}

/**
 * Progress of a MIP solve, as far as the backend reports it (HiGHS's MIP logging callback, GLPK's
 * branch-and-bound log lines): the incumbent and the bound with the objective's constant, and the gap
 * computed from them by relativeGap, as the result's is.
 */
export interface SolveProgress {
  elapsedSec: number;
  incumbent: number | null;
  bound: number | null;
  gap: number | null;
}

export interface SolveOptions {
  solver?: SolverName;
  /** wall-clock limit of the whole solve, seconds */
  timeLimitSec?: number;
  /** relative MIP gap at which a solve may stop as optimal; default 1e-6 */
  relativeGap?: number;
  /** solver log lines (without trailing newline) */
  onLog?: (line: string) => void;
  onProgress?: (p: SolveProgress) => void;
  /**
   * A MIP start: values of some or all variables of a feasible point (HiGHS uses it as its first incumbent
   * after checking it; GLPK, through glpk.js, takes none and ignores it). A start never changes what is
   * proven: the bound still comes from the solver.
   */
  start?: Record<string, number>;
  /**
   * When the backend reports no bound for a stopped MIP (GLPK), solve the LP relaxation for one (default
   * true). Callers that already hold a proven bound turn it off to keep the time limit.
   */
  relaxationBound?: boolean;
  /**
   * Worker solves only: wall-clock seconds after which the worker is terminated and the solve reports
   * 'timelimit' with no solution and no bound (default, under a time limit: 1.25 x timeLimitSec + 2 s). A
   * backend that checks its clock rarely (HiGHS in root cut separation) cannot overstay it.
   */
  hardLimitSec?: number;
  /**
   * Ask a second backend before reporting infeasible or unbounded (default true): the answer is final only
   * when both agree; otherwise the status is 'error' (they disagree) or 'timelimit' (not confirmed in time).
   */
  secondOpinion?: boolean;
  /**
   * run in a worker thread: the event loop stays free and `signal` can cancel the solve. Default: a worker
   * when `onProgress` is set on a MIP (a progress bar must keep drawing), in-process otherwise.
   */
  worker?: boolean;
  /** cancels a worker solve (the promise rejects with the signal's reason); ignored in-process */
  signal?: AbortSignal;
}

export const DEFAULT_RELATIVE_GAP = 1e-6;

export function relativeGap(objective: number | null, bound: number | null): number | null {
  if (objective === null || bound === null || !Number.isFinite(objective) || !Number.isFinite(bound)) return null;
  const diff = Math.abs(objective - bound);
  const scale = Math.max(Math.abs(objective), 1e-9);
  if (diff <= 1e-9 * Math.max(1, Math.abs(objective))) return 0;
  return diff / scale;
}

/** The tighter of two bounds for a given sense (larger lower bound when minimising, smaller upper bound when maximising). */
export function tighterBound(sense: 'minimize' | 'maximize', a: number, b: number): number {
  return sense === 'minimize' ? Math.max(a, b) : Math.min(a, b);
}
