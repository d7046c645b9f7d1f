import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibratedScenario, compareStages, measureStage } from '../../src/calibrate/stage.js';
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
  it('gives finite measured and predicted times and a finite error; host rows match the expectation', () => {
    const m = measureStage(scenario, plan('cache.plan.json'), profile, { iterations: 5 });
    for (const v of [m.measuredSec, m.predictedSec, m.relativeError, ...Object.values(m.phases), ...Object.values(m.predictedPhases)])
      expect(Number.isFinite(v)).toBe(true);
    expect(m.measuredSec).toBeGreaterThan(0);
    expect(m.predictedSec).toBeGreaterThan(0);
    // the sampled batches fetch as many host rows as E[U] says: 5 iterations, sd of the mean well under 1%
    expect(Math.abs(m.hostRowsPerIteration / m.predictedHostRowsPerIteration - 1)).toBeLessThan(0.02);
  });
  it('the prediction is evaluate() on the profile constants, serial, no dense compute', () => {
    const s = calibratedScenario(scenario, profile);
    expect(s.gpus[0]!.gatherBytesPerSec).toBe(profile.constants.gpuGatherBytesPerSec);
    expect(s.training.overlap).toBe('serial');
    const m = measureStage(scenario, plan('host.plan.json'), profile, { iterations: 2 });
    expect(m.predictedSec).toBeCloseTo(evaluate(s, plan('host.plan.json')).iterationSec, 15);
    expect(m.predictedPhases.localGatherSec).toBeGreaterThan(0);
  });
  it('the speedup comparison divides the right way', () => {
    const a = measureStage(scenario, plan('cache.plan.json'), profile, { iterations: 2 });
    const b = measureStage(scenario, plan('host.plan.json'), profile, { iterations: 2 });
    const c = compareStages(a, b);
    expect(c.measuredSpeedup).toBeCloseTo(b.measuredSec / a.measuredSec, 12);
    expect(c.predictedSpeedup).toBeCloseTo(b.predictedSec / a.predictedSec, 12);
    // the cache plan moves fewer host rows, so the model predicts it faster
    expect(c.predictedSpeedup).toBeGreaterThan(1);
    expect(Number.isFinite(c.relativeError)).toBe(true);
  });
});
