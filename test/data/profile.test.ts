import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyCounter } from '../../src/data/counter.js';
import { featureProfile, fitZipfHead, topShare } from '../../src/data/profile.js';
import { computeStats } from '../../src/data/stats.js';
import { loadScenario } from '../../src/model/scenario.js';
import { evaluate } from '../../src/model/evaluate.js';
import { uniformPlan } from '../../src/model/plan.js';
import { frequencyProfileSchema } from '../../src/model/schema.js';
import { criteoSample, describeWithCriteo } from '../helpers/criteo.js';

describe('fitZipfHead', () => {
  it('recovers the exponent of an exact power law c_r = C r^-alpha', () => {
    for (const alpha of [0.6, 1.0, 1.7]) {
      // distinct counts (no ties): C large enough that every rank keeps its own count
      const hist: Array<[number, number]> = Array.from({ length: 500 }, (_, i) => [1e12 * (i + 1) ** -alpha, 1]);
      const fit = fitZipfHead(hist);
      expect(fit.ranks).toBe(500);
      expect(fit.alpha).toBeCloseTo(alpha, 10);
    }
  });

  it('equal counts give 0; a single row gives null', () => {
    expect(fitZipfHead([[3, 10]]).alpha).toBe(0);
    expect(fitZipfHead([[3, 1]]).alpha).toBeNull();
  });

  it('fits only rows counted at least twice when there are two or more', () => {
    // ranks 1, 2 have counts 8, 2 (slope ln4/ln2 = 2); the 100 singletons are left out
    expect(fitZipfHead([[8, 1], [2, 1], [1, 100]]).alpha).toBeCloseTo(2, 12);
  });
});

describe('topShare', () => {
  it('sums the hottest rows across runs', () => {
    const h: Array<[number, number]> = [[10, 2], [5, 3], [1, 5]]; // total 40
    expect(topShare(h, 1, 40)).toBe(10 / 40);
    expect(topShare(h, 3, 40)).toBe(25 / 40);
    expect(topShare(h, 100, 40)).toBe(1);
  });
});

describe('featureProfile from a summary', () => {
  it('is marked approximate, conserves accesses and keeps the histogram decreasing', () => {
    const c = new KeyCounter({ maxKeys: 32 });
    let n = 0;
    for (let i = 1; i <= 2000; i++) for (let r = 0; r < Math.ceil(5000 / i); r++, n++) c.add32(i);
    const p = featureProfile(c, { topIds: 32, idFormat: 'hex8', missingRowCount: 0, missing: 0, malformed: 0 });
    expect(p.approximate).toBe(true);
    expect(p.accesses).toBe(n);
    const sum = p.countHistogram.reduce((s, [cnt, rows]) => s + cnt * rows, 0);
    expect(sum).toBeCloseTo(n, 6);
    for (let i = 1; i < p.countHistogram.length; i++) expect(p.countHistogram[i]![0]).toBeLessThan(p.countHistogram[i - 1]![0]);
    // every listed count is within the bound of the truth, and every id whose true count exceeds the bound is listed
    const truth = (id: string) => Math.ceil(5000 / parseInt(id, 16));
    for (const [id, cnt] of p.topIds) {
      expect(cnt).toBeLessThanOrEqual(truth(id));
      expect(truth(id)).toBeLessThanOrEqual(cnt + p.countErrorBound!);
    }
    const listed = new Set(p.topIds.map(([id]) => parseInt(id, 16)));
    let heavy = 0;
    for (let i = 1; i <= 2000; i++) if (Math.ceil(5000 / i) > p.countErrorBound!) {
      heavy++;
      expect(listed.has(i)).toBe(true);
    }
    expect(heavy).toBeGreaterThan(0);
    expect(Math.abs(p.distinct / 2000 - 1)).toBeLessThan(4 * p.distinctRelativeStdError!);
  });
});

describeWithCriteo('a profile as a scenario distribution', () => {
  it('validates against the schema and is read by { kind: "counts", file, feature: "C3" }', async () => {
    const p = await computeStats(criteoSample);
    expect(() => frequencyProfileSchema.parse(p)).not.toThrow();
    const dir = mkdtempSync(join(tmpdir(), 'scarec-profile-'));
    writeFileSync(join(dir, 'profile.json'), JSON.stringify(p));
    const c3 = p.features.C3!;
    const scenario = {
      name: 'sample-c3',
      tables: [{ name: 'C3', rows: 10_000, dim: 16, distribution: { kind: 'counts', file: 'profile.json', feature: 'C3' } }],
      devices: { gpus: 1, gpuMemoryBytes: 1e9, gpuGatherBytesPerSec: 1e12, hostMemoryBytes: 1e11, hostGatherBytesPerSec: 1e10 },
      links: { hostToGpuBytesPerSec: 1e10 },
      training: { globalBatch: 256 },
    };
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
    const s = loadScenario(join(dir, 'scenario.json'));
    const d = s.tables[0]!.distribution;
    // the hottest row's probability is its count over the accesses; rows past the distinct ones have none
    expect(d.probability(0)).toBeCloseTo(c3.topIds[0]![1] / c3.accesses, 15);
    expect(d.mass(0, c3.distinct).value).toBeCloseTo(1, 12);
    expect(d.mass(c3.distinct, 10_000).value).toBe(0);
    expect(d.mass(0, Math.ceil(c3.distinct / 10)).value).toBeCloseTo(c3.top10PctShare, 12);
    const e = evaluate(s, uniformPlan(s, 'host'));
    expect(Number.isFinite(e.iterationSec) && e.iterationSec > 0).toBe(true);
  });
});
