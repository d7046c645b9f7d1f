import { describe, expect, it } from 'vitest';
import { loadScenario, withGlobalBatch } from '../../src/model/scenario.js';
import { lpRelaxation } from '../../src/mip/model.js';
import { solve } from '../../src/mip/solve.js';
import { buildPlacementModel, exactPlacement, scenarioBuckets, TIME_UNIT_SEC, usagePatterns } from '../../src/plan/index.js';

// exact prunes a candidate batch when the least LP bound over its usage patterns (folded over identical
// GPUs, proofs/placement-bounds.md) proves it cannot beat the chosen plan. These checks hold that pruning
// to an independent computation: HiGHS on the unfolded pattern models.
describe('exact: batches are pruned by the pattern LP bounds', () => {
  it('prunes only batches that HiGHS proves cannot beat the chosen plan, and keeps the same plan', async () => {
    const s = loadScenario('models/criteo-terabyte-8gpu.json');
    const r = await exactPlacement(s, { solver: 'glpk' });
    expect(r.status).toBe('optimal');
    const best = r.evaluation.throughputSamplesPerSec;
    const pruned = r.batchSearch.filter((b) => b.status.startsWith('pruned'));
    expect(pruned.length).toBeGreaterThan(0);
    const coalesceChoices = s.training.dedupSecondsPerLookup > 0 ? [true, false] : [true];
    for (const b of pruned) {
      const sb = withGlobalBatch(s, b.globalBatch);
      for (const coalesce of coalesceChoices) {
        let least = Infinity;
        for (const usage of usagePatterns(sb, 'tiered')) {
          if (!usage.rep && !usage.shard && !usage.host) continue;
          const pm = buildPlacementModel(sb, scenarioBuckets(sb, 8), { space: 'tiered', coalesce, usage });
          const lp = await solve(lpRelaxation(pm.model), { solver: 'highs' });
          if (lp.status === 'infeasible') continue;
          expect(lp.status).toBe('optimal');
          least = Math.min(least, lp.objective!);
        }
        // HiGHS's least pattern LP bound on iteration time caps this choice's throughput below the chosen plan's
        expect(b.globalBatch / (least * TIME_UNIT_SEC)).toBeLessThanOrEqual(best * (1 + 1e-6));
      }
    }
    // the same plan as a search over the batches that were not pruned
    const kept = r.batchSearch.filter((b) => !b.status.startsWith('pruned') && b.throughputSamplesPerSec !== null).map((b) => b.globalBatch);
    const only = await exactPlacement(s, { solver: 'glpk', batches: kept });
    expect(only.evaluation.throughputSamplesPerSec).toBeCloseTo(best, 6);
    expect(only.globalBatch).toBe(r.globalBatch);
  }, 120_000);
});
