import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { evaluate } from '../../src/model/evaluate.js';
import { checkPlan } from '../../src/model/plan.js';
import { buildScenario, splitBatch, withGlobalBatch } from '../../src/model/scenario.js';

const opts = { baseDir: '.', file: 'h.json' };
const table = { name: 'T', rows: 2, dim: 1, bytesPerElement: 4, distribution: { kind: 'counts', counts: [1, 1] } };

describe('heterogeneous GPUs and hierarchical links', () => {
  it('splits the batch by shares as integers summing to B', () => {
    expect(splitBatch(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitBatch(7, [3, 1])).toEqual([5, 2]);
    expect(splitBatch(65536, [1, 1, 1, 1, 1, 1, 1, 1])).toEqual(Array(8).fill(8192));
  });

  it('per-GPU fields override the scenario-wide ones and batch shares set each worker batch', () => {
    const s = buildScenario(
      {
        name: 'het',
        tables: [table],
        devices: {
          gpus: 2,
          gpuMemoryBytes: 100,
          gpuGatherBytesPerSec: 10,
          hostMemoryBytes: 100,
          hostGatherBytesPerSec: 10,
          gpuList: [{ name: 'big', memoryBytes: 200, gatherBytesPerSec: 40, batchShare: 3 }, { name: 'small', batchShare: 1 }],
        },
        links: { hostToGpuBytesPerSec: 10, gpuToGpuBytesPerSec: 10 },
        training: { globalBatch: 8, denseSecondsPerSample: 1 },
      },
      opts,
    );
    expect(s.gpus.map((g) => [g.name, g.memoryBytes, g.gatherBytesPerSec, g.batchSamples])).toEqual([
      ['big', 200, 40, 6],
      ['small', 100, 10, 2],
    ]);
    const e = evaluate(s, checkPlan({ tables: { T: [{ from: 0, to: 2, at: 'replicated' }] } }, s));
    // dense: 6 and 2 samples at 1 s each; pooling reads K_w * r = 6*4 and 2*4 bytes at 40 and 10 B/s
    expect(e.gpus[0]!.terms.denseSec).toBe(6);
    expect(e.gpus[1]!.terms.denseSec).toBe(2);
    expect(e.gpus[0]!.terms.localGatherSec).toBeCloseTo((24 + 2 * 4 * 2 * (1 - 0.5 ** 8)) / 40, 12);
    expect(withGlobalBatch(s, 4).gpus.map((g) => g.batchSamples)).toEqual([3, 1]);
  });

  it('a row crossing nodes uses the NIC bandwidth, and the ring runs at the slowest link', () => {
    const s = buildScenario(
      {
        name: 'nodes',
        tables: [table],
        devices: { gpus: 4, gpuMemoryBytes: 100, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 100, hostGatherBytesPerSec: 1e9 },
        links: { hostToGpuBytesPerSec: 1e9, gpuToGpuBytesPerSec: 8, gpusPerNode: 2, interNodeBytesPerSec: 2 },
        training: { globalBatch: 4 },
      },
      opts,
    );
    expect(s.gpus.map((g) => g.node)).toEqual([0, 0, 1, 1]);
    const e = evaluate(s, checkPlan({ tables: { T: [{ from: 0, to: 1, at: 'gpu', gpu: 0 }, { from: 1, to: 2, at: 'replicated' }] } }, s));
    // each worker makes one lookup: it touches row 0 with probability 1/2, so GPU 0 sends 0.5 * 4 = 2 bytes to each peer
    // GPU 1 (same node) receives 2 B at 8 B/s; GPUs 2, 3 receive 2 B at 2 B/s; phases x2
    expect(e.gpus[1]!.terms.allToAllSec).toBeCloseTo(2 * (2 / 8), 12);
    expect(e.gpus[2]!.terms.allToAllSec).toBeCloseTo(2 * (2 / 2), 12);
    // GPU 0 sends 2/8 + 2/2 + 2/2 seconds per phase
    expect(e.gpus[0]!.terms.allToAllSec).toBeCloseTo(2 * (0.25 + 1 + 1), 12);
    // all-reduce: row 1 touched by the global batch (4 lookups) w.p. 1 - 0.5^4; 2(W-1)/W * r * that / min(8, 2)
    expect(e.gpus[3]!.terms.allReduceSec).toBeCloseTo((1.5 * 4 * (1 - 0.5 ** 4)) / 2, 12);
  });

  it('GPUs across nodes need the inter-node bandwidth; gpuList must match gpus', () => {
    const base = {
      name: 'x',
      tables: [table],
      devices: { gpus: 4, gpuMemoryBytes: 100, gpuGatherBytesPerSec: 1, hostMemoryBytes: 100, hostGatherBytesPerSec: 1 },
      links: { hostToGpuBytesPerSec: 1, gpuToGpuBytesPerSec: 1, gpusPerNode: 2 },
      training: { globalBatch: 4 },
    };
    expect(() => buildScenario(base, opts)).toThrow(InputError);
    expect(() => buildScenario(base, opts)).toThrow(/links\.interNodeBytesPerSec: required when the GPUs span 2 nodes/);
    expect(() => buildScenario({ ...base, devices: { ...base.devices, gpuList: [{}] } }, opts)).toThrow(/devices\.gpuList: has 1 entries but devices\.gpus is 4/);
  });
});
