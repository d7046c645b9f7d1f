import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/model/evaluate.js';
import { bucketedLoads, classList, exactPlacement, fastLoads, greedyPlan, makespanSec, scenarioBuckets } from '../../src/plan/index.js';
import { scenarioOf, smallInput } from './helpers.js';

describe('greedy typed-array loads agree with the one cost function', () => {
  for (const [label, input] of [
    ['serial, 2 GPUs', smallInput({ gpuMemoryBytes: 2000 })],
    ['full overlap', smallInput({ overlap: 'full', gpuMemoryBytes: 2000 })],
    ['heterogeneous, 2 nodes', smallInput({ hetero: true, nodes: true })],
    ['1 GPU', smallInput({ gpus: 1, gpuMemoryBytes: 40 })],
  ] as const) {
    it(`${label}: makespan and memory of random counts (and after moves) = makespanSec(bucketedLoads)`, () => {
      const s = scenarioOf(input);
      const W = s.gpus.length;
      const items = scenarioBuckets(s, 2);
      const fast = fastLoads(s, items, true);
      let x = 99;
      const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const nC = classList(W).length;
      const allowed = (c: number) => !(W === 1 && c === 1);
      for (let trial = 0; trial < 30; trial++) {
        const counts = items.map((it) => {
          const row = new Array<number>(nC).fill(0);
          for (let r = 0; r < it.rows; r++) {
            let c: number;
            do c = Math.floor(rnd() * nC);
            while (!allowed(c));
            row[c]! += 1;
          }
          return row;
        });
        const st = fast.state(counts);
        const ref = bucketedLoads(s, items, counts, true);
        expect(fast.makespan(st)).toBeCloseTo(makespanSec(s, ref, true), 15);
        expect(fast.fits(st)).toBe(ref.gpuMemoryBytes.every((b, g) => b <= s.gpus[g]!.memoryBytes) && ref.hostMemoryBytes <= s.host.memoryBytes);
        // a move then its inverse returns to the same makespan; a move equals recomputation from counts
        const i = Math.floor(rnd() * items.length);
        const from = counts[i]!.findIndex((k) => k > 0);
        const to = W + 1 === from ? 0 : W + 1;
        fast.move(st, i, from, to, 1);
        counts[i]![from]! -= 1;
        counts[i]![to]! += 1;
        expect(fast.makespan(st)).toBeCloseTo(makespanSec(s, bucketedLoads(s, items, counts, true), true), 15);
      }
    });
  }

  it('greedy is never better than the exact optimum and within 5% of it on a small tiered instance', async () => {
    const s = scenarioOf({ ...smallInput({ gpuMemoryBytes: 2000 }), tables: [
      { name: 'C', rows: 200, dim: 4, pooling: 3, distribution: { kind: 'counts', counts: Array.from({ length: 200 }, (_, i) => Math.floor(1000 / (i + 1)) + 1) } },
      { name: 'D', rows: 50, dim: 2, pooling: 1, distribution: { kind: 'counts', counts: Array.from({ length: 50 }, (_, i) => 60 - i) } },
    ] });
    const ex = await exactPlacement(s, { solver: 'highs', maxBuckets: 64, batches: [s.training.globalBatch] });
    const g = evaluate(s, greedyPlan(s));
    expect(g.feasible).toBe(true);
    expect(g.iterationSec).toBeGreaterThanOrEqual(ex.interval!.lowerIterationSec! * (1 - 1e-9));
    expect(g.iterationSec).toBeLessThanOrEqual(ex.evaluation.iterationSec * 1.05);
  });
});

describe('greedy batch search', () => {
  it('returns the candidate batch whose greedy plan has the highest throughput', async () => {
    const { greedyBatchSearch } = await import('../../src/plan/index.js');
    const { withGlobalBatch } = await import('../../src/model/scenario.js');
    const input = { ...smallInput({ gpuMemoryBytes: 200 }), training: { ...smallInput().training, activationBytesPerSample: 10, candidateBatches: [4, 8, 16, 64] } };
    const s = scenarioOf(input);
    const r = greedyBatchSearch(s);
    const per = [4, 8, 16].map((B) => evaluate(withGlobalBatch(s, B), greedyPlan(withGlobalBatch(s, B))).throughputSamplesPerSec);
    expect(evaluate(r.scenario, r.plan).throughputSamplesPerSec).toBeCloseTo(Math.max(...per), 9);
    expect(r.globalBatch).toBe([4, 8, 16][per.indexOf(Math.max(...per))]);
  });
});
