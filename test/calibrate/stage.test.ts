import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBackend } from '../../src/calibrate/open.js';
import { calibratedScenario, compareStages, measureStage, measureStages, phasesFromCounts, stageConstants } from '../../src/calibrate/stage.js';
import { evaluate } from '../../src/model/evaluate.js';
import { loadPlans } from '../../src/model/plan.js';
import { loadScenario } from '../../src/model/scenario.js';
import { deviceProfileSchema } from '../../src/model/schema.js';
import { readJsonFile } from '../../src/model/validate.js';

const dir = join(__dirname, 'fixtures');
const scenario = loadScenario(join(dir, 'small.json'));
const profile = deviceProfileSchema.parse(readJsonFile(join(dir, 'cpu-profile.json')));
const plan = (f: string) => loadPlans(join(dir, f), scenario).plans[0]!;

describe('measured embedding stage (validate)', () => {
  it('gives finite measured and predicted times and a finite error; host rows match the expectation', async () => {
    const m = await measureStage(scenario, plan('cache.plan.json'), profile, { iterations: 5 });
    for (const v of [m.measuredSec, m.predictedSec, m.relativeError, ...Object.values(m.phases), ...Object.values(m.predictedPhases)])
      expect(Number.isFinite(v)).toBe(true);
    expect(m.measuredSec).toBeGreaterThan(0);
    expect(m.predictedSec).toBeGreaterThan(0);
    // the sampled batches fetch as many host rows as E[U] says: 5 iterations, sd of the mean well under 1%
    expect(Math.abs(m.hostRowsPerIteration / m.predictedHostRowsPerIteration - 1)).toBeLessThan(0.02);
  });
  it('the prediction is evaluate() on the profile constants, serial, no dense compute', async () => {
    const s = calibratedScenario(scenario, profile);
    expect(s.gpus[0]!.gatherBytesPerSec).toBe(profile.constants.gpuGatherBytesPerSec);
    expect(s.training.overlap).toBe('serial');
    const m = await measureStage(scenario, plan('host.plan.json'), profile, { iterations: 2 });
    expect(m.predictedSec).toBeCloseTo(evaluate(s, plan('host.plan.json')).iterationSec, 15);
    expect(m.predictedPhases.localGatherSec).toBeGreaterThan(0);
  });
  it('the speedup comparison divides the right way', async () => {
    const a = await measureStage(scenario, plan('cache.plan.json'), profile, { iterations: 2 });
    const b = await measureStage(scenario, plan('host.plan.json'), profile, { iterations: 2 });
    const c = compareStages(a, b);
    expect(c.measuredSpeedup).toBeCloseTo(b.measuredSec / a.measuredSec, 12);
    expect(c.predictedSpeedup).toBeCloseTo(b.predictedSec / a.predictedSec, 12);
    // the cache plan moves fewer host rows, so the model predicts it faster
    expect(c.predictedSpeedup).toBeGreaterThan(1);
    expect(Number.isFinite(c.relativeError)).toBe(true);
  });

  it('counts what the model counts: with realised counts equal to expectations, constants*counts equal evaluate()', async () => {
    const [a, b] = await measureStages(scenario, [plan('cache.plan.json'), plan('host.plan.json')], profile, { iterations: 8, warmup: 1 });
    for (const m of [a!, b!]) {
      // dedup counts are exact (K per table); host rows within 2% of E[U]; every phase then agrees within 3%
      expect(m.counts.dedupLookups).toBe(4096 * (2 + 1 + 4));
      expect(m.counts.dedupCalls).toBe(3);
      expect(m.countedPhases.dedupSec).toBeCloseTo(m.predictedPhases.dedupSec, 12);
      for (const k of ['hostGatherSec', 'hostLinkSec', 'localGatherSec'] as const)
        expect(Math.abs(m.countedPhases[k] / m.predictedPhases[k] - 1)).toBeLessThan(0.03);
      // host memory: a gather and an update per fetched row, 3 r bytes
      expect(m.counts.hostAccesses).toBeCloseTo(2 * m.counts.hostRows, 9);
    }
    // the host plan pools every lookup from device memory and updates nothing there
    expect(b!.counts.deviceAccesses).toBe(4096 * 7);
    expect(b!.counts.deviceBytes).toBe(4096 * (2 * 64 + 1 * 256 + 4 * 128));
    // ... and every one of those reads is of a row just fetched from the host: all from the receive buffer
    expect(b!.counts.bufferAccesses).toBe(b!.counts.deviceAccesses);
    expect(b!.counts.bufferBytes).toBe(b!.counts.deviceBytes);
    // the cache plan reads from the buffer exactly the lookups of host rows: E = K * (host mass), per table
    const cache = plan('cache.plan.json');
    const expectedBufferLookups = scenario.tables.reduce(
      (sum, t) => sum + cache.tables[t.name]!.filter((r) => r.at === 'host').reduce((m, r) => m + 4096 * t.pooling * t.distribution.mass(r.from, r.to).value, 0),
      0,
    );
    expect(Math.abs(a!.counts.bufferAccesses / expectedBufferLookups - 1)).toBeLessThan(0.03);
    expect(a!.counts.bufferAccesses).toBeLessThan(a!.counts.deviceAccesses);
  });
  it('phasesFromCounts is each constant times its count', async () => {
    const c = { ...stageConstants(profile), dedupSecondsPerDistinctRow: 7e-8 };
    const n = { dedupLookups: 10, dedupCalls: 3, dedupDistinctRows: 5, hostAccesses: 4, hostBytes: 1000, linkBytes: 500, deviceAccesses: 7, deviceBytes: 2000, bufferAccesses: 3, bufferBytes: 600, hostRows: 2 };
    const p = phasesFromCounts(c, n, true);
    expect(p.dedupSec).toBeCloseTo(10 * c.dedupSecondsPerLookup + 3 * c.dedupLatencySec + 5 * 7e-8, 20);
    expect(p.hostGatherSec).toBeCloseTo(1000 / c.hostGatherBytesPerSec + 4 * c.hostGatherSecondsPerRow, 20);
    expect(p.hostLinkSec).toBeCloseTo(500 / c.hostToGpuBytesPerSec + 2 * c.latencySec, 20);
    // 4 table reads (1400 bytes) at the gather constants, 3 buffer reads (600 bytes) at the buffer constants
    expect(p.localGatherSec).toBeCloseTo(
      1400 / c.gpuGatherBytesPerSec + 4 * c.gpuGatherSecondsPerRow + 600 / c.gpuBufferGatherBytesPerSec + 3 * c.gpuBufferGatherSecondsPerRow,
      20,
    );
    expect(phasesFromCounts(c, n, false).hostLinkSec).toBe(0);
  });
});

// Runs where a WebGPU adapter exists (CI installs Mesa 25 lavapipe).
const webgpu = await openBackend('webgpu');
describe.skipIf(!webgpu.ok)('measured embedding stage on webgpu', () => {
  it('does on the device what the cpu stage does: the same batches give the same counts and the same pooled rows', async () => {
    if (!webgpu.ok) return;
    const plans = [plan('cache.plan.json'), plan('host.plan.json')];
    const opts = { iterations: 3, warmup: 1, seed: 11 };
    try {
      const onDevice = await measureStages(scenario, plans, profile, opts, webgpu.backend.stageRunner!());
      const onCpu = await measureStages(scenario, plans, profile, opts);
      for (let i = 0; i < plans.length; i++) {
        // classification of every distinct id by the plan's ranges (a device pass) agrees with the cpu's exactly
        expect(onDevice[i]!.counts).toEqual(onCpu[i]!.counts);
        for (const v of [onDevice[i]!.measuredSec, ...Object.values(onDevice[i]!.phases)]) expect(Number.isFinite(v)).toBe(true);
        // one pooled value per table after 4 iterations of updates: equal up to f32 rounding of the updates
        expect(onDevice[i]!.checksum).toBeCloseTo(onCpu[i]!.checksum, 5);
      }
    } finally {
      await webgpu.backend.dispose();
    }
  });
});
