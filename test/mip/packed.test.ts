import { describe, expect, it } from 'vitest';
import { ModelBuilder, type Model } from '../../src/mip/model.js';
import { isPackedModel, packModel, unpackModel } from '../../src/mip/packed.js';
import { solve } from '../../src/mip/solve.js';
import { assignment, knapsack, marketSplit } from './helpers.js';

describe('packed models (typed arrays for the solver worker)', () => {
  it('unpack(pack(m)) equals m: rows, senses, bounds, objective terms and constant', () => {
    const b = new ModelBuilder('with_constant');
    const x = b.addVar('x', { type: 'integer', lower: -2, upper: 7 });
    const y = b.addVar('y', { upper: null });
    const z = b.addVar('z', { type: 'binary' });
    b.addConstraint('r1', [{ var: x, coef: 1.5 }, { var: y, coef: -2 }], '<=', 3.25);
    b.addConstraint('r2', [{ var: z, coef: 1 }], '>=', 0);
    b.addConstraint('empty', [], '=', 0);
    b.setObjective('maximize', { terms: [{ var: x, coef: 1 }, { var: z, coef: -4 }], constant: 9.5 });
    for (const m of [b.build(), knapsack(30, 3), assignment([[1, 2, 3], [4, 5, 6], [7, 8, 10]]), marketSplit(3, 20, 2)] as Model[]) {
      const p = packModel(m)!;
      expect(isPackedModel(p)).toBe(true);
      expect(isPackedModel(m)).toBe(false);
      expect(p.termVar.length).toBe(m.constraints.reduce((n, c) => n + c.terms.length, 0) + m.objective.terms.length);
      expect(unpackModel(p)).toEqual(m);
      // survives structured cloning as the worker receives it
      expect(unpackModel(structuredClone(p))).toEqual(m);
    }
  });

  it('a term on an undeclared variable is not packed (the solver reports it as it always did)', async () => {
    const m: Model = { name: 'bad', sense: 'minimize', objective: { terms: [{ var: 'ghost', coef: 1 }] }, variables: [{ name: 'x', type: 'continuous', lower: 0, upper: 1 }], constraints: [] };
    expect(packModel(m)).toBeUndefined();
    const inProcess = await solve(m, { solver: 'glpk' }).then(() => 'solved', (e: Error) => e.message);
    const inWorker = await solve(m, { solver: 'glpk', worker: true }).then(() => 'solved', (e: Error) => e.message);
    expect(inProcess).toMatch(/ghost/);
    expect(inWorker).toMatch(/ghost/);
  });
});
