import { describe, expect, it } from 'vitest';
import { loadScenario, withGlobalBatch } from '../../src/model/scenario.js';
import { evaluate } from '../../src/model/evaluate.js';
import { exactPlacement, greedyPlan } from '../../src/plan/index.js';

// exact bounds every candidate batch and coalescing choice (proofs/placement-refinement.md §2): the bracket's
// upper end is the largest of their ceilings. Each ceiling must hold for plans made at that batch by another
// algorithm, and the returned plan is at least the best of them.
describe('exact: every candidate batch is bounded', () => {
  it("each choice's certified ceiling is at least greedy's throughput at that batch; the bound holds for each of them (greedy works to a wall-clock budget, so its plans are only checked against the bound)", async () => {
    const s = loadScenario('models/criteo-terabyte-8gpu.json');
    const r = await exactPlacement(s, { solver: 'glpk', targetWidth: 0.05 });
    expect(r.rowLevel.relativeWidth!).toBeLessThanOrEqual(0.05);
    expect(r.rowLevel.status).toBe('optimal');
    expect(r.rowLevel.choices.length).toBe(s.training.candidateBatches.length * (s.training.dedupSecondsPerLookup > 0 ? 2 : 1));
    for (const B of s.training.candidateBatches) {
      const sb = withGlobalBatch(s, B);
      const g = greedyPlan(sb);
      for (const coalesce of [true, false]) {
        const c = r.rowLevel.choices.find((x) => x.globalBatch === B && x.coalesce === coalesce);
        if (!c) continue;
        const e = evaluate(sb, { ...g, coalesce });
        if (!e.feasible) continue;
        expect(c.ceilingSamplesPerSec!).toBeGreaterThanOrEqual(e.throughputSamplesPerSec * (1 - 1e-9));
        expect(r.rowLevel.boundSamplesPerSec!).toBeGreaterThanOrEqual(e.throughputSamplesPerSec * (1 - 1e-9));
      }
    }
  }, 180_000);
});
