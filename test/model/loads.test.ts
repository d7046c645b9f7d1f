import { describe, expect, it } from 'vitest';
import { computeSecondsAll, iterationTerms } from '../../src/model/loads.js';
import { loadScenario } from '../../src/model/scenario.js';
import { tablewiseGreedyPlan } from '../../src/plan/index.js';
import { evaluate, planLoads } from '../../src/model/evaluate.js';

describe('iterationTerms with the compute seconds given (src/model/loads.ts)', () => {
  it('gives the same terms, to the bit, as computing them inside; the table-wise greedy plan that uses it is evaluated alike', () => {
    const s = loadScenario('models/criteo-terabyte-8gpu.json');
    const plan = tablewiseGreedyPlan(s);
    const e = evaluate(s, plan);
    const loads = planLoads(s, plan);
    for (const coalesce of [true, false]) {
      const inside = iterationTerms(s, loads, coalesce);
      const given = iterationTerms(s, loads, coalesce, computeSecondsAll(s, coalesce));
      expect(inside.length).toBe(8);
      expect(given).toEqual(inside);
    }
    expect(e.feasible).toBe(true);
  });
});
