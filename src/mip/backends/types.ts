import type { Model } from '../model.js';
import type { BoundSource, SolveProgress, SolverName } from '../result.js';

/** What a backend reports before the shared post-processing (phase-1, relaxation bound, gap). */
export interface BackendOutcome {
  /** 'infeasible-or-unbounded' when the backend cannot tell which; solve.ts resolves it */
  status: 'optimal' | 'feasible' | 'infeasible' | 'unbounded' | 'infeasible-or-unbounded' | 'timelimit' | 'error';
  objective: number | null;
  values: Record<string, number>;
  bestBound: number | null;
  boundSource: BoundSource;
  message?: string;
}

export interface BackendOptions {
  timeLimitSec: number;
  relativeGap: number;
  onLog?: (line: string) => void;
  onProgress?: (p: SolveProgress) => void;
  /** MIP start (variable name -> value); backends without MIP starts ignore it */
  start?: Record<string, number>;
}

export interface Backend {
  name: SolverName;
  version(): Promise<string>;
  solve(model: Model, opts: BackendOptions): Promise<BackendOutcome>;
  /** largest model (variables) this backend is meant for; jslp is for small models */
  maxVariables: number;
  /** whether `solve` uses BackendOptions.start (a MIP start) */
  acceptsStart: boolean;
  /** whether the backend stops at BackendOptions.timeLimitSec itself; solve() runs one that does not in a worker under the watchdog */
  honoursTimeLimit: boolean;
  /** whether the backend models semi-continuous and semi-integer columns itself (otherwise solve.ts reformulates them) */
  nativeSemi: boolean;
}
