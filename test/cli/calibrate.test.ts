import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceProfileSchema } from '../../src/model/schema.js';
import { runCli } from '../helpers/cli.js';

describe('scarec calibrate', () => {
  it('--quick on cpu writes a valid profile with every result correct, under 60 s', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scarec-cal-')), 'p.json');
    const t0 = Date.now();
    const r = runCli(['calibrate', '--backend', 'cpu', '--quick', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((Date.now() - t0) / 1e3).toBeLessThan(60);
    const p = JSON.parse(readFileSync(out, 'utf8'));
    expect(deviceProfileSchema.safeParse(p).success).toBe(true);
    expect(p.incorrect).toBe(0);
    for (const k of ['gpuGatherBytesPerSec', 'hostGatherBytesPerSec', 'hostToGpuBytesPerSec', 'latencySec', 'dedupSecondsPerLookup'])
      expect(Number.isFinite(p.constants[k])).toBe(true);
    expect(p.gatherEfficiency).toBeGreaterThan(0);
    expect(JSON.parse(r.stdout).constants).toEqual(p.constants);
  }, 120_000);
  it('an unknown backend is a usage error (exit 2)', () => {
    const r = runCli(['calibrate', '--backend', 'tpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown backend "tpu"/);
  });
});
