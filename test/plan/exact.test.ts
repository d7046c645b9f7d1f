import { describe, expect, it } from 'vitest';
import { evaluate, summarizeLoads } from '../../src/model/evaluate.js';
import { solve } from '../../src/mip/solve.js';
import { bucketedLoads, countsFromValues, exactModel, exactPlacement, cacheGreedyPlan, greedyPlan, runAlgorithm } from '../../src/plan/index.js';
import { InfeasibleError } from '../../src/errors.js';
import { enumerateBest, scenarioOf, smallInput } from './helpers.js';

const variants = [
  { label: 'serial, 2 GPUs', input: smallInput() },
  { label: 'full overlap, 2 GPUs', input: smallInput({ overlap: 'full' }) },
  { label: 'heterogeneous GPUs, 2 nodes', input: smallInput({ hetero: true, nodes: true }) },
  { label: 'serial, 1 GPU', input: smallInput({ gpus: 1, gpuMemoryBytes: 40 }) },
  { label: 'no latency, roomy GPUs', input: smallInput({ latencySec: 0, gpuMemoryBytes: 1000 }) },
  {
    label: 'per-row access costs of GPU and host memory',
    input: { ...smallInput(), devices: { ...smallInput().devices, gpuGatherSecondsPerRow: 3e-8, hostGatherSecondsPerRow: 2e-7 } },
  },
];

describe('exact = best of every enumerated row-level plan (one bucket per row)', () => {
  for (const v of variants) {
    it(v.label, async () => {
      const s = scenarioOf(v.input);
      const brute = enumerateBest(s);
      expect(brute.feasible).toBeGreaterThan(0);
      for (const solver of ['glpk', 'highs'] as const) {
        const r = await exactPlacement(s, { solver, maxBuckets: 8 });
        expect(r.status).toBe('optimal');
        expect(r.evaluation.feasible).toBe(true);
        // never worse than any enumerated plan, and equal to the best one
        expect(r.evaluation.iterationSec).toBeLessThanOrEqual(brute.iterationSec * (1 + 1e-9));
        expect(r.evaluation.iterationSec).toBeCloseTo(brute.iterationSec, 15);
        // the MIP objective (microseconds) is evaluate's iteration time of the derived plan
        expect(r.objective! * 1e-6).toBeCloseTo(r.evaluation.iterationSec, 15);
        // one row per bucket: the interval is a point
        expect(r.interval!.relativeWidth!).toBeLessThan(1e-6);
        // the bucketed MIP's own solve: never above the returned plan's point, within the gap of its bound
        if (r.bucketed && r.bucketed.objective !== null && r.bucketed.bestBound !== null) {
          expect(r.bucketed.objective).toBeLessThanOrEqual(r.objective! * (1 + 1e-9));
          expect(r.bucketed.bestBound).toBeLessThanOrEqual(r.bucketed.objective * (1 + 1e-9));
          if (r.bucketed.status === 'optimal') expect(r.bucketed.gap!).toBeLessThanOrEqual(1e-5);
        }
      }
      // no heuristic beats the optimum (the 1% target for greedy is measured in bench/placement.bench.ts)
      expect(evaluate(s, greedyPlan(s)).iterationSec).toBeGreaterThanOrEqual(brute.iterationSec * (1 - 1e-12));
    });
  }
});

describe('table-wise MIP = best enumerated table-wise plan', () => {
  for (const v of variants.slice(0, 3)) {
    it(v.label, async () => {
      const s = scenarioOf({ ...v.input, devices: { ...v.input.devices, gpuMemoryBytes: 50 } });
      const brute = enumerateBest(s, false, { tablewise: true, classes: ['gpu', 'host'] });
      const r = await runAlgorithm(s, 'exact-tablewise', { solver: 'highs' });
      expect(r.evaluation.iterationSec).toBeCloseTo(brute.iterationSec, 15);
      const g = await runAlgorithm(s, 'tablewise-greedy');
      expect(g.evaluation.iterationSec).toBeGreaterThanOrEqual(brute.iterationSec * (1 - 1e-12));
    });
  }
});

describe('bucketed model', () => {
  const input = {
    ...smallInput({ gpuMemoryBytes: 2000 }),
    tables: [
      { name: 'C', rows: 200, dim: 4, pooling: 3, distribution: { kind: 'counts' as const, counts: Array.from({ length: 200 }, (_, i) => Math.floor(1000 / (i + 1)) + 1) } },
      { name: 'D', rows: 50, dim: 2, pooling: 1, distribution: { kind: 'counts' as const, counts: Array.from({ length: 50 }, (_, i) => 60 - i) } },
    ],
    training: { globalBatch: 64, denseSecondsPerSample: 1e-8, overlap: 'serial' as const },
  };
  const s = scenarioOf(input);

  it('MIP objective at the solution equals evaluate on the bucketed sums (one cost function)', async () => {
    for (const overlap of ['serial', 'full'] as const) {
      const so = scenarioOf({ ...input, training: { ...input.training, overlap } });
      const pm = exactModel(so, { maxBuckets: 3 });
      const r = await solve(pm.model, { solver: 'glpk' });
      const counts = countsFromValues(pm, so, r.values);
      const e = summarizeLoads(so, bucketedLoads(so, pm.items, counts, true), true, 'bucketed');
      expect(r.objective! * 1e-6).toBeCloseTo(e.iterationSec, 12);
    }
  });

  it('certified interval contains the row-level plans, and narrows with more buckets', async () => {
    // no refinement rounds: the certificate of the initial buckets alone
    const coarse = await exactPlacement(s, { solver: 'glpk', maxBuckets: 2, maxRefineRounds: 0 });
    const fine = await exactPlacement(s, { solver: 'glpk', maxBuckets: 3, maxRefineRounds: 0 });
    for (const r of [coarse, fine]) {
      expect(r.interval!.lowerIterationSec!).toBeLessThanOrEqual(r.interval!.upperIterationSec);
      // every plan any algorithm finds is no better than the certified lower bound
      for (const p of [greedyPlan(s), cacheGreedyPlan(s).plan, fine.plan])
        expect(evaluate(s, p).iterationSec).toBeGreaterThanOrEqual(r.interval!.lowerIterationSec! * (1 - 1e-9));
    }
    expect(fine.interval!.relativeWidth!).toBeLessThan(coarse.interval!.relativeWidth!);
  });

  it('refinement narrows the row-level bracket from 2 buckets, and its bound holds for every plan', async () => {
    // a time limit and a coarse MIP gap keep this quick on a loaded machine; the claims hold for any stop
    const g0 = greedyPlan(s);
    const r = await exactPlacement(s, { solver: 'glpk', maxBuckets: 2, targetWidth: 0.02, timeLimitSec: 30, knownPlans: [{ plan: g0, globalBatch: s.training.globalBatch, source: 'greedy' }] });
    const coarse = await exactPlacement(s, { solver: 'highs', maxBuckets: 2, maxRefineRounds: 0, relativeGap: 1e-3 });
    expect(coarse.rowLevel.relativeWidth!).toBeGreaterThan(0.02);
    expect(coarse.rowLevel.status).not.toBe('optimal');
    expect(r.rowLevel.rounds).toBeGreaterThan(0);
    expect(r.rowLevel.relativeWidth!).toBeLessThan(coarse.rowLevel.relativeWidth!);
    if (r.rowLevel.status === 'optimal') expect(r.rowLevel.relativeWidth!).toBeLessThanOrEqual(0.02);
    // the bound is over every candidate batch: no plan of any algorithm beats it
    for (const p of [greedyPlan(s), cacheGreedyPlan(s).plan, r.plan, coarse.plan])
      expect(evaluate(s, p).throughputSamplesPerSec).toBeLessThanOrEqual(r.rowLevel.boundSamplesPerSec! * (1 + 1e-9));
    // never worse than greedy (its plan, passed in, is an incumbent)
    expect(r.evaluation.throughputSamplesPerSec).toBeGreaterThanOrEqual(evaluate(s, g0).throughputSamplesPerSec * (1 - 1e-12));
  }, 120_000);

  it('GLPK and HiGHS agree on the optimum', async () => {
    const a = await exactPlacement(s, { solver: 'glpk', maxBuckets: 3, certify: false, seedKnownPlans: false });
    const b = await exactPlacement(s, { solver: 'highs', maxBuckets: 3, certify: false, seedKnownPlans: false });
    expect(a.status).toBe('optimal');
    expect(b.status).toBe('optimal');
    expect(a.objective!).toBeCloseTo(b.objective!, 4);
  });

});

describe('batch-size search', () => {
  it('picks the candidate batch with the highest throughput, skipping batches whose activations do not fit', async () => {
    const input = { ...smallInput({ gpuMemoryBytes: 200 }), training: { ...smallInput().training, activationBytesPerSample: 10, candidateBatches: [4, 8, 16, 64] } };
    const s = scenarioOf(input);
    const r = await exactPlacement(s, { solver: 'glpk', certify: false });
    const feasible = r.batchSearch.filter((b) => b.throughputSamplesPerSec !== null);
    expect(r.batchSearch.find((b) => b.globalBatch === 64)!.throughputSamplesPerSec).toBeNull(); // 32 samples x 10 B > 200 B
    expect(r.evaluation.throughputSamplesPerSec).toBeCloseTo(Math.max(...feasible.map((b) => b.throughputSamplesPerSec!)), 6);
    expect(r.globalBatch).toBe(feasible.reduce((a, b) => (b.throughputSamplesPerSec! > a.throughputSamplesPerSec! ? b : a)).globalBatch);
  });
});

describe('infeasible', () => {
  it('names the short resource and by how much', async () => {
    const s = scenarioOf({ ...smallInput({ gpuMemoryBytes: 10 }), devices: { ...smallInput().devices, gpuMemoryBytes: 10, hostMemoryBytes: 20 } });
    const err = await exactPlacement(s).catch((e) => e);
    expect(err).toBeInstanceOf(InfeasibleError);
    const sf = (err as InfeasibleError).shortfalls[0]!;
    // 3 rows x 8 B + 3 rows x 20 B = 84 B of tables; 2 x 10 B GPU + 20 B host = 40 B
    expect(sf.needed).toBe(84);
    expect(sf.available).toBe(40);
  });
});
