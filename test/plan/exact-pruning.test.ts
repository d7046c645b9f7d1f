import { describe, expect, it } from 'vitest';
import { loadScenario, withGlobalBatch } from '../../src/model/scenario.js';
import { lpRelaxation } from '../../src/mip/model.js';
import { solve } from '../../src/mip/solve.js';
import { buildPlacementModel, exactPlacement, scenarioBuckets, TIME_UNIT_SEC } from '../../src/plan/index.js';

// On Criteo Terabyte at batch 65536, GLPK cannot factorize the LP relaxation's basis (coefficients span
// 1e-10..1e8) and reports no bound; exact then bounds that choice by the aggregate relaxation instead of
// running a full branch and bound. These checks hold that pruning to an independent solver.
describe('exact: a choice without an LP bound is pruned by the aggregate relaxation', () => {
  it('prunes only batches that HiGHS proves cannot beat the chosen plan, and keeps the same plan', async () => {
    const s = loadScenario('models/criteo-terabyte-8gpu.json');
    const r = await exactPlacement(s, { solver: 'glpk' });
    const best = r.evaluation.throughputSamplesPerSec;
    const byAggregate = r.batchSearch.filter((b) => b.status === 'pruned (aggregate bound)');
    expect(byAggregate.length).toBeGreaterThan(0);
    for (const b of byAggregate) {
      const sb = withGlobalBatch(s, b.globalBatch);
      for (const coalesce of [true, false]) {
        const pm = buildPlacementModel(sb, scenarioBuckets(sb, 8), { space: 'tiered', coalesce });
        const lp = await solve(lpRelaxation(pm.model), { solver: 'highs' });
        expect(lp.status).toBe('optimal');
        // HiGHS's LP bound on iteration time caps this choice's throughput below the chosen plan's
        expect(b.globalBatch / (lp.objective! * TIME_UNIT_SEC)).toBeLessThanOrEqual(best * (1 + 1e-6));
      }
    }
    // the same plan as a search over the batches that were not pruned
    const kept = r.batchSearch.filter((b) => b.status === 'optimal').map((b) => b.globalBatch);
    const only = await exactPlacement(s, { solver: 'glpk', batches: kept });
    expect(only.evaluation.throughputSamplesPerSec).toBeCloseTo(best, 6);
    expect(only.globalBatch).toBe(r.globalBatch);
  }, 60_000);
});
