import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/model/evaluate.js';
import { checkPlan } from '../../src/model/plan.js';
import { buildScenario } from '../../src/model/scenario.js';

// Two rows with p = 0.75 and 0.25, two GPUs taking one sample each, one lookup per sample:
// K_w = 1, K_global = 2; f_1(p) = p, f_2(0.75) = 0.9375, f_2(0.25) = 0.4375. Row bytes r = 4, no optimizer state.
// Each term below is worked by hand from proofs/cost-model.md.
const base = {
  name: 'hand',
  tables: [{ name: 'T', rows: 2, dim: 1, bytesPerElement: 4, distribution: { kind: 'counts', counts: [1, 3] } }],
  devices: {
    gpus: 2,
    gpuMemoryBytes: 100,
    gpuGatherBytesPerSec: 1,
    hostMemoryBytes: 100,
    hostGatherBytesPerSec: 11,
    dedupSecondsPerLookup: 0.125,
  },
  links: { hostToGpuBytesPerSec: 2, gpuToGpuBytesPerSec: 1.25, latencySec: 0.01 },
  training: { globalBatch: 2, denseSecondsPerSample: 0.25, overlap: 'serial' },
};
const scenarioOf = (over: Record<string, unknown> = {}) =>
  buildScenario({ ...base, training: { ...base.training, ...over } }, { baseDir: '.', file: 'hand.json' });

describe('evaluate on a hand-computed scenario', () => {
  it('replicated hot row, cold row on host: every term by hand (serial overlap)', () => {
    const s = scenarioOf();
    const plan = checkPlan({ tables: { T: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 2, at: 'host' }] } }, s);
    const e = evaluate(s, plan);
    for (const g of e.gpus) {
      // pooling reads K_w * mass * r = 4; update of the replicated row 0.9375 * 2 * 4 = 7.5 -> 11.5 B at 1 B/s
      expect(g.terms.localGatherSec).toBeCloseTo(11.5, 12);
      // host link: f_1(0.25) * (2 r + 8 index bytes) = 4 B at 2 B/s, plus two latencies
      expect(g.terms.hostLinkSec).toBeCloseTo(2.02, 12);
      // all-reduce: 2 (W-1)/W * 0.9375 * 4 = 3.75 B at 1.25 B/s, plus 2 (W-1) latencies
      expect(g.terms.allReduceSec).toBeCloseTo(3.02, 12);
      // host DRAM: gathers 2 * 0.25 * 4 = 2 B, update 0.4375 * 8 = 3.5 B, at 11 B/s
      expect(g.terms.hostGatherSec).toBeCloseTo(0.5, 12);
      expect(g.terms.denseSec).toBeCloseTo(0.25, 12);
      expect(g.terms.dedupSec).toBeCloseTo(0.125, 12);
      expect(g.terms.allToAllSec).toBe(0);
      expect(g.memoryUsedBytes).toBe(4);
    }
    expect(e.iterationSec).toBeCloseTo(17.415, 12);
    expect(e.throughputSamplesPerSec).toBeCloseTo(2 / 17.415, 12);
    expect(e.host.memoryUsedBytes).toBe(4);
    expect(e.feasible).toBe(true);
  });

  it('per-row access costs: one per pooled lookup, served row, gathered row and updated row', () => {
    const s = buildScenario(
      { ...base, devices: { ...base.devices, gpuGatherSecondsPerRow: 0.5, hostGatherSecondsPerRow: 0.25 } },
      { baseDir: '.', file: 'hand.json' },
    );
    const plan = checkPlan({ tables: { T: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 2, at: 'host' }] } }, s);
    const e = evaluate(s, plan);
    // GPU: 1 pooled lookup + 0.9375 updated replicated rows = 1.9375 accesses at 0.5 s
    expect(e.gpus[0]!.terms.localGatherSec).toBeCloseTo(11.5 + 1.9375 * 0.5, 12);
    // host: gathers 2 x 0.25 rows + 0.4375 updated rows = 0.9375 accesses at 0.25 s
    expect(e.gpus[0]!.terms.hostGatherSec).toBeCloseTo(0.5 + 0.9375 * 0.25, 12);
    expect(e.host.gatherSec).toBeCloseTo(0.5 + 0.9375 * 0.25, 12);
  });

  it('pooled reads of rows received from the host or a peer are paid at the receive buffer constants (cost-model.md §1)', () => {
    const s = buildScenario(
      {
        ...base,
        devices: { ...base.devices, gpuGatherSecondsPerRow: 0.5, gpuBufferGatherBytesPerSec: 4, gpuBufferGatherSecondsPerRow: 0.125 },
      },
      { baseDir: '.', file: 'hand.json' },
    );
    const cached = evaluate(s, checkPlan({ tables: { T: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 2, at: 'host' }] } }, s));
    // table: pooled 0.75 lookups (3 B) + update 7.5 B at 1 B/s, 0.75 + 0.9375 accesses at 0.5 s;
    // buffer: the host row's 0.25 lookups (1 B) at 4 B/s and 0.125 s per access
    for (const g of cached.gpus) expect(g.terms.localGatherSec).toBeCloseTo(10.5 + 1.6875 * 0.5 + 0.25 + 0.25 * 0.125, 12);
    const sharded = evaluate(s, checkPlan({ tables: { T: [{ from: 0, to: 1, at: 'gpu', gpu: 1 }, { from: 1, to: 2, at: 'host' }] } }, s));
    // GPU 0 owns nothing: all 4 pooled bytes (1 lookup) come from the buffer
    expect(sharded.gpus[0]!.terms.localGatherSec).toBeCloseTo(1 + 0.125, 12);
    // GPU 1: its own row pooled (3 B) + update 7.5 B + served 3 B, 0.75 + 0.9375 + 0.75 accesses; the host row from the buffer
    expect(sharded.gpus[1]!.terms.localGatherSec).toBeCloseTo(13.5 + 2.4375 * 0.5 + 0.25 + 0.25 * 0.125, 12);
    // total HBM traffic is still reported in full
    expect(sharded.gpus[0]!.bytes.hbm).toBeCloseTo(4, 12);
  });

  it('dedup: a fixed cost per table deduplicated plus a cost per lookup (cost-model.md §2)', () => {
    const s = buildScenario({ ...base, devices: { ...base.devices, dedupLatencySec: 0.5 } }, { baseDir: '.', file: 'hand.json' });
    const coalesced = evaluate(s, checkPlan({ tables: { T: [{ from: 0, to: 2, at: 'host' }] } }, s));
    // one table, one lookup per worker at 0.125 s, plus 0.5 s for the table's dedup call
    for (const g of coalesced.gpus) expect(g.terms.dedupSec).toBeCloseTo(0.125 + 0.5, 12);
    const plain = evaluate(s, checkPlan({ coalesce: false, tables: { T: [{ from: 0, to: 2, at: 'host' }] } }, s));
    for (const g of plain.gpus) expect(g.terms.dedupSec).toBe(0);
  });

  it('dedup per distinct id: E[U] = sum_i f_K(p_i) per table and worker (cost-model.md §2)', () => {
    // K_w = 1 per worker: E[U] = f_1(0.75) + f_1(0.25) = 1 exactly; at batch 4 (K_w = 2), 0.9375 + 0.4375 = 1.375
    const s = buildScenario({ ...base, devices: { ...base.devices, dedupSecondsPerDistinctRow: 2 } }, { baseDir: '.', file: 'hand.json' });
    const plan = checkPlan({ tables: { T: [{ from: 0, to: 2, at: 'host' }] } }, s);
    for (const g of evaluate(s, plan).gpus) expect(g.terms.dedupSec).toBeCloseTo(0.125 + 2 * 1, 12);
    const s4 = buildScenario({ ...base, devices: { ...base.devices, dedupSecondsPerDistinctRow: 2 }, training: { ...base.training, globalBatch: 4 } }, { baseDir: '.', file: 'hand.json' });
    for (const g of evaluate(s4, checkPlan({ tables: { T: [{ from: 0, to: 2, at: 'host' }] } }, s4)).gpus) expect(g.terms.dedupSec).toBeCloseTo(2 * 0.125 + 2 * 1.375, 12);
    // uniform over n rows: E[U] = n (1 - (1 - 1/n)^K), the same whatever the placement
    const u = buildScenario(
      { ...base, tables: [{ name: 'T', rows: 1000, dim: 1, bytesPerElement: 4, pooling: 300, distribution: { kind: 'uniform' } }], devices: { ...base.devices, gpuMemoryBytes: 1e6, hostMemoryBytes: 1e6, dedupSecondsPerLookup: 0, dedupSecondsPerDistinctRow: 1 } },
      { baseDir: '.', file: 'u.json' },
    );
    const expected = -1000 * Math.expm1(300 * Math.log1p(-1 / 1000));
    for (const p of [[{ from: 0, to: 1000, at: 'host' }], [{ from: 0, to: 10, at: 'replicated' }, { from: 10, to: 1000, at: 'host' }]])
      for (const g of evaluate(u, checkPlan({ tables: { T: p } }, u)).gpus) expect(g.terms.dedupSec / expected).toBeCloseTo(1, 9);
    const plain = evaluate(u, checkPlan({ coalesce: false, tables: { T: [{ from: 0, to: 1000, at: 'host' }] } }, u));
    for (const g of plain.gpus) expect(g.terms.dedupSec).toBe(0);
  });

  it('full overlap takes the busiest resource', () => {
    const s = scenarioOf({ overlap: 'full' });
    const plan = checkPlan({ tables: { T: [{ from: 0, to: 1, at: 'replicated' }, { from: 1, to: 2, at: 'host' }] } }, s);
    expect(evaluate(s, plan).iterationSec).toBeCloseTo(11.5, 12);
  });

  it('a row sharded on GPU 1 is served to GPU 0 over the all-to-all', () => {
    const s = scenarioOf();
    const plan = checkPlan({ tables: { T: [{ from: 0, to: 1, at: 'gpu', gpu: 1 }, { from: 1, to: 2, at: 'host' }] } }, s);
    const e = evaluate(s, plan);
    // GPU 1 sends f_1(0.75) r = 3 B to GPU 0 at 1.25 B/s = 2.4 s per phase; two phases plus two latencies
    expect(e.gpus[0]!.terms.allToAllSec).toBeCloseTo(4.82, 12);
    expect(e.gpus[1]!.terms.allToAllSec).toBeCloseTo(4.82, 12);
    // GPU 1 HBM: pooling 4 + update 7.5 + serving 3 = 14.5; GPU 0: pooling 4
    expect(e.gpus[1]!.terms.localGatherSec).toBeCloseTo(14.5, 12);
    expect(e.gpus[0]!.terms.localGatherSec).toBeCloseTo(4, 12);
    expect(e.gpus[0]!.memoryUsedBytes).toBe(0);
    expect(e.gpus[1]!.memoryUsedBytes).toBe(4);
    expect(e.gpus[0]!.terms.allReduceSec).toBe(0);
    expect(e.bottleneckGpu).toBe(1);
  });

  it('without coalescing every lookup moves its row and nothing is deduplicated', () => {
    const s = scenarioOf();
    const plan = checkPlan({ coalesce: false, tables: { T: [{ from: 0, to: 2, at: 'host' }] } }, s);
    const e = evaluate(s, plan);
    // each worker moves K_w * mass = 1 row: (2 r + 8) = 16 B at 2 B/s + 2 latencies
    expect(e.gpus[0]!.terms.hostLinkSec).toBeCloseTo(8.02, 12);
    expect(e.gpus[0]!.terms.dedupSec).toBe(0);
    // host DRAM: gathers 2 * 4 = 8 B, update K_global * mass * 2 r = 2 * 8 = 16 B, at 11 B/s
    expect(e.gpus[0]!.terms.hostGatherSec).toBeCloseTo(24 / 11, 12);
  });

  it('an over-full GPU is reported with its shortfall, not hidden', () => {
    const s = buildScenario({ ...base, devices: { ...base.devices, gpuMemoryBytes: 6 } }, { baseDir: '.', file: 'hand.json' });
    const plan = checkPlan({ tables: { T: [{ from: 0, to: 2, at: 'replicated' }] } }, s);
    const e = evaluate(s, plan);
    expect(e.feasible).toBe(false);
    expect(e.shortfalls.map((x) => x.resource)).toEqual(['gpu0 memory', 'gpu1 memory']);
    expect(e.shortfalls[0]!.needed).toBe(8);
    expect(e.shortfalls[0]!.available).toBe(6);
  });

  it('activations reserve GPU memory per sample', () => {
    const s = scenarioOf({ activationBytesPerSample: 10 });
    const plan = checkPlan({ tables: { T: [{ from: 0, to: 2, at: 'host' }] } }, s);
    expect(evaluate(s, plan).gpus[0]!.memoryCapacityBytes).toBe(90);
  });
});
