/**
 * GLPK backend (glpk.js 5, GLPK compiled to WebAssembly). GLPK reports no MIP bound and folds several
 * outcomes into one status code, so this backend maps them carefully:
 * - GLP_OPT -> optimal (bound = objective: the search completed);
 * - GLP_FEAS -> either the time limit stopped the search, or GLPK's own gap met `mipgap`. The elapsed
 *   time tells them apart conservatively: at or beyond the limit it is `timelimit`, never `optimal`;
 * - GLP_NOFEAS -> infeasible (proven by presolve or search);
 * - GLP_UNDEF -> the time limit hit before any solution, or the problem is infeasible or unbounded
 *   (GLPK's presolver does not say which): solve.ts resolves that with a phase-1 solve;
 * - GLP_UNBND -> unbounded (LP);
 * - GLP_INFEAS -> the LP simplex stopped at the time limit before a feasible basis (an LP run without presolve).
 */
import GLPK from 'glpk.js/node';
import { effectiveBounds, isIntegerType, type Model } from '../model.js';
import type { Backend, BackendOptions, BackendOutcome } from './types.js';

type GlpkApi = Awaited<ReturnType<typeof GLPK>>;
type GlpkLp = Parameters<GlpkApi['solve']>[0];

/** LPs with a row of at least this many terms are solved without GLPK's presolver (see solve). */
export const GLPK_PRESOLVE_MAX_ROW_TERMS = 20_000;

/** One GLPK instance per process; its terminal output goes to whatever sink the running solve installs. */
interface GlpkInstance {
  glpk: GlpkApi;
  sink: { write: ((line: string) => void) | null };
}

let instance: Promise<GlpkInstance> | null = null;

/**
 * GLPK's WebAssembly module binds console.log once, when it is created; we capture that binding so that
 * its output reaches the caller's onLog instead of stdout (the CLI's --json output must stay clean).
 */
function loadGlpk(): Promise<GlpkInstance> {
  instance ??= (async () => {
    const sink: GlpkInstance['sink'] = { write: null };
    const original = console.log;
    console.log = (...args: unknown[]) => sink.write?.(args.map(String).join(' '));
    const captured = console.log;
    try {
      const glpk = await GLPK();
      return { glpk, sink };
    } finally {
      if (console.log === captured) console.log = original;
    }
  })();
  return instance;
}

/**
 * One line of GLPK's branch-and-bound log as progress, or null for any other line. GLPK prints
 * `+  IT: mip = INCUMBENT >= BOUND GAP% (ACTIVE; DONE)` (`<=` when maximising; `>>>>>` in place of `mip =` on
 * a new incumbent) every few seconds and at every new incumbent, with `not found yet` before the first one,
 * `-inf`/`+inf` before a bound and `tree is empty` once the search is complete (the incumbent is then its own
 * bound). GLPK's numbers leave out the objective's constant, which `constant` adds back. The gap is left to
 * the caller (solve.ts computes every backend's the same way).
 */
export function parseGlpkProgress(line: string, constant = 0): { incumbent: number | null; bound: number | null } | null {
  const m = /^\+\s*\d+:\s+(?:mip =|>>>>>)\s+(not found yet|\S+)\s+[<>]=\s+(tree is empty|\S+)/.exec(line);
  if (!m) return null;
  const num = (t: string) => {
    const x = Number(t);
    return Number.isFinite(x) ? x + constant : null;
  };
  const incumbent = m[1] === 'not found yet' ? null : num(m[1]!);
  const bound = m[2] === 'tree is empty' ? incumbent : num(m[2]!);
  return { incumbent, bound };
}

/** Seconds GLPK can take as a time limit (its C int holds milliseconds). */
const MAX_TMLIM_SEC = 2_000_000;

export function toGlpkProblem(g: GlpkApi, model: Model): GlpkLp {
  const rowBnds = (sense: string, rhs: number) =>
    sense === '<=' ? { type: g.GLP_UP, lb: 0, ub: rhs } : sense === '>=' ? { type: g.GLP_LO, lb: rhs, ub: 0 } : { type: g.GLP_FX, lb: rhs, ub: rhs };
  return {
    name: model.name,
    objective: { direction: model.sense === 'minimize' ? g.GLP_MIN : g.GLP_MAX, name: 'obj', vars: model.objective.terms.map((t) => ({ name: t.var, coef: t.coef })) },
    subjectTo: model.constraints.map((c) => ({ name: c.name, vars: c.terms.map((t) => ({ name: t.var, coef: t.coef })), bnds: rowBnds(c.sense, c.rhs) })),
    bounds: model.variables.map((v) => {
      // integer bounds rounded inward: GLPK calls an integer column with a fractional bound infeasible
      const { lower: lo, upper: up } = effectiveBounds(v);
      const type = lo === null && up === null ? g.GLP_FR : up === null ? g.GLP_LO : lo === null ? g.GLP_UP : lo === up ? g.GLP_FX : g.GLP_DB;
      return { name: v.name, type, lb: lo ?? 0, ub: up ?? 0 };
    }),
    // binaries are integers with [0, 1] bounds (set above); glpk.js's "binaries" would reset the bounds
    generals: model.variables.filter((v) => isIntegerType(v.type)).map((v) => v.name),
  };
}

export const glpkBackend: Backend = {
  name: 'glpk',
  maxVariables: Number.POSITIVE_INFINITY,
  acceptsStart: false,
  honoursTimeLimit: true,
  nativeSemi: false,
  async version() {
    return `GLPK ${(await loadGlpk()).glpk.version} (glpk.js 5.0.0)`;
  },
  async solve(model: Model, opts: BackendOptions): Promise<BackendOutcome> {
    const { glpk: g, sink } = await loadGlpk();
    // semi-variables arrive reformulated (solve.ts); one here would be solved as a different model
    if (model.variables.some((v) => v.type === 'semicontinuous' || v.type === 'semiinteger')) return { status: 'error', objective: null, values: {}, bestBound: null, boundSource: 'none', message: 'GLPK takes no semi-continuous columns (reformulate them first)' };
    const problem = toGlpkProblem(g, model);
    const limited = Number.isFinite(opts.timeLimitSec);
    const tmlim = limited ? Math.min(Math.max(opts.timeLimitSec, 0.001), MAX_TMLIM_SEC) : undefined;
    const t0 = performance.now();
    const { onLog, onProgress } = opts;
    const constant = model.objective.constant ?? 0;
    // progress comes from the log's branch-and-bound lines, so a solve with onProgress turns the log on
    sink.write =
      onLog || onProgress
        ? (line: string) => {
            onLog?.(line);
            const p = onProgress ? parseGlpkProgress(line, constant) : null;
            if (p) onProgress!({ elapsedSec: (performance.now() - t0) / 1e3, ...p, gap: null });
          }
        : null;
    // An LP with a row of many terms goes without GLPK's presolver: on such a row it is quadratic and does not
    // look at the time limit (one row of 40,000 columns: 6.5 s presolved, 53 ms not). Other LPs keep it (without
    // it the placement bench's pattern LPs on 100 tables x 16 GPUs ran out of time). MIPs always keep it:
    // glp_intopt without presolve needs an optimal LP basis first, which glpk.js does not make.
    const mip = problem.generals!.length > 0;
    const longestRow = problem.subjectTo.reduce((n, row) => Math.max(n, row.vars.length), 0);
    const presolve = mip || longestRow < GLPK_PRESOLVE_MAX_ROW_TERMS;
    let out;
    try {
      out = g.solve(problem, { msglev: onLog || onProgress ? g.GLP_MSG_ON : g.GLP_MSG_OFF, presol: presolve, mipgap: opts.relativeGap, ...(tmlim !== undefined ? { tmlim } : {}) });
    } finally {
      sink.write = null;
    }
    const elapsedSec = (performance.now() - t0) / 1e3;
    // GLPK stops at its limit after the node in progress; reaching 99.9% of it means the limit acted
    const hitLimit = tmlim !== undefined && elapsedSec >= tmlim * 0.999 - 0.002;
    const r = out.result;
    const withSolution = (): Pick<BackendOutcome, 'objective' | 'values'> => {
      const values: Record<string, number> = {};
      for (const v of model.variables) values[v.name] = r.vars[v.name] ?? 0;
      return { objective: r.z + constant, values };
    };
    const none = { objective: null, values: {}, bestBound: null, boundSource: 'none' as const };
    switch (r.status) {
      case g.GLP_OPT: {
        const s = withSolution();
        return { status: 'optimal', ...s, bestBound: s.objective, boundSource: 'solver' };
      }
      case g.GLP_FEAS: {
        const s = withSolution();
        if (hitLimit || !mip) return { status: 'timelimit', ...s, bestBound: null, boundSource: 'none', message: 'GLPK stopped at the time limit' };
        if (opts.relativeGap > 0) {
          // GLPK stops when |z - bound| / (|z| + eps) <= mipgap, so the bound lies within that distance of z
          const slack = opts.relativeGap * (Math.abs(s.objective!) + Number.EPSILON);
          const bound = model.sense === 'minimize' ? s.objective! - slack : s.objective! + slack;
          return { status: 'optimal', ...s, bestBound: bound, boundSource: 'gap-tolerance', message: `GLPK met its relative gap tolerance ${opts.relativeGap}` };
        }
        return { status: 'feasible', ...s, bestBound: null, boundSource: 'none', message: 'GLPK returned a feasible, unproven solution' };
      }
      case g.GLP_NOFEAS:
        return { status: 'infeasible', ...none };
      case g.GLP_UNBND:
        return { status: 'unbounded', ...none };
      case g.GLP_INFEAS:
        // the simplex stopped (time limit) at a basis that is not yet feasible
        if (hitLimit) return { status: 'timelimit', ...none, message: 'GLPK found no feasible point within the time limit' };
        return { status: 'error', ...none, message: 'GLPK stopped at an infeasible basis' };
      case g.GLP_UNDEF:
        if (hitLimit) return { status: 'timelimit', ...none, message: 'GLPK found no solution within the time limit' };
        return { status: 'infeasible-or-unbounded', ...none, message: 'GLPK status undefined (infeasible or unbounded)' };
      default:
        return { status: 'error', ...none, message: `GLPK status ${r.status}` };
    }
  },
};
