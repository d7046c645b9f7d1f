import { describe, expect, it } from 'vitest';
import { lin, ModelBuilder, type Model } from '../../src/mip/model.js';
import { SOLVERS } from '../../src/mip/result.js';
import { objectiveBoundedByBounds, solve } from '../../src/mip/solve.js';
import { assignment, bestPermutationCost, bruteForce, knapsack, rng } from './helpers.js';

describe('known optima, every backend', () => {
  for (const solver of SOLVERS) {
    it(`${solver}: 0-1 knapsacks match exhaustive enumeration (n = 12, 2^12 subsets)`, async () => {
      for (const seed of [1, 2, 3]) {
        const m = knapsack(12, seed);
        const ref = bruteForce(m)!;
        const r = await solve(m, { solver });
        expect(r.status).toBe('optimal');
        expect(r.objective).toBeCloseTo(ref.objective, 9);
        expect(r.gap).toBe(0);
        expect(r.bestBound).not.toBeNull();
        // the bound is a valid upper bound for a maximisation
        expect(r.bestBound!).toBeGreaterThanOrEqual(ref.objective - 1e-6);
      }
    });

    it(`${solver}: 5x5 assignment matches the best of 120 permutations`, async () => {
      const r0 = rng(7);
      const cost = Array.from({ length: 5 }, () => Array.from({ length: 5 }, () => 1 + Math.floor(r0() * 50)));
      const r = await solve(assignment(cost), { solver });
      expect(r.status).toBe('optimal');
      expect(r.objective).toBeCloseTo(bestPermutationCost(cost), 9);
      // the solution is a permutation matrix
      const ones = Object.entries(r.values).filter(([, v]) => Math.abs(v - 1) < 1e-9);
      expect(ones).toHaveLength(5);
    });

    it(`${solver}: an LP whose optimum equals its hand-computed dual objective`, async () => {
      // max 3x + 5y s.t. x <= 4, 2y <= 12, 3x + 2y <= 18 (x, y >= 0). Optimum (2, 6), value 36.
      // Dual: min 4u1 + 12u2 + 18u3 s.t. u1 + 3u3 >= 3, 2u2 + 2u3 >= 5, u >= 0: u = (0, 1.5, 1), value 36.
      const b = new ModelBuilder('wyndor');
      const x = b.addVar('x');
      const y = b.addVar('y');
      b.addConstraint('plant1', [{ var: x, coef: 1 }], '<=', 4);
      b.addConstraint('plant2', [{ var: y, coef: 2 }], '<=', 12);
      b.addConstraint('plant3', lin.sum(lin.term(3, x), lin.term(2, y)), '<=', 18);
      b.setObjective('maximize', lin.sum(lin.term(3, x), lin.term(5, y)));
      const dualValue = 4 * 0 + 12 * 1.5 + 18 * 1;
      const r = await solve(b.build(), { solver });
      expect(r.status).toBe('optimal');
      expect(r.objective).toBeCloseTo(dualValue, 9);
      expect(r.bestBound).toBeCloseTo(dualValue, 9);
      expect(r.values.x).toBeCloseTo(2, 9);
      expect(r.values.y).toBeCloseTo(6, 9);
    });

    it(`${solver}: infeasible and unbounded models, LP and MIP`, async () => {
      const base = (type: 'integer' | 'continuous'): Model => ({
        name: 't',
        sense: 'maximize',
        objective: { terms: [{ var: 'x', coef: 1 }, { var: 'y', coef: 1 }] },
        variables: [
          { name: 'x', type, lower: 0, upper: null },
          { name: 'y', type: 'continuous', lower: 0, upper: null },
        ],
        constraints: [{ name: 'c', terms: [{ var: 'x', coef: 1 }, { var: 'y', coef: -1 }], sense: '<=', rhs: 4 }],
      });
      for (const type of ['integer', 'continuous'] as const) {
        const unb = await solve(base(type), { solver });
        expect(unb.status, `${type} unbounded`).toBe('unbounded');
        expect(unb.objective).toBeNull();
        // x in [5.5, 5.7] has no integer point; as an LP, x >= 6 and x <= 5 conflict
        const infeasible: Model = {
          ...base(type),
          constraints: [
            ...base(type).constraints,
            { name: 'lo', terms: [{ var: 'x', coef: 1 }], sense: '>=', rhs: type === 'integer' ? 5.5 : 6 },
            { name: 'hi', terms: [{ var: 'x', coef: 1 }], sense: '<=', rhs: type === 'integer' ? 5.7 : 5 },
          ],
        };
        const inf = await solve(infeasible, { solver });
        expect(inf.status, `${type} infeasible`).toBe('infeasible');
        expect(inf.values).toEqual({});
      }
    });
  }

  it('GLPK reports the LP relaxation as its bound when it stops at a gap tolerance', async () => {
    const m = knapsack(30, 11);
    const r = await solve(m, { solver: 'glpk', relativeGap: 0.05 });
    expect(['optimal']).toContain(r.status);
    expect(['gap-tolerance', 'lp-relaxation', 'solver']).toContain(r.boundSource);
    expect(r.bestBound!).toBeGreaterThanOrEqual(r.objective!);
    // the LP relaxation of a knapsack is the greedy fractional fill: compute it independently
    const items = m.objective.terms.map((t, j) => ({ v: t.coef, w: m.constraints[0]!.terms[j]!.coef })).sort((a, b) => b.v / b.w - a.v / a.w);
    let cap = m.constraints[0]!.rhs;
    let frac = 0;
    for (const it of items) {
      const take = Math.min(1, cap / it.w);
      frac += take * it.v;
      cap -= take * it.w;
      if (cap <= 0) break;
    }
    expect(r.bestBound!).toBeLessThanOrEqual(frac + 1e-6);
  });

  it('a model without variables is solved from its constant', async () => {
    const m: Model = { name: 'empty', sense: 'minimize', objective: { terms: [], constant: 7 }, variables: [], constraints: [] };
    const r = await solve(m);
    expect(r.status).toBe('optimal');
    expect(r.objective).toBe(7);
  });

  it('log lines reach onLog and never stdout', async () => {
    for (const solver of ['glpk', 'highs'] as const) {
      const lines: string[] = [];
      const r = await solve(knapsack(15, 4), { solver, onLog: (l) => lines.push(l) });
      expect(r.status).toBe('optimal');
      expect(lines.length, solver).toBeGreaterThan(0);
    }
  });
});

describe('objectiveBoundedByBounds: an "unbounded" answer that the bounds rule out is a backend failure', () => {
  const model = (sense: 'minimize' | 'maximize', coef: number, lower: number | null, upper: number | null): Model => ({
    name: 'b',
    sense,
    objective: { terms: [{ var: 'x', coef }] },
    variables: [{ name: 'x', type: 'continuous', lower, upper }],
    constraints: [],
  });
  it('needs the bound in the optimising direction only', () => {
    expect(objectiveBoundedByBounds(model('minimize', 2, 0, null))).toBe(true);
    expect(objectiveBoundedByBounds(model('minimize', -2, 0, null))).toBe(false);
    expect(objectiveBoundedByBounds(model('maximize', 2, null, 7))).toBe(true);
    expect(objectiveBoundedByBounds(model('maximize', 2, 0, null))).toBe(false);
    expect(objectiveBoundedByBounds(model('minimize', -1, null, 3))).toBe(true);
  });
  it('every backend still proves a truly unbounded LP unbounded', async () => {
    for (const solver of ['glpk', 'highs'] as const) expect((await solve(model('minimize', -1, 0, null), { solver })).status).toBe('unbounded');
  });
});

describe('large models (no spread of hundreds of thousands of values onto the call stack)', () => {
  it("a 300,000-variable model: lin.sum, the LP file, and the returned solution check (GLPK LP without its quadratic presolver)", async () => {
    const n = 300_000;
    const b = new ModelBuilder('wide');
    const vars = Array.from({ length: n }, (_, i) => b.addVar(`x${i}`, { upper: 1 }));
    const all = lin.sum({ terms: vars.map((v) => ({ var: v, coef: 1 }) ), constant: 0 });
    expect(all.terms).toHaveLength(n);
    b.addConstraint('cap', all.terms, '<=', 1000.5);
    b.setObjective('maximize', all.terms);
    const model = b.build();
    const { writeLp } = await import('../../src/mip/lp-format.js');
    expect(writeLp(model).length).toBeGreaterThan(n);
    const r = await solve(model, { solver: 'glpk' });
    expect(r.status).toBe('optimal');
    expect(r.objective!).toBeCloseTo(1000.5, 6);
  }, 120_000);
});
