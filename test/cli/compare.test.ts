import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('scarec compare', () => {
  it('--json: one row per algorithm, speedup over B0 and gap to the proven optimum', () => {
    const r = runCli(['compare', 'test/fixtures/tiny.json', '--json', '--solver', 'glpk']);
    expect(r.code).toBe(0);
    const { rows } = JSON.parse(r.stdout);
    const by = Object.fromEntries(rows.map((x: { algorithm: string }) => [x.algorithm, x]));
    expect(Object.keys(by)).toEqual(['host', 'host-coalesced', 'tablewise-greedy', 'cache-greedy', 'greedy', 'exact']);
    expect(by.host.speedupOverB0).toBe(1);
    expect(by.exact.gapToOptimum).toBeCloseTo(0, 12);
    expect(by.exact.gapReference).toBe('optimum');
    for (const x of rows) {
      expect(x.gapToOptimum).toBeGreaterThanOrEqual(-1e-12);
      expect(x.speedupOverB0).toBeCloseTo(x.throughputSamplesPerSec / by.host.throughputSamplesPerSec, 12);
      expect(x.memoryPerGpuBytes).toHaveLength(2);
      // the certified row-level bound holds for every plan at the exact plan's batch
      if (x.gapToBound !== null) expect(x.gapToBound).toBeGreaterThanOrEqual(-1e-9);
    }
    expect(by.exact.gapToBound).not.toBeNull();
  });
  it('table output names every algorithm', () => {
    const r = runCli(['compare', 'test/fixtures/tiny.json']);
    expect(r.code).toBe(0);
    for (const a of ['host', 'cache-greedy', 'exact']) expect(r.stdout).toContain(a);
  });
});
