import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibratedScenario } from '../../src/calibrate/stage.js';
import { evaluate } from '../../src/model/evaluate.js';
import { loadPlans } from '../../src/model/plan.js';
import { loadScenario, withGlobalBatch } from '../../src/model/scenario.js';
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
  it("runs and predicts at the plan's recorded batch; --batch pins it; the batch used is in the output", () => {
    // issue 16: a plan carries the batch it was made for; validate ran it at the scenario's (4096)
    const dir = mkdtempSync(join(tmpdir(), 'scarec-validate-'));
    const planFile = join(dir, 'cache16k.plan.json');
    writeFileSync(planFile, JSON.stringify({ ...JSON.parse(readFileSync(f('cache.plan.json'), 'utf8')), batch: 16384 }));
    const scenario = loadScenario(f('small.json'));
    const profile = deviceProfileSchema.parse(JSON.parse(readFileSync(f('cpu-profile.json'), 'utf8')));
    const plan = loadPlans(planFile, scenario).plans[0]!;
    const predictedAt = (B: number) => evaluate(calibratedScenario(withGlobalBatch(scenario, B), profile), plan).iterationSec;
    // the model's time grows with the batch: the three batches below give three different predictions
    expect(predictedAt(16384)).toBeGreaterThan(predictedAt(4096) * 1.5);
    for (const [extra, batch, source] of [[[], 16384, 'plan'], [['--batch', '8192'], 8192, 'pinned']] as const) {
      const r = runCli(['validate', f('small.json'), '--plan', planFile, '--profile', f('cpu-profile.json'), '--iterations', '2', ...extra, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.batch).toBe(batch);
      expect(j.batchSource).toBe(source);
      expect(j.result.predictedSec / predictedAt(batch)).toBeCloseTo(1, 9);
    }
    // --against (no recorded batch) runs at --plan's batch too: its prediction is the host plan's at 16384
    const a = runCli(['validate', f('small.json'), '--plan', planFile, '--against', f('host.plan.json'), '--profile', f('cpu-profile.json'), '--iterations', '2', '--json']);
    expect(a.code, a.stderr).toBe(0);
    const ja = JSON.parse(a.stdout);
    expect(ja.batch).toBe(16384);
    expect(ja.againstRecordedBatch).toBeNull();
    const host = loadPlans(f('host.plan.json'), scenario).plans[0]!;
    expect(ja.against.predictedSec / evaluate(calibratedScenario(withGlobalBatch(scenario, 16384), profile), host).iterationSec).toBeCloseTo(1, 9);
    // the text form names the batch and where it came from
    const t = runCli(['validate', f('small.json'), '--plan', planFile, '--profile', f('cpu-profile.json'), '--iterations', '2']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/at batch 16384, as the plan records/);
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
  it.skipIf(skipTorch)(`--batch pins the batch PyTorch runs and the prediction uses${torchSkipNote}`, () => {
    const r = runCli(['validate', f('small.json'), '--plan', f('cache.plan.json'), '--profile', f('cpu-profile.json'), '--backend', 'torch', '--iterations', '2', '--batch', '8192', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.batch).toBe(8192);
    expect(j.batchSource).toBe('pinned');
    expect(j.result.batch).toBe(8192);
    const scenario = loadScenario(f('small.json'));
    const profile = deviceProfileSchema.parse(JSON.parse(readFileSync(f('cpu-profile.json'), 'utf8')));
    const ev = evaluate(calibratedScenario(withGlobalBatch(scenario, 8192), profile), loadPlans(f('cache.plan.json'), scenario).plans[0]!);
    expect(j.result.predictedSec / ev.iterationSec).toBeCloseTo(1, 9);
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
