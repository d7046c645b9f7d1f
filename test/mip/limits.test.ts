import { describe, expect, it } from 'vitest';
import { solve } from '../../src/mip/solve.js';
import { knapsack, marketSplit } from './helpers.js';

// Market split 4 x 40: optimum 0 by construction, far beyond a 1.5 s budget for either backend.
const hard = marketSplit(4, 40, 3);
const LIMIT_SEC = 1.5;

describe('time limit on a hard model', () => {
  for (const solver of ['glpk', 'highs'] as const) {
    it(`${solver}: stops near the limit; never a wrong optimal; the bound is valid (<= the known optimum 0)`, async () => {
      const t0 = performance.now();
      const r = await solve(hard, { solver, timeLimitSec: LIMIT_SEC });
      const wallSec = (performance.now() - t0) / 1e3;
      // the limit applies to the search; the LP relaxation bound (GLPK) adds one LP solve
      // (the margin holds on a loaded 2-core machine; without the limit the search runs for hours)
      expect(wallSec).toBeLessThan(LIMIT_SEC + 20);
      if (r.status === 'optimal') {
        expect(r.objective!).toBeLessThanOrEqual(1e-6);
        return;
      }
      expect(['timelimit', 'feasible']).toContain(r.status);
      expect(r.bestBound).not.toBeNull();
      expect(Number.isFinite(r.bestBound!)).toBe(true);
      expect(r.bestBound!).toBeLessThanOrEqual(1e-6);
      if (r.objective !== null) {
        expect(r.objective).toBeGreaterThanOrEqual(r.bestBound! - 1e-9);
        expect(r.gap).not.toBeNull();
        expect(Number.isFinite(r.gap!)).toBe(true);
      }
    });
  }

  it('a relative gap of 10% lets HiGHS stop early with a proven gap of at most 10%', async () => {
    const r = await solve(knapsack(60, 21), { solver: 'highs', relativeGap: 0.1 });
    expect(r.status).toBe('optimal');
    expect(r.gap!).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(r.bestBound!).toBeGreaterThanOrEqual(r.objective! - 1e-9);
  });
});
