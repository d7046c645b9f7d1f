import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceProfileSchema } from '../../src/model/schema.js';
import { runCli } from '../helpers/cli.js';

describe('scarec calibrate', () => {
  it('--quick on cpu writes a valid profile with every result correct, every constant of the README finite and fitted, with confidence intervals', () => {
    // No time assertion: speed is measured by `npm run bench` (calibrate section), not by the test suite.
    const out = join(mkdtempSync(join(tmpdir(), 'scarec-cal-')), 'p.json');
    const r = runCli(['calibrate', '--backend', 'cpu', '--quick', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = JSON.parse(readFileSync(out, 'utf8'));
    expect(deviceProfileSchema.safeParse(p).success).toBe(true);
    expect(p.incorrect).toBe(0);
    // every constant the README's device-profile format lists (issue 17: a quick profile validate can use)
    const listed = ['gpuGatherBytesPerSec', 'gpuGatherSecondsPerRow', 'gpuBufferGatherBytesPerSec', 'gpuBufferGatherSecondsPerRow', 'hostGatherBytesPerSec', 'hostGatherSecondsPerRow', 'hostToGpuBytesPerSec', 'gpuToGpuBytesPerSec', 'latencySec', 'dedupSecondsPerLookup', 'dedupLatencySec'];
    for (const k of listed) {
      expect(Number.isFinite(p.constants[k]), k).toBe(true);
      expect(p.constants[k], k).toBeGreaterThanOrEqual(0);
      // a stated bound, never the schema ceiling used as if measured (issue 14)
      expect(p.constants[k], k).toBeLessThan(1e15);
      const ci = p.confidence.intervals[k];
      expect(ci.low, k).toBeLessThanOrEqual(ci.high);
    }
    // each fitted from at least two points (issue 17)
    for (const f of ['gpuGather', 'hostGather', 'bufferGather', 'dedup', 'hostToDevice', 'deviceToDevice']) expect(p.fits[f].points, f).toBeGreaterThanOrEqual(2);
    expect(p.confidence.rounds).toBe(p.sweep.rounds);
    expect(p.gatherEfficiency).toBeGreaterThan(0);
    expect(JSON.parse(r.stdout).constants).toEqual(p.constants);
    // issue 17: validate takes the quick profile as it is
    const fx = 'test/calibrate/fixtures';
    const v = runCli(['validate', `${fx}/small.json`, '--plan', `${fx}/cache.plan.json`, '--profile', out, '--iterations', '3', '--json']);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).result.predictedSec).toBeGreaterThan(0);
  }, 240_000);
  it('an unknown backend is a usage error (exit 2)', () => {
    const r = runCli(['calibrate', '--backend', 'tpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown backend "tpu"/);
  });
});
