import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibratedScenario } from '../../src/calibrate/stage.js';
import { predictFromCoefficients, predictionCoefficients, predictionsFile, STAGE_TERMS, torchConstants, torchPython, TORCH_CONSTANTS } from '../../src/calibrate/torch.js';
import { BackendError } from '../../src/errors.js';
import { evaluate } from '../../src/model/evaluate.js';
import { loadPlans } from '../../src/model/plan.js';
import { buildScenario, loadScenario, withGlobalBatch } from '../../src/model/scenario.js';
import { deviceProfileSchema } from '../../src/model/schema.js';
import { readJsonFile } from '../../src/model/validate.js';
import { repoRoot } from '../helpers/cli.js';
import { runPython, skipTorch, torchSkipNote } from '../helpers/torch.js';

const fx = (x: string) => join(repoRoot, 'test', 'calibrate', 'fixtures', x);
const profile = deviceProfileSchema.parse(readJsonFile(fx('cpu-profile.json'), 'profile'));

/** A 4-GPU scenario with every class in use (replicated head, shards, host tail) and its plan. */
function fourGpu() {
  const scenario = buildScenario(
    {
      name: 'four',
      tables: [
        { name: 'a', rows: 100000, dim: 16, pooling: 2, distribution: { kind: 'zipf', alpha: 1.05 } },
        { name: 'b', rows: 50000, dim: 32, pooling: 1, optimizerBytesPerRow: 4, distribution: { kind: 'uniform' } },
      ],
      devices: { gpus: 4, gpuMemoryBytes: 1e9, gpuGatherBytesPerSec: 1e12, hostMemoryBytes: 1e11, hostGatherBytesPerSec: 1e11 },
      links: { hostToGpuBytesPerSec: 2e10, gpuToGpuBytesPerSec: 1e11, latencySec: 1e-5 },
      training: { globalBatch: 4096 },
    },
    { file: 'four.json', baseDir: repoRoot },
  );
  const ranges = (rows: number) => [
    { from: 0, to: rows / 10, at: 'replicated' as const },
    { from: rows / 10, to: rows / 5, at: 'gpu' as const, gpu: 1 },
    { from: rows / 5, to: rows / 2, at: 'gpu' as const, gpu: 3 },
    { from: rows / 2, to: rows, at: 'host' as const },
  ];
  const plan = { name: 'mixed', coalesce: true, tables: { a: ranges(100000), b: ranges(50000) } };
  return { scenario, plan };
}

describe('torch stage predictions: coefficients read off evaluate', () => {
  it('coefficients x the profile constants = evaluate() on the calibrated scenario, per GPU and term (fixture plans)', () => {
    const scenario = loadScenario(fx('small.json'));
    const consts = torchConstants(profile);
    for (const f of ['cache.plan.json', 'host.plan.json']) {
      const plan = loadPlans(fx(f), scenario).plans[0]!;
      const pred = predictFromCoefficients(predictionCoefficients(scenario, plan), consts);
      const ev = evaluate(calibratedScenario(scenario, profile), plan);
      for (const t of STAGE_TERMS) expect(pred[0]![t]).toBeCloseTo(ev.gpus[0]!.terms[t], 15);
      const total = STAGE_TERMS.reduce((s, t) => s + pred[0]![t], 0);
      expect(total / ev.iterationSec).toBeCloseTo(1, 12);
      expect(ev.iterationSec).toBeGreaterThan(0);
    }
  });
  it('four GPUs, every class and both latencies, random constants: the dot product equals evaluate (all-to-all and all-reduce included)', () => {
    const { scenario, plan } = fourGpu();
    const checked = loadPlansFromObject(scenario, plan);
    const coefs = predictionCoefficients(scenario, checked);
    for (let trial = 0; trial < 5; trial++) {
      const c = Object.fromEntries(TORCH_CONSTANTS.map((k, i) => [k, k.endsWith('BytesPerSec') ? 10 ** (9 + ((i * 7 + trial * 3) % 4)) : 1e-9 * (1 + ((i + trial) % 5))])) as Record<(typeof TORCH_CONSTANTS)[number], number>;
      const s = {
        ...scenario,
        gpus: scenario.gpus.map((g) => ({ ...g, gatherBytesPerSec: c.gpuGatherBytesPerSec, gatherSecondsPerRow: c.gpuGatherSecondsPerRow, bufferGatherBytesPerSec: c.gpuBufferGatherBytesPerSec, bufferGatherSecondsPerRow: c.gpuBufferGatherSecondsPerRow, hostToGpuBytesPerSec: c.hostToGpuBytesPerSec, denseSecondsPerSample: 0 })),
        host: { ...scenario.host, gatherBytesPerSec: c.hostGatherBytesPerSec, gatherSecondsPerRow: c.hostGatherSecondsPerRow },
        links: { ...scenario.links, gpuToGpuBytesPerSec: c.gpuToGpuBytesPerSec, latencySec: c.latencySec },
        training: { ...scenario.training, dedupSecondsPerLookup: c.dedupSecondsPerLookup, dedupLatencySec: c.dedupLatencySec, dedupSecondsPerDistinctRow: c.dedupSecondsPerDistinctRow },
      };
      const ev = evaluate(s, checked);
      const pred = predictFromCoefficients(coefs, c);
      for (let w = 0; w < 4; w++) for (const t of STAGE_TERMS) expect(Math.abs(pred[w]![t] - ev.gpus[w]!.terms[t])).toBeLessThanOrEqual(1e-12 * Math.max(1e-9, ev.gpus[w]!.terms[t]));
      expect(ev.gpus[0]!.terms.allToAllSec).toBeGreaterThan(0);
      expect(ev.gpus[0]!.terms.allReduceSec).toBeGreaterThan(0);
    }
  });
  it("a plan's own batch is the batch predicted for (else the scenario's)", () => {
    const scenario = loadScenario(fx('small.json'));
    const plan = { ...loadPlans(fx('host.plan.json'), scenario).plans[0]!, batch: 1024 };
    const coefs = predictionCoefficients(scenario, plan);
    expect(coefs.batch).toBe(1024);
    const ev = evaluate(calibratedScenario(withGlobalBatch(scenario, 1024), profile), plan);
    expect(predictFromCoefficients(coefs, torchConstants(profile))[0]!.hostGatherSec / ev.gpus[0]!.terms.hostGatherSec).toBeCloseTo(1, 12);
  });
  it('no torch: one BackendError line naming the interpreter (exit 4 in the CLI)', () => {
    expect(() => torchPython({ SCAREC_PYTHON: '/nonexistent/python3' })).toThrow(BackendError);
    expect(() => torchPython({ SCAREC_PYTHON: '/nonexistent/python3' })).toThrow(/\/nonexistent\/python3: not found/);
  });
});

function loadPlansFromObject(scenario: ReturnType<typeof buildScenario>, plan: object) {
  const dir = mkdtempSync(join(tmpdir(), 'scarec-plan-'));
  writeFileSync(join(dir, 'p.json'), JSON.stringify(plan));
  return loadPlans(join(dir, 'p.json'), scenario).plans[0]!;
}

describe.skipIf(skipTorch)(`python/scarec_torch/predict.py = predictFromCoefficients${torchSkipNote}`, () => {
  it('the Python dot product gives the same terms as TypeScript (the GPU machine predicts without Node)', () => {
    const { scenario, plan } = fourGpu();
    const checked = loadPlansFromObject(scenario, plan);
    const file = predictionsFile(scenario, [checked], profile);
    const dir = mkdtempSync(join(tmpdir(), 'scarec-pred-'));
    writeFileSync(join(dir, 'pred.json'), JSON.stringify(file));
    const code = `import json, sys; sys.path.insert(0, 'python')
from scarec_torch.predict import constants_of, predict_plan
f = json.load(open(${JSON.stringify(join(dir, 'pred.json'))}))
print(json.dumps(predict_plan(f['plans'][0], constants_of(f['constants'], f['scenarioConstants']))))`;
    const r = runPython(['-c', code]);
    expect(r.stderr).toBe('');
    const py = r.json() as Array<Record<string, number>>;
    const ts = predictFromCoefficients(file.plans[0]!, { ...file.scenarioConstants, ...file.constants });
    expect(py).toHaveLength(4);
    for (let w = 0; w < 4; w++) for (const t of STAGE_TERMS) expect(py[w]![t]! / (ts[w]![t] || 1)).toBeCloseTo(ts[w]![t] ? 1 : 0, 12);
  });
});
