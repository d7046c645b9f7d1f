import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, makeInputs, VARIANTS } from '../../bench/gpu/make-inputs.js';
import { loadPlans } from '../../src/model/plan.js';
import { loadScenario } from '../../src/model/scenario.js';
import { predictFromCoefficients, predictionsFile, STAGE_TERMS, type PlanCoefficients } from '../../src/calibrate/torch.js';
import { repoRoot } from '../helpers/cli.js';
import { runPython, skipTorch, torchSkipNote } from '../helpers/torch.js';

const inputs = join(repoRoot, 'bench', 'gpu', 'inputs');

describe('bench/gpu inputs', () => {
  it('the committed scenario and baseline plans are what bench/gpu/make-inputs.ts makes now; every committed plan is valid and predictions.json is computed from the committed plans', async () => {
    // greedy works to a wall-clock budget and exact to a time limit, so their plans may differ from machine to
    // machine (equally good); the test checks the committed ones for consistency instead of regenerating them
    const deterministic = new Set(['B0.json', 'B1.json', 'B3.json']);
    for (const v of VARIANTS) {
      const dir = mkdtempSync(join(tmpdir(), `scarec-gpu-${v.name}-`));
      await makeInputs(v, dir);
      for (const f of ['scenario.json', ...readdirSync(join(dir, 'plans')).filter((p) => deterministic.has(p)).map((p) => `plans/${p}`)])
        expect(readFileSync(join(inputs, v.name, f), 'utf8'), `${v.name}/${f}`).toBe(readFileSync(join(dir, f), 'utf8'));
      const scenario = loadScenario(join(inputs, v.name, 'scenario.json'));
      const plans = ALGORITHMS.map(({ key }) => loadPlans(join(inputs, v.name, 'plans', `${key}.json`), scenario).plans[0]!);
      const committed = JSON.parse(readFileSync(join(inputs, v.name, 'predictions.json'), 'utf8'));
      expect(committed).toEqual(JSON.parse(JSON.stringify(predictionsFile(scenario, plans))));
    }
  }, 180_000);
});

describe.skipIf(skipTorch)(`bench/gpu/experiment.py end to end on the CPU (tiny Terabyte-shaped inputs)${torchSkipNote}`, () => {
  it('calibrates, runs B0, B1, B3, greedy and exact, writes measured and predicted samples/s and speedups over B0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-exp-'));
    const out = join(dir, 'result.json');
    const r = runPython([join(repoRoot, 'bench', 'gpu', 'experiment.py'), '--device', 'cpu', '--inputs', join(inputs, 'cpu-tiny'), '--table-mb', '8', '--iterations', '2', '--warmup', '1', '--out', out], 240_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.kind).toBe('scarec-gpu-experiment');
    expect(doc.plans.map((p: { plan: string }) => p.plan)).toEqual(['B0', 'B1', 'B3', 'greedy', 'exact']);
    const profile = JSON.parse(readFileSync(join(dir, 'result.profile.json'), 'utf8'));
    expect(profile.backend).toBe('torch-cpu');
    const pred = JSON.parse(readFileSync(join(inputs, 'cpu-tiny', 'predictions.json'), 'utf8'));
    const consts = { ...pred.scenarioConstants, ...profile.constants };
    if (profile.constants.gpuBufferGatherBytesPerSec === undefined) consts.gpuBufferGatherBytesPerSec = consts.gpuGatherBytesPerSec;
    doc.plans.forEach((p: Record<string, number>, i: number) => {
      for (const k of ['measuredSamplesPerSec', 'predictedSamplesPerSec', 'measuredSpeedupOverB0', 'predictedSpeedupOverB0', 'speedupError', 'throughputError']) {
        expect(Number.isFinite(p[k]), `${p.plan} ${k}`).toBe(true);
      }
      expect(p.measuredSamplesPerSec).toBeGreaterThan(0);
      // the prediction is the scarec model's for the profile just calibrated (the TypeScript dot product agrees)
      const terms = predictFromCoefficients(pred.plans[i] as PlanCoefficients, consts)[0]!;
      const sec = STAGE_TERMS.reduce((s, t) => s + terms[t], 0);
      expect(p.predictedSamplesPerSec / (1024 / sec)).toBeCloseTo(1, 9);
    });
    expect(doc.plans[0].measuredSpeedupOverB0).toBe(1);
    expect(doc.seconds.total).toBeLessThan(doc.seconds.budget);
  }, 240_000);
});
