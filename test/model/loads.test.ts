import { describe, expect, it } from 'vitest';
import { computeSecondsAll, iterationTerms, resourceSeconds, resourceSecondsAt } from '../../src/model/loads.js';
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

describe('resourceSecondsAt (src/model/loads.ts)', () => {
  it("equals resourceSeconds's entries at the workers asked for, to the bit, and hands out copies for a subset", () => {
    const s = loadScenario('models/criteo-terabyte-8gpu.json');
    const loads = planLoads(s, tablewiseGreedyPlan(s));
    const all = resourceSeconds(s, loads);
    const workers = [5, 0, 3];
    const some = resourceSecondsAt(s, loads, workers);
    for (const key of ['gatherSec', 'hostLinkSec', 'allToAllInSec', 'allToAllOutSec'] as const) {
      expect([...some[key]], key).toEqual(workers.map((w) => all[key][w]));
      expect(some[key]).not.toBe(loads[key as 'allToAllInSec']);
    }
    expect(some.allReduceSec).toBe(all.allReduceSec);
    expect(some.hostDramSec).toBe(all.hostDramSec);
    // every worker in order: the same arrays resourceSeconds gives (it is this function)
    expect(resourceSecondsAt(s, loads, [0, 1, 2, 3, 4, 5, 6, 7])).toEqual(all);
    expect(all.gatherSec.some((x) => x > 0)).toBe(true);
  });
});
