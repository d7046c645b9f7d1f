/**
 * HiGHS backend (highs 1.15.3, HiGHS compiled to WebAssembly) through its persistent model API:
 * create a native instance, pass the model as sparse rows, set options, run, read the model status and the
 * info values `mip_dual_bound` / `objective_function_value`, then dispose the instance (always, in finally).
 * A run stopped by a limit is never reported as optimal.
 */
import highsLoader, { type Highs, type ModelData } from 'highs';
import { combineLinearTerms, effectiveBounds, isMip, type Model } from '../model.js';
import type { Backend, BackendOptions, BackendOutcome } from './types.js';

let runtime: Promise<Highs> | null = null;

/** One runtime per process (the MPS reader shares it): loading compiles 3.5 MB of WebAssembly; models are created and disposed per solve. */
export function loadHighs(): Promise<Highs> {
  runtime ??= highsLoader({});
  return runtime;
}

export function toHighsModel(h: Highs, model: Model): ModelData {
  const col = new Map<string, number>();
  model.variables.forEach((v, j) => col.set(v.name, j));
  const n = model.variables.length;
  const colCost = new Float64Array(n);
  for (const t of combineLinearTerms(model.objective.terms)) colCost[col.get(t.var)!] += t.coef;
  const colLower = new Float64Array(n);
  const colUpper = new Float64Array(n);
  const integrality = new Int32Array(n);
  // HiGHS integrality codes: 0 continuous, 1 integer, 2 semi-continuous, 3 semi-integer (native)
  const code = { continuous: 0, integer: 1, binary: 1, semicontinuous: 2, semiinteger: 3 } as const;
  model.variables.forEach((v, j) => {
    const b = effectiveBounds(v);
    colLower[j] = b.lower ?? -Infinity;
    colUpper[j] = b.upper ?? Infinity;
    integrality[j] = code[v.type];
  });
  const m = model.constraints.length;
  const rowLower = new Float64Array(m);
  const rowUpper = new Float64Array(m);
  const starts = new Int32Array(m + 1);
  const indices: number[] = [];
  const values: number[] = [];
  model.constraints.forEach((c, i) => {
    rowLower[i] = c.sense === '<=' ? -Infinity : c.rhs;
    rowUpper[i] = c.sense === '>=' ? Infinity : c.rhs;
    for (const t of combineLinearTerms(c.terms)) {
      indices.push(col.get(t.var)!);
      values.push(t.coef);
    }
    starts[i + 1] = indices.length;
  });
  return {
    numCols: n,
    numRows: m,
    sense: model.sense === 'minimize' ? h.constants.objectiveSense.minimize : h.constants.objectiveSense.maximize,
    offset: model.objective.constant ?? 0,
    colCost,
    colLower,
    colUpper,
    rowLower,
    rowUpper,
    matrix: { format: 'csr', numRows: m, numCols: n, starts, indices: Int32Array.from(indices), values: Float64Array.from(values) },
    ...(isMip(model) ? { integrality } : {}),
    colNames: model.variables.map((v) => v.name),
    rowNames: model.constraints.map((c) => c.name),
  };
}

/** A run still going at HARD_LIMIT_FACTOR x its time limit + HARD_LIMIT_GRACE_MS is interrupted. */
const HARD_LIMIT_FACTOR = 1.05;
const HARD_LIMIT_GRACE_MS = 250;

export async function highsVersion(): Promise<string> {
  const h = await loadHighs();
  return `HiGHS ${h.version.string} (highs-js 1.15.3)`;
}

export const highsBackend: Backend = {
  name: 'highs',
  maxVariables: Number.POSITIVE_INFINITY,
  acceptsStart: true,
  honoursTimeLimit: true,
  nativeSemi: true,
  version: highsVersion,
  async solve(model: Model, opts: BackendOptions): Promise<BackendOutcome> {
    const h = await loadHighs();
    const hm = h.createModel();
    try {
      hm.passModel(toHighsModel(h, model));
      if (opts.start && isMip(model)) {
        // A (partial) MIP start: HiGHS checks it and, when it is feasible, starts from it as its incumbent.
        const indices: number[] = [];
        const values: number[] = [];
        model.variables.forEach((v, j) => {
          const x = opts.start![v.name];
          if (x !== undefined && Number.isFinite(x)) {
            indices.push(j);
            values.push(x);
          }
        });
        if (indices.length) hm.setSolution({ indices: Int32Array.from(indices), values: Float64Array.from(values) });
      }
      hm.options.set({
        // HiGHS calls its MIP logging callback (progress) only with output on; log_to_console keeps it off stdout
        output_flag: opts.onLog !== undefined || opts.onProgress !== undefined,
        log_to_console: false,
        mip_rel_gap: opts.relativeGap,
        ...(Number.isFinite(opts.timeLimitSec) ? { time_limit: Math.max(opts.timeLimitSec, 0.001) } : {}),
      });
      const cb = h.constants.callbackType;
      const t0 = performance.now();
      // HiGHS checks its time limit between phases; some phases (root cut separation on badly scaled rows was
      // seen to run 40 s past a 10 s limit) check it rarely. Its interrupt checkpoints stop such a run once the
      // limit has passed; the answer is then reported as stopped by the time limit.
      const limited = Number.isFinite(opts.timeLimitSec);
      const hardStopMs = limited ? t0 + opts.timeLimitSec * 1e3 * HARD_LIMIT_FACTOR + HARD_LIMIT_GRACE_MS : Infinity;
      let stoppedByUs = false;
      const interrupt = (e: { interrupt(): void }): undefined => {
        if (performance.now() > hardStopMs) {
          stoppedByUs = true;
          e.interrupt();
        }
        return undefined;
      };
      const { modelStatus: rawStatus } = hm.run({
        ...(limited ? { [cb.mipInterrupt]: interrupt, [cb.simplexInterrupt]: interrupt, [cb.ipmInterrupt]: interrupt } : {}),
        ...(opts.onLog
          ? {
              [cb.logging]: (e) => {
                for (const line of e.message.replace(/\n$/, '').split('\n')) opts.onLog!(line);
              },
            }
          : {}),
        ...(opts.onProgress
          ? {
              [cb.mipLogging]: (e) => {
                const d = e.data;
                const fin = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);
                opts.onProgress!({ elapsedSec: (performance.now() - t0) / 1e3, incumbent: fin(d.mip_primal_bound), bound: fin(d.mip_dual_bound), gap: fin(d.mip_gap) });
              },
            }
          : {}),
      });
      const S = h.constants.modelStatus;
      const modelStatus = stoppedByUs && rawStatus === S.interrupted ? S.timeLimit : rawStatus;
      const mip = isMip(model);
      const hasPrimal = Number(hm.info.get('primal_solution_status')) === h.constants.solutionStatus.feasible;
      const solution = (): Pick<BackendOutcome, 'objective' | 'values'> => {
        if (!hasPrimal) return { objective: null, values: {} };
        const x = hm.getSolution().colValue;
        const values: Record<string, number> = {};
        model.variables.forEach((v, j) => (values[v.name] = x[j]!));
        return { objective: hm.getObjectiveValue(), values };
      };
      const dualBound = (): number | null => {
        if (!mip) return null;
        const b = Number(hm.info.get('mip_dual_bound'));
        return Number.isFinite(b) ? b : null;
      };
      const none = { objective: null, values: {}, bestBound: null, boundSource: 'none' as const };
      switch (modelStatus) {
        case S.optimal: {
          const s = solution();
          // an LP's optimal value is its own bound (strong duality); a MIP's is the proven dual bound
          const bound = mip ? dualBound() : s.objective;
          return { status: 'optimal', ...s, bestBound: bound, boundSource: bound === null ? 'none' : 'solver' };
        }
        case S.infeasible:
          return { status: 'infeasible', ...none };
        case S.unbounded:
          return { status: 'unbounded', ...none };
        case S.unboundedOrInfeasible:
          return { status: 'infeasible-or-unbounded', ...none, message: 'HiGHS: primal infeasible or unbounded' };
        case S.timeLimit: {
          const s = solution();
          const b = dualBound();
          return { status: 'timelimit', ...s, bestBound: b, boundSource: b === null ? 'none' : 'solver', message: 'HiGHS stopped at the time limit' };
        }
        case S.iterationLimit:
        case S.solutionLimit:
        case S.interrupted:
        case S.objectiveBound:
        case S.objectiveTarget: {
          const s = solution();
          const b = dualBound();
          const why = Object.entries(S).find(([, v]) => v === modelStatus)?.[0] ?? String(modelStatus);
          return { status: s.objective === null ? 'error' : 'feasible', ...s, bestBound: b, boundSource: b === null ? 'none' : 'solver', message: `HiGHS stopped early (${why})` };
        }
        case S.empty: {
          const z = model.objective.constant ?? 0;
          return { status: 'optimal', objective: z, values: {}, bestBound: z, boundSource: 'solver' };
        }
        default: {
          const why = Object.entries(S).find(([, v]) => v === modelStatus)?.[0] ?? String(modelStatus);
          return { status: 'error', ...none, message: `HiGHS model status ${why}` };
        }
      }
    } finally {
      hm.dispose();
    }
  },
};
