import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

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
