import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { calibratedScenario } from '../../src/calibrate/stage.js';
import { evaluate } from '../../src/model/evaluate.js';
import { loadPlans } from '../../src/model/plan.js';
import { loadScenario } from '../../src/model/scenario.js';
import { deviceProfileSchema } from '../../src/model/schema.js';
import { runCli } from '../helpers/cli.js';
import { skipTorch, torchSkipNote } from '../helpers/torch.js';

const f = (x: string) => `test/calibrate/fixtures/${x}`;

describe('scarec validate', () => {
  it('prints measured and predicted time, a finite error and the speedup with --against', () => {
    const r = runCli(['validate', f('small.json'), '--plan', f('cache.plan.json'), '--against', f('host.plan.json'), '--profile', f('cpu-profile.json'), '--iterations', '3', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const v of [j.result.measuredSec, j.result.predictedSec, j.result.relativeError, j.measuredSpeedup, j.predictedSpeedup, j.speedupError])
      expect(Number.isFinite(v)).toBe(true);
  });
  it('bad input names the file and exits 2; a backend without a device stage (gpujs) exits 4 with one line', () => {
    const r = runCli(['validate', f('small.json'), '--plan', f('nope.json'), '--profile', f('cpu-profile.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.json/);
    const g = runCli(['validate', f('small.json'), '--plan', f('host.plan.json'), '--profile', f('cpu-profile.json'), '--backend', 'gpujs']);
    expect(g.code).toBe(4);
    expect(g.stderr.trim().split('\n')).toHaveLength(1);
    expect(g.stderr).toMatch(/gpujs/);
  });
  it('runs the stage on webgpu where an adapter exists (lavapipe in CI), or says in one line why not (exit 4)', () => {
    const w = runCli(['validate', f('small.json'), '--plan', f('cache.plan.json'), '--profile', f('cpu-profile.json'), '--backend', 'webgpu', '--iterations', '2', '--json']);
    if (w.code === 4) {
      expect(w.stderr).toMatch(/webgpu is unavailable/);
      return;
    }
    expect(w.code).toBe(0);
    const j = JSON.parse(w.stdout);
    expect(j.backend).toBe('webgpu');
    expect(j.result.hostRowsPerIteration).toBeGreaterThan(0);
    expect(Number.isFinite(j.result.relativeError)).toBe(true);
  });
});

describe('scarec validate --backend torch', () => {
  it('without a python3 that has torch: one line, exit 4', () => {
    const r = runCli(['validate', f('small.json'), '--plan', f('host.plan.json'), '--profile', f('cpu-profile.json'), '--backend', 'torch'], { env: { SCAREC_PYTHON: '/nonexistent/python3' } });
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/torch is unavailable: \/nonexistent\/python3: not found/);
  });
  it.skipIf(skipTorch)(`runs both plans in PyTorch: every phase timed, the prediction is evaluate() on the calibrated scenario${torchSkipNote}`, () => {
    const r = runCli(['validate', f('small.json'), '--plan', f('cache.plan.json'), '--against', f('host.plan.json'), '--profile', f('cpu-profile.json'), '--backend', 'torch', '--iterations', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.backend).toBe('torch');
    const scenario = loadScenario(f('small.json'));
    const profile = deviceProfileSchema.parse(JSON.parse(readFileSync(f('cpu-profile.json'), 'utf8')));
    for (const [res, file] of [[j.result, 'cache.plan.json'], [j.against, 'host.plan.json']] as const) {
      expect(Object.keys(res.phases).sort()).toEqual(['allReduce', 'allToAll', 'backward', 'bookkeeping', 'dedup', 'deviceGather', 'hostGather', 'hostLink', 'pooling', 'update']);
      expect(res.measuredSec).toBeGreaterThan(0);
      const ev = evaluate(calibratedScenario(scenario, profile), loadPlans(f(file), scenario).plans[0]!);
      expect(res.predictedSec / ev.iterationSec).toBeCloseTo(1, 9);
      expect(res.counts.hostRows).toBeGreaterThan(0);
    }
    expect(j.against.counts.hostRows).toBeGreaterThan(j.result.counts.hostRows); // the cache plan keeps hot rows off the host
    for (const v of [j.measuredSpeedup, j.predictedSpeedup, j.speedupError]) expect(Number.isFinite(v)).toBe(true);
  });
  it.skipIf(skipTorch)(`two workers (gloo): peers' rows by all-to-all, the model's all-to-all term predicted${torchSkipNote}`, () => {
    const t = (x: string) => `test/torch/fixtures/${x}`;
    const r = runCli(['validate', t('two-gpu.json'), '--plan', t('two-gpu.mixed.plan.json'), '--profile', f('cpu-profile.json'), '--backend', 'torch', '--iterations', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout).result;
    expect(res.ranks).toBe(2);
    expect(res.counts.peerRows).toBeGreaterThan(0);
    expect(res.phases.allToAll).toBeGreaterThan(0);
    expect(res.phases.allReduce).toBeGreaterThan(0);
    expect(res.predictedTerms.allToAllSec).toBeGreaterThan(0);
    expect(res.predictedTerms.allReduceSec).toBeGreaterThan(0);
  });
});
