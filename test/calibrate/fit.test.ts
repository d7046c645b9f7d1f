import { describe, expect, it } from 'vitest';
import { fitBandwidth, fitLatencyGivenBandwidth, fitLinear, fitPooledRowCost, fitRowCost, type RowCostPoint } from '../../src/calibrate/fit.js';
import { seededRandom } from '../../src/calibrate/rng.js';

describe('fitLinear / fitBandwidth (proofs/calibration-fit.md)', () => {
  it('recovers latency and bandwidth exactly from noiseless data, R^2 = 1', () => {
    const lat = 3.7e-6;
    const bw = 12.5e9;
    const pts = [4096, 65536, 1 << 20, 1 << 24, 1 << 27].map((bytes) => ({ bytes, seconds: lat + bytes / bw }));
    for (const weighting of ['relative', 'absolute'] as const) {
      const f = fitBandwidth(pts, { weighting });
      expect(f.latencySec).toBeCloseTo(lat, 12);
      expect(f.bytesPerSec / bw).toBeCloseTo(1, 10);
      expect(f.rSquared).toBeCloseTo(1, 12);
      expect(f.worstRelativeResidual).toBeLessThan(1e-9);
    }
  });

  it('recovers two slopes and an intercept (multi-regressor)', () => {
    const rand = seededRandom(3);
    const pts = Array.from({ length: 20 }, () => {
      const a = rand() * 1e6;
      const b = rand() * 1e3;
      return { x: [a, b], seconds: 2e-5 + a * 1e-9 + b * 4e-7 };
    });
    const f = fitLinear(pts, { weighting: 'absolute' });
    expect(f.latencySec).toBeCloseTo(2e-5, 12);
    expect(f.slopes[0]! / 1e-9).toBeCloseTo(1, 9);
    expect(f.slopes[1]! / 4e-7).toBeCloseTo(1, 9);
  });

  it('with 2% multiplicative noise (fixed seed) the bandwidth is within 3% and R^2 > 0.99', () => {
    const rand = seededRandom(11);
    const lat = 1e-5;
    const bw = 8e9;
    const pts: Array<{ bytes: number; seconds: number }> = [];
    for (let rep = 0; rep < 5; rep++)
      for (const bytes of [1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24])
        pts.push({ bytes, seconds: (lat + bytes / bw) * (1 + 0.04 * (rand() - 0.5)) });
    const f = fitBandwidth(pts);
    expect(Math.abs(f.bytesPerSec / bw - 1)).toBeLessThan(0.03);
    expect(Math.abs(f.latencySec / lat - 1)).toBeLessThan(0.1);
    expect(f.rSquared).toBeGreaterThan(0.99);
    expect(f.worstRelativeResidual).toBeLessThan(0.03);
  });

  it('names the worst point: one outlier 50% slow is the worst residual', () => {
    const pts = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8].map((b, i) => ({ x: [b], seconds: (1e-6 + b / 1e9) * (i === 3 ? 1.5 : 1) }));
    const f = fitLinear(pts);
    expect(f.worstIndex).toBe(3);
    expect(f.worstRelativeResidual).toBeGreaterThan(0.2);
  });

  it('a negative free intercept is refit through the origin (latency >= 0)', () => {
    // throughput rising with size makes the free intercept negative
    const pts = [1e6, 2e6, 4e6].map((b) => ({ bytes: b, seconds: b / 1e9 - 1e-4 }));
    const free = fitLinear(pts.map((p) => ({ x: [p.bytes], seconds: p.seconds })));
    expect(free.latencySec).toBeLessThan(0);
    const f = fitBandwidth(pts);
    expect(f.latencySec).toBe(0);
    expect(f.bytesPerSec).toBeGreaterThan(0);
  });

  it('rejects too few points, collinear and non-finite data', () => {
    expect(() => fitLinear([{ x: [1], seconds: 1 }])).toThrow(/cannot determine/);
    expect(() => fitLinear([{ x: [1, 2], seconds: 1 }, { x: [2, 4], seconds: 2 }, { x: [3, 6], seconds: 3 }])).toThrow(/collinear/);
    expect(() => fitLinear([{ x: [1], seconds: NaN }, { x: [2], seconds: 1 }])).toThrow(/non-finite/);
  });

  it('fitRowCost recovers per-row and per-byte constants jointly across row sizes (gathers and updates)', () => {
    // gathers move r bytes per access, updates 2r: both obey latency + rows s + bytes / B
    const lat = 4e-6;
    const s = 180e-9;
    const bw = 7e9;
    const pts = [];
    for (const r of [64, 128, 256, 1024])
      for (const rows of [1024, 8192, 32768])
        for (const perRow of [r, 2 * r]) pts.push({ rows, bytes: rows * perRow, seconds: lat + rows * s + (rows * perRow) / bw });
    const f = fitRowCost(pts);
    expect(f.secondsPerRow / s).toBeCloseTo(1, 9);
    expect(f.bytesPerSec / bw).toBeCloseTo(1, 9);
    expect(f.latencySec / lat).toBeCloseTo(1, 6);
    expect(f.rSquared).toBeCloseTo(1, 12);
    // with 2% seeded noise the per-row cost is within 5%, the bandwidth within 10%
    const rand = seededRandom(5);
    const noisy = pts.map((p) => ({ ...p, seconds: p.seconds * (1 + 0.04 * (rand() - 0.5)) }));
    const g = fitRowCost(noisy);
    expect(Math.abs(g.secondsPerRow / s - 1)).toBeLessThan(0.05);
    expect(Math.abs(g.bytesPerSec / bw - 1)).toBeLessThan(0.1);
    expect(g.worstRelativeResidual).toBeLessThan(0.03);
  });

  it('fitRowCost keeps every coefficient non-negative: a pure per-row law gets no bytes term, and no negative one', () => {
    // time depends on rows only, with a slight decrease in bytes that a free fit would turn into a negative slope
    const pts = [64, 256, 1024].flatMap((r) => [1000, 4000, 16000].map((rows) => ({ rows, bytes: rows * r, seconds: rows * 2e-7 * (1 - r * 1e-5) })));
    const free = fitLinear(pts.map((p) => ({ x: [p.rows, p.bytes], seconds: p.seconds })));
    expect(free.slopes[1]!).toBeLessThan(0);
    const f = fitRowCost(pts);
    expect(f.latencySec).toBeGreaterThanOrEqual(0);
    expect(f.secondsPerRow).toBeGreaterThan(0);
    expect(f.bytesPerSec).toBe(Infinity);
    // the constrained optimum is no worse than any other feasible candidate, e.g. the rows-only fit through 0
    const rowsOnly = fitLinear(pts.map((p) => ({ x: [p.rows], seconds: p.seconds })), { noIntercept: true });
    const ssr = (pred: number[]) => pts.reduce((a, p, i) => a + ((pred[i]! - p.seconds) / p.seconds) ** 2, 0);
    expect(ssr(f.predicted)).toBeLessThanOrEqual(ssr(rowsOnly.predicted) * (1 + 1e-12));
  });

  it('fitRowCost refuses one row size (rows and bytes collinear)', () => {
    const pts = [1000, 4000, 16000].map((rows) => ({ rows, bytes: rows * 64, seconds: rows * 1e-7 }));
    expect(() => fitRowCost(pts)).toThrow(/collinear/);
  });
});

describe('fitRowCost with a physical bound on the per-byte term (proofs/calibration-fit.md §8)', () => {
  const points = (perRow: number, bytesPerSec: number) =>
    [64, 512, 2048].flatMap((r) => [1000, 8000, 32000].map((rows) => ({ rows, bytes: rows * r, seconds: 1e-6 + rows * perRow + (rows * r) / bytesPerSec })));
  it('a law above the bound is recovered exactly and not flagged', () => {
    const f = fitRowCost(points(200e-9, 5e9), { minSecondsPerByte: 1 / 20e9 });
    expect(f.secondsPerRow / 200e-9).toBeCloseTo(1, 9);
    expect(f.bytesPerSec / 5e9).toBeCloseTo(1, 9);
    expect(f.bytesPerSecAtBound).toBe(false);
  });
  it('time that does not grow with bytes gives the stated bound, finite, flagged; never Infinity', () => {
    const pts = [64, 512, 2048].flatMap((r) => [1000, 8000, 32000].map((rows) => ({ rows, bytes: rows * r, seconds: 1e-6 + rows * 300e-9 })));
    expect(fitRowCost(pts).bytesPerSec).toBe(Infinity); // the unbounded fit: what the profile must never carry
    const f = fitRowCost(pts, { minSecondsPerByte: 1 / 20e9 });
    expect(f.bytesPerSec).toBeCloseTo(20e9, -3);
    expect(f.bytesPerSecAtBound).toBe(true);
    // the per-row term absorbs what the bound's bytes do not explain: the bounded least-squares optimum
    expect(f.secondsPerRow).toBeGreaterThan(0);
    expect(f.secondsPerRow).toBeLessThan(300e-9);
    for (const [i, p] of pts.entries()) expect(Math.abs(f.predicted[i]! - p.seconds) / p.seconds).toBeLessThan(0.4);
  });
  it('the bounded optimum is the least-squares optimum over the feasible set (checked against a grid)', () => {
    const rand = seededRandom(11);
    const pts = points(150e-9, 3e9).map((p) => ({ ...p, seconds: p.seconds * (1 + 0.05 * (rand() - 0.5)) }));
    const lb = 1 / 2e9; // a bound above the true per-byte cost: the optimum sits on it
    const f = fitRowCost(pts, { minSecondsPerByte: lb });
    expect(f.bytesPerSecAtBound).toBe(true);
    const ssr = (c0: number, c1: number, c2: number) => pts.reduce((s, p) => s + ((c0 + c1 * p.rows + c2 * p.bytes - p.seconds) / p.seconds) ** 2, 0);
    const best = ssr(f.latencySec, f.secondsPerRow, 1 / f.bytesPerSec);
    for (let i = 0; i <= 20; i++)
      for (let j = 0; j <= 20; j++)
        for (const c2 of [lb, lb * 1.01, lb * 1.2]) expect(ssr(i * 1e-6, (j / 20) * 300e-9, c2)).toBeGreaterThanOrEqual(best * (1 - 1e-9));
  });
});

describe('fitRowCost with the per-byte term fixed (proofs/calibration-fit.md §7a)', () => {
  const points = (perRow: number, bytesPerSec: number) =>
    [64, 512, 2048].flatMap((r) => [1000, 8000, 32000].map((rows) => ({ rows, bytes: rows * r, seconds: 1e-6 + rows * perRow + (rows * r) / bytesPerSec })));
  it('holds the bandwidth where it is told and recovers the per-row term and the intercept exactly', () => {
    const f = fitRowCost(points(25e-9, 60e9), { minSecondsPerByte: 1 / 60e9, fixedSecondsPerByte: true });
    expect(f.bytesPerSec / 60e9).toBeCloseTo(1, 12);
    expect(f.secondsPerRow / 25e-9).toBeCloseTo(1, 9);
    expect(f.latencySec / 1e-6).toBeCloseTo(1, 9);
    expect(f.bytesPerSecAtBound).toBe(false);
  });
  it('is the least-squares optimum over c0, c1 >= 0 with c2 given (a grid does no better)', () => {
    const rand = seededRandom(5);
    const pts = points(25e-9, 60e9).map((p) => ({ ...p, seconds: p.seconds * (1 + 0.2 * (rand() - 0.5)) }));
    const c2 = 1 / 50e9; // not the law's: the other two terms absorb the difference
    const f = fitRowCost(pts, { minSecondsPerByte: c2, fixedSecondsPerByte: true });
    expect(f.bytesPerSec).toBeCloseTo(50e9, -3);
    const ssr = (c0: number, c1: number) => pts.reduce((s, p) => s + ((c0 + c1 * p.rows + c2 * p.bytes - p.seconds) / p.seconds) ** 2, 0);
    const best = ssr(f.latencySec, f.secondsPerRow);
    for (let i = 0; i <= 40; i++) for (let j = 0; j <= 40; j++) expect(ssr(i * 0.1e-6, (j / 40) * 50e-9)).toBeGreaterThanOrEqual(best * (1 - 1e-9));
  });
  it('needs a positive per-byte term to fix', () => {
    expect(() => fitRowCost(points(25e-9, 60e9), { fixedSecondsPerByte: true })).toThrow(/minSecondsPerByte/);
  });
});

describe('fitLatencyGivenBandwidth', () => {
  it('recovers the latency exactly on noiseless small copies, and clips a negative one at 0', () => {
    const pts = [65536, 262144, 1 << 20].map((bytes) => ({ bytes, seconds: 4e-6 + bytes / 10e9 }));
    expect(fitLatencyGivenBandwidth(pts, 10e9)).toBeCloseTo(4e-6, 15);
    // copies faster than the bandwidth past the caches (they ran from cache): no negative latency
    expect(fitLatencyGivenBandwidth(pts.map((p) => ({ ...p, seconds: p.bytes / 20e9 })), 10e9)).toBe(0);
  });
});

describe('fitPooledRowCost: one law for gathers and updates (proofs/calibration-fit.md §6a)', () => {
  // gathers move r bytes per access at 10 GB/s, updates 2r at 4 GB/s per counted byte: no single law fits both
  const family = (perByteSec: number, bytesPerAccess: (r: number) => number): RowCostPoint[] =>
    [64, 128, 512, 2048].flatMap((r) => [1024, 8192, 32768].map((k) => Math.max(64, Math.round((k * Math.min(1, 256 / r))))).map((rows) => ({ rows, bytes: rows * bytesPerAccess(r), seconds: 2e-6 + rows * 140e-9 + rows * bytesPerAccess(r) * perByteSec })));
  const gathers = family(1 / 10e9, (r) => r);
  const updates = family(1 / 4e9, (r) => 2 * r);
  it('families that follow one law give that law exactly', () => {
    const one = family(1 / 7e9, (r) => r);
    const two = family(1 / 7e9, (r) => 2 * r);
    const f = fitPooledRowCost([one, two]);
    expect(f.bytesPerSec / 7e9).toBeCloseTo(1, 8);
    expect(f.secondsPerRow / 140e-9).toBeCloseTo(1, 8);
    expect(f.rSquared).toBeCloseTo(1, 10);
  });
  it('noise-free, it is the direct pooled fit; under noise, with gathers as fast as a copy, it moves less', () => {
    const exact = fitPooledRowCost([gathers, updates]);
    const direct = fitRowCost([...gathers, ...updates]);
    expect(exact.bytesPerSec / direct.bytesPerSec).toBeCloseTo(1, 8);
    expect(exact.secondsPerRow / direct.secondsPerRow).toBeCloseTo(1, 8);
    // As measured (calibration-fit.md §6a): gathers move bytes at the copy bandwidth, the bound, and are the noisier
    // family (round-to-round MAD 5-19% against the updates' 2-8%): 30 seeded draws of +-15% uniform noise on
    // gathers, +-5% on updates; relative standard deviation of the per-byte term over the draws, both ways.
    const copyBound = { minSecondsPerByte: 1 / 10e9 };
    const rsd = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) / m;
    };
    const pooled: number[] = [];
    const plain: number[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const rand = seededRandom(seed);
      const noisy = (pts: RowCostPoint[], width: number) => pts.map((p) => ({ ...p, seconds: p.seconds * (1 + width * (rand() - 0.5)) }));
      const [g, u] = [noisy(gathers, 0.3), noisy(updates, 0.1)];
      pooled.push(fitPooledRowCost([g, u], copyBound).bytesPerSec);
      plain.push(fitRowCost([...g, ...u], copyBound).bytesPerSec);
    }
    // 3.4% against 5.3% here; on measured rounds the bootstrap widths went from 11-15% to 2-4% (§6a)
    expect(rsd(pooled)).toBeLessThan(0.75 * rsd(plain));
    for (const b of pooled) expect(Math.abs(b / exact.bytesPerSec - 1)).toBeLessThan(0.15);
  });
  it('reports its fit quality on the measured points, and keeps the per-byte bound', () => {
    const f = fitPooledRowCost([gathers, updates], { minSecondsPerByte: 1 / 20e9 });
    expect(f.points).toBe(gathers.length + updates.length);
    expect(f.predicted).toHaveLength(f.points);
    expect(f.worstRelativeResidual).toBeGreaterThan(0.05); // the two families do not follow one law
    expect(f.bytesPerSec).toBeLessThanOrEqual(20e9);
    expect(f.bytesPerSecAtBound).toBe(false);
  });
});
