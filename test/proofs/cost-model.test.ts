import { describe, expect, it } from 'vitest';
import { evaluate, planLoads } from '../../src/model/evaluate.js';
import { checkPlan } from '../../src/model/plan.js';
import { buildScenario } from '../../src/model/scenario.js';

// proofs/cost-model.md, checked by exhaustive enumeration: every lookup outcome of a tiny scenario is listed with
// its probability, its traffic counted directly (distinct rows per worker, per class), and the average compared
// with the model's expected loads.
const counts = [3, 2, 1]; // p = 1/2, 1/3, 1/6
const p = counts.map((c) => c / 6);
const r = 8; // dim 2 x 4 bytes
const scenario = buildScenario(
  {
    name: 'enum',
    tables: [{ name: 'T', rows: 3, dim: 2, pooling: 2, optimizerBytesPerRow: 4, distribution: { kind: 'counts', counts } }],
    devices: { gpus: 2, gpuMemoryBytes: 1e6, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 1e6, hostGatherBytesPerSec: 1e9 },
    links: { hostToGpuBytesPerSec: 1e9, gpuToGpuBytesPerSec: 1e9 },
    training: { globalBatch: 2 },
  },
  { baseDir: '.', file: 'enum.json' },
);
// rank 0 on host, rank 1 sharded on GPU 1, rank 2 replicated
const plan = checkPlan(
  { tables: { T: [{ from: 0, to: 1, at: 'host' }, { from: 1, to: 2, at: 'gpu', gpu: 1 }, { from: 2, to: 3, at: 'replicated' }] } },
  scenario,
);

describe('expected loads equal the enumerated average (coalesced)', () => {
  // worker 0 makes lookups a, b; worker 1 makes c, d (K_w = b_w L = 1 x 2)
  const expected = { hostLink: [0, 0], a2aIn0: 0, a2aOut1: 0, allReduce: 0, hostDram: 0, hbm: [0, 0] };
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 3; c++)
        for (let d = 0; d < 3; d++) {
          const prob = p[a]! * p[b]! * p[c]! * p[d]!;
          const w0 = new Set([a, b]);
          const w1 = new Set([c, d]);
          const all = new Set([a, b, c, d]);
          // host row 0: ids + rows down + gradients up, per worker
          expected.hostLink[0]! += prob * (w0.has(0) ? 2 * r + 8 : 0);
          expected.hostLink[1]! += prob * (w1.has(0) ? 2 * r + 8 : 0);
          // host DRAM: gathers per worker, update of the globally touched row (2 (r + o))
          expected.hostDram += prob * ((w0.has(0) ? r : 0) + (w1.has(0) ? r : 0) + (all.has(0) ? 2 * (r + 4) : 0));
          // row 1 lives on GPU 1: GPU 0 receives it when it touched it
          expected.a2aIn0 += prob * (w0.has(1) ? r : 0);
          expected.a2aOut1 += prob * (w0.has(1) ? r : 0);
          // replicated row 2: gradient all-reduced when touched anywhere
          expected.allReduce += prob * (all.has(2) ? r : 0);
          // HBM: pooling reads of every lookup (2 per worker), updates of rows 1 (on GPU 1) and 2 (both),
          // and GPU 1 serving row 1 to GPU 0
          const upd1 = all.has(1) ? 2 * (r + 4) : 0;
          const upd2 = all.has(2) ? 2 * (r + 4) : 0;
          expected.hbm[0]! += prob * (2 * r + upd2);
          expected.hbm[1]! += prob * (2 * r + upd1 + upd2 + (w0.has(1) ? r : 0));
        }
  const loads = planLoads(scenario, plan);
  it('host link bytes per worker', () => {
    expect(loads.hostLinkBytes[0]).toBeCloseTo(expected.hostLink[0]!, 12);
    expect(loads.hostLinkBytes[1]).toBeCloseTo(expected.hostLink[1]!, 12);
  });
  it('host DRAM bytes', () => expect(loads.hostDramBytes).toBeCloseTo(expected.hostDram, 12));
  it('all-to-all bytes', () => {
    expect(loads.allToAllInBytes[0]).toBeCloseTo(expected.a2aIn0, 12);
    expect(loads.allToAllOutBytes[1]).toBeCloseTo(expected.a2aOut1, 12);
    expect(loads.allToAllInBytes[1]).toBe(0);
  });
  it('all-reduce bytes', () => expect(loads.allReduceBytes).toBeCloseTo(expected.allReduce, 12));
  it('HBM bytes', () => {
    expect(loads.hbmBytes[0]).toBeCloseTo(expected.hbm[0]!, 12);
    expect(loads.hbmBytes[1]).toBeCloseTo(expected.hbm[1]!, 12);
  });
});

describe('additivity over ranges', () => {
  it('splitting a range in the same class changes nothing', () => {
    const s = buildScenario(
      {
        name: 'split',
        tables: [{ name: 'U', rows: 1000, dim: 16, pooling: 3, distribution: { kind: 'counts', counts: Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 97)) } }],
        devices: { gpus: 4, gpuMemoryBytes: 1e9, gpuGatherBytesPerSec: 1e12, hostMemoryBytes: 1e12, hostGatherBytesPerSec: 1e11 },
        links: { hostToGpuBytesPerSec: 5e10, gpuToGpuBytesPerSec: 3e11, latencySec: 1e-5 },
        training: { globalBatch: 512, denseSecondsPerSample: 1e-7, overlap: 'serial' },
      },
      { baseDir: '.', file: 'split.json' },
    );
    const whole = checkPlan({ tables: { U: [{ from: 0, to: 100, at: 'replicated' }, { from: 100, to: 400, at: 'gpu', gpu: 2 }, { from: 400, to: 1000, at: 'host' }] } }, s);
    const split = checkPlan(
      {
        tables: {
          U: [
            { from: 0, to: 37, at: 'replicated' }, { from: 37, to: 100, at: 'replicated' },
            { from: 100, to: 101, at: 'gpu', gpu: 2 }, { from: 101, to: 400, at: 'gpu', gpu: 2 },
            { from: 400, to: 999, at: 'host' }, { from: 999, to: 1000, at: 'host' },
          ],
        },
      },
      s,
    );
    const a = evaluate(s, whole);
    const b = evaluate(s, split);
    expect(b.iterationSec).toBeCloseTo(a.iterationSec, 15);
    for (let g = 0; g < 4; g++) expect(b.gpus[g]!.bytes.hostLink).toBeCloseTo(a.gpus[g]!.bytes.hostLink, 6);
  });

  it('coalescing never moves more rows than one per lookup (Bernoulli, K >= 1)', () => {
    const s = scenario;
    const c = planLoads(s, plan);
    const u = planLoads(s, { ...plan, coalesce: false });
    for (let w = 0; w < 2; w++) expect(c.hostLinkBytes[w]).toBeLessThanOrEqual(u.hostLinkBytes[w]!);
    expect(c.allReduceBytes).toBeLessThanOrEqual(u.allReduceBytes);
  });
});
