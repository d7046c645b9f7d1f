import { describe, expect, it } from 'vitest';
import { parseGlpkProgress } from '../../src/mip/backends/glpk.js';
import type { Model } from '../../src/mip/model.js';
import { relativeGap, type SolveProgress, type SolverName } from '../../src/mip/result.js';
import { solve } from '../../src/mip/solve.js';
import { bruteForce, knapsack, marketSplit } from './helpers.js';

/**
 * Issue 16 "solver log and MIP bound/incumbent where there is a solve": a solve with onProgress forwards
 * the backend's incumbent and bound (HiGHS's MIP logging callback, GLPK's branch-and-bound log lines), with
 * the objective's constant, the gap computed as the result's, and runs in a worker so the caller's event loop
 * (a progress bar's timer) keeps running.
 */
describe('parseGlpkProgress: GLPK branch-and-bound log lines', () => {
  it('reads incumbent and bound (lines as glpk.js prints them), adding the constant', () => {
    expect(parseGlpkProgress('+    17: mip =     not found yet >=              -inf        (1; 0)')).toEqual({ incumbent: null, bound: null });
    expect(parseGlpkProgress('+    53: >>>>>   5.300000000e+01 >=   0.000000000e+00 100.0% (20; 0)', 7)).toEqual({ incumbent: 60, bound: 7 });
    expect(parseGlpkProgress('+  1200: mip =   4.100000000e+02 <=   4.125000000e+02   0.6% (8; 30)')).toEqual({ incumbent: 410, bound: 412.5 });
    // search complete: the incumbent is its own bound
    expect(parseGlpkProgress('+  1384: mip =   4.110000000e+02 <=     tree is empty   0.0% (0; 61)', -1)).toEqual({ incumbent: 410, bound: 410 });
    expect(parseGlpkProgress('*    12: obj =   4.125000000e+02 inf =   0.000000000e+00 (0)')).toBeNull();
    expect(parseGlpkProgress('Integer optimization begins...')).toBeNull();
  });
});

/** A model's objective with a constant added (the progress must carry it, as the result's objective does). */
const withConstant = (m: Model, c: number): Model => ({ ...m, objective: { ...m.objective, constant: c } });

const consistent = (sense: Model['sense'], events: SolveProgress[]) => {
  for (const p of events) {
    expect(Number.isFinite(p.elapsedSec)).toBe(true);
    if (p.incumbent === null || p.bound === null) {
      expect(p.gap).toBeNull();
      continue;
    }
    const tol = 1e-7 * Math.max(1, Math.abs(p.incumbent));
    // a bound bounds every solution: above the incumbent when maximising, below when minimising
    if (sense === 'maximize') expect(p.bound).toBeGreaterThanOrEqual(p.incumbent - tol);
    else expect(p.bound).toBeLessThanOrEqual(p.incumbent + tol);
    expect(p.gap).toBe(relativeGap(p.incumbent, p.bound));
  }
};

describe('solve with onProgress', () => {
  it.each(['glpk', 'highs'] as SolverName[])('%s: incumbent and bound bracket the enumerated optimum (with the constant); the last incumbent is the result', async (solver) => {
    const m = withConstant(knapsack(16, 3), 7);
    const opt = bruteForce(m)!.objective; // includes the constant
    const events: SolveProgress[] = [];
    const r = await solve(m, { solver, onProgress: (p) => events.push(p) });
    expect(r.status).toBe('optimal');
    expect(r.objective).toBeCloseTo(opt, 6);
    expect(events.length).toBeGreaterThan(0);
    consistent('maximize', events);
    for (const p of events) {
      if (p.incumbent !== null) expect(p.incumbent).toBeLessThanOrEqual(opt + 1e-6);
      if (p.bound !== null) expect(p.bound).toBeGreaterThanOrEqual(opt - 1e-6);
    }
    const last = [...events].reverse().find((p) => p.incumbent !== null)!;
    expect(last.incumbent).toBeCloseTo(opt, 6);
  }, 60_000);

  it.each(['glpk', 'highs'] as SolverName[])('%s: a multi-second MIP with onProgress runs off the event loop (a timer ticks); in-process it would not', async (solver) => {
    // market split: the optimum is 0 (a hidden solution), found by neither backend in 2 s
    const m = marketSplit(3, 30, 2);
    const run = async (worker: boolean | undefined) => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const events: SolveProgress[] = [];
      const r = await solve(m, { solver, timeLimitSec: 2, onProgress: (p) => events.push(p), ...(worker === undefined ? {} : { worker }) });
      clearInterval(timer);
      return { r, ticks, events };
    };
    const auto = await run(undefined); // onProgress alone sends it to a worker
    const inProcess = await run(false);
    for (const { r, events } of [auto, inProcess]) {
      // it ran to the time limit (or proved the hidden optimum): a long solve, never a claimed optimum above 0
      expect(['timelimit', 'optimal']).toContain(r.status);
      if (r.status === 'optimal') expect(r.objective).toBeCloseTo(0, 6);
      expect(events.length).toBeGreaterThan(0);
      consistent('minimize', events);
      for (const p of events) if (p.bound !== null) expect(p.bound).toBeLessThanOrEqual(1e-6); // 0 is feasible
    }
    if (auto.r.status === 'timelimit' && inProcess.r.status === 'timelimit') {
      // both ran about 2 s; the worker's run left the loop free (200 ticks idle). The in-process count is not
      // compared: how often a busy in-process solve lets a timer through depends on the machine's load (a full
      // suite on 2 loaded cores gave 188 against 62), and no test here may depend on speed.
      expect(auto.ticks).toBeGreaterThan(10);
    }
  }, 120_000);
});
