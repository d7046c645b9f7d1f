import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/model/scenario.js';
import { evaluate } from '../../src/model/evaluate.js';
import { cacheGreedyPlan, hostCoalescedPlan, hostPlan, runAlgorithm, tablewiseGreedyPlan } from '../../src/plan/index.js';
import { scenarioOf, smallInput } from './helpers.js';

// test/fixtures/tiny.json: A (4 rows, 8 B, L=1, p = .5 .25 .125 .125), B (10 rows, 16 B, L=2, uniform),
// 2 GPUs, batch 4 (2 per worker), host link 1e7 B/s, HBM 1e9, host DRAM 1e8, GPU link 1e8, latency 1 us.
const tiny = loadScenario('test/fixtures/tiny.json');
const f = (p: number, k: number) => 1 - (1 - p) ** k;
const us = 1e-6;

describe('baselines against hand-computed iteration times (tiny.json)', () => {
  it('B0 host, no coalescing', () => {
    // rows per worker: A 2, B 4; host link (2r + 8 B per row): 2*24 + 4*40 = 208 B -> 20.8 us + 2 us latency
    // DRAM: gathers 2 workers * (2*8 + 4*16) = 160 B, updates (4 rows of A, 8 of B) * 2 * state = 64 + 256 -> 480 B / 1e8
    const expected = 2 * us + 80 / 1e9 + (208 / 1e7 + 2 * us) + 480 / 1e8;
    expect(evaluate(tiny, hostPlan(tiny)).iterationSec).toBeCloseTo(expected, 15);
  });
  it('B1 host, coalesced', () => {
    const uA = f(0.5, 2) + f(0.25, 2) + 2 * f(0.125, 2);
    const uB = 10 * f(0.1, 4);
    const gA = f(0.5, 4) + f(0.25, 4) + 2 * f(0.125, 4);
    const gB = 10 * f(0.1, 8);
    const link = uA * 24 + uB * 40;
    const dram = 2 * (uA * 8 + uB * 16) + gA * 16 + gB * 32;
    const expected = 2 * us + 80 / 1e9 + (link / 1e7 + 2 * us) + dram / 1e8;
    expect(evaluate(tiny, hostCoalescedPlan(tiny)).iterationSec).toBeCloseTo(expected, 15);
  });
  it('B2 table-wise greedy: B (costlier) to gpu0, A to gpu1; makespan on gpu0', () => {
    const plan = tablewiseGreedyPlan(tiny);
    expect(plan.tables.B).toEqual([{ from: 0, to: 10, at: 'gpu', gpu: 0 }]);
    expect(plan.tables.A).toEqual([{ from: 0, to: 4, at: 'gpu', gpu: 1 }]);
    // gpu0 HBM: pooling 80 + B update 8*2*16 = 256 + serving 4 rows * 16 to gpu1 = 64 -> 400 B;
    // all-to-all: out 64 B, in 16 B at 1e8 -> 2 * 0.64 us + 2 us latency; dense 2 us
    const expected = 2 * us + 400 / 1e9 + (2 * (64 / 1e8) + 2 * us);
    expect(evaluate(tiny, plan).iterationSec).toBeCloseTo(expected, 15);
  });
  it('B3 cache greedy: everything fits, so every row is replicated', () => {
    const { plan } = cacheGreedyPlan(tiny);
    expect(plan.tables.A).toEqual([{ from: 0, to: 4, at: 'replicated' }]);
    expect(plan.tables.B).toEqual([{ from: 0, to: 10, at: 'replicated' }]);
    const gA = f(0.5, 4) + f(0.25, 4) + 2 * f(0.125, 4);
    const gB = 10 * f(0.1, 8);
    const hbm = 80 + gA * 16 + gB * 32;
    const allReduce = (gA * 8 + gB * 16) / 1e8 + 2 * us; // ring factor 2(W-1)/W = 1
    expect(evaluate(tiny, plan).iterationSec).toBeCloseTo(2 * us + hbm / 1e9 + allReduce, 15);
  });
  it('speedups: B1 >= B0 and every plan is feasible', async () => {
    const b0 = await runAlgorithm(tiny, 'host');
    const b1 = await runAlgorithm(tiny, 'host-coalesced');
    expect(b1.evaluation.throughputSamplesPerSec).toBeGreaterThan(b0.evaluation.throughputSamplesPerSec);
  });
});

describe('frequency caching on one GPU (DESIGN §3)', () => {
  // equal row bytes in every table: the knapsack has unit items, and greedy by value is optimal
  const input = {
    ...smallInput({ gpus: 1, gpuMemoryBytes: 8 * 16 }),
    tables: [
      { name: 'A', rows: 40, dim: 4, pooling: 2, distribution: { kind: 'counts' as const, counts: Array.from({ length: 40 }, (_, i) => Math.floor(400 / (i + 1))) } },
      { name: 'B', rows: 30, dim: 4, pooling: 1, distribution: { kind: 'counts' as const, counts: Array.from({ length: 30 }, (_, i) => 31 - i) } },
    ],
  };
  it('cache-greedy is optimal and the MIP (cache and tiered plan spaces) agrees', async () => {
    const s = scenarioOf(input);
    const g = cacheGreedyPlan(s);
    const eg = evaluate(s, g.plan);
    for (const algo of ['exact-cache', 'exact'] as const) {
      const r = await runAlgorithm(s, algo, { solver: 'glpk', maxBuckets: 64 });
      expect(r.exact!.status).toBe('optimal');
      expect(eg.iterationSec).toBeCloseTo(r.evaluation.iterationSec, 15);
    }
    // the fractional certificate bounds the saving from above; greedy is within one item of it
    expect(g.certificate.fractionalBoundSec).toBeGreaterThanOrEqual(g.certificate.savedSec);
    expect(g.certificate.fractionalBoundSec - g.certificate.savedSec).toBeLessThanOrEqual(g.certificate.maxItemSec);
    const cached = Object.values(g.plan.tables).flat().filter((r) => r.at === 'replicated').reduce((a, r) => a + r.to - r.from, 0);
    expect(cached).toBe(8);
  });
});
