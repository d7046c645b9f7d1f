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
  it('bad input names the file and exits 2; a non-cpu backend exits 4', () => {
    const r = runCli(['validate', f('small.json'), '--plan', f('nope.json'), '--profile', f('cpu-profile.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.json/);
    const w = runCli(['validate', f('small.json'), '--plan', f('host.plan.json'), '--profile', f('cpu-profile.json'), '--backend', 'webgpu']);
    expect(w.code).toBe(4);
  });
});
