import { describe, expect, it } from 'vitest';
import { solve } from '../../src/mip/solve.js';
import { bruteForce, knapsack, marketSplit } from './helpers.js';

describe('MIP starts', () => {
  it('a start is a hint, never a proof: HiGHS with a start reaches the enumerated optimum; GLPK ignores it', async () => {
    const m = knapsack(12, 5);
    const ref = bruteForce(m)!;
    // a poor but feasible start: nothing packed
    const empty = Object.fromEntries(m.variables.map((v) => [v.name, 0]));
    for (const solver of ['highs', 'glpk'] as const) {
      const r = await solve(m, { solver, start: empty });
      expect(r.status).toBe('optimal');
      expect(r.objective).toBeCloseTo(ref.objective, 9);
    }
  });

  it('HiGHS keeps a feasible start as its incumbent when the time limit stops it at once', async () => {
    const m = knapsack(60, 21);
    const ref = await solve(m, { solver: 'highs' });
    // Stopped at once, HiGHS alone usually holds a poor point or none; how far it gets in 1 ms depends on the
    // machine's speed (a fast run found the optimum), so that is not asserted. With the optimum as its start the
    // answer is the optimum on every machine: kept as the incumbent, never dropped for a worse point or none.
    const r = await solve(m, { solver: 'highs', start: ref.values, timeLimitSec: 0.001 });
    expect(r.objective).not.toBeNull();
    expect(r.objective!).toBeCloseTo(ref.objective!, 9);
  });

  it('an infeasible start is dropped, not trusted', async () => {
    const m = knapsack(12, 5);
    const ref = bruteForce(m)!;
    const all = Object.fromEntries(m.variables.map((v) => [v.name, 1])); // over capacity
    const r = await solve(m, { solver: 'highs', start: all });
    expect(r.status).toBe('optimal');
    expect(r.objective).toBeCloseTo(ref.objective, 9);
  });
});

describe('worker watchdog', () => {
  it('a worker solve past its hard limit is terminated and reports the time limit with no solution and no bound', async () => {
    const hard = marketSplit(4, 40, 3);
    const t0 = performance.now();
    // the backend's own limit (30 s) would not stop it in time; the hard limit does
    const r = await solve(hard, { solver: 'glpk', worker: true, timeLimitSec: 30, hardLimitSec: 1 });
    const sec = (performance.now() - t0) / 1e3;
    expect(r.status).toBe('timelimit');
    expect(r.objective).toBeNull();
    expect(r.bestBound).toBeNull();
    // far below the backend's own 30 s limit, with a margin for a loaded 2-core machine (worker start-up)
    expect(sec).toBeLessThan(20);
  }, 60_000);
});
