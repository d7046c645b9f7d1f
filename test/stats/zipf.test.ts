import { describe, expect, it } from 'vitest';
import type { Interval } from '../../src/stats/distribution.js';
import { zipfDistribution } from '../../src/stats/zipf.js';
import { harmonic, touchedExact, varianceExact, zipfRangeSum } from './exact.js';

const relWidth = (r: Interval) => (r.upper - r.lower) / Math.max(Math.abs(r.value), 1e-300);
const contains = (r: Interval, v: number) => {
  expect(r.lower).toBeLessThanOrEqual(v);
  expect(r.upper).toBeGreaterThanOrEqual(v);
};

describe('zipfDistribution: bounds contain the exact (Kahan) sums', () => {
  const N = 1_000_000;
  for (const alpha of [0.5, 1, 1.05, 2]) {
    const d = zipfDistribution(alpha, N);
    const h = harmonic(alpha, N);
    const ranges: Array<[number, number]> = [
      [0, N],
      [0, 5000], // head plus a short EM tail
      [300_000, N], // tail only
      [10_000, 20_000],
      [999_000, N], // shorter than the head: summed exactly
    ];
    it(`alpha = ${alpha}: normaliser and masses`, () => {
      for (const [a, b] of ranges) {
        const m = d.mass(a, b);
        const exact = zipfRangeSum(alpha, N, a, b, (p) => p, h);
        contains(m, exact);
        expect(relWidth(m)).toBeLessThan(1e-9);
      }
      contains(d.mass(0, N), 1);
      expect(d.probability(0)).toBeCloseTo(1 / h, 15);
      expect(d.probability(N)).toBe(0);
    });
    for (const K of [1, 1e3, 1e6, 1e9]) {
      it(`alpha = ${alpha}, K = ${K}: touched and variance bound over several ranges`, () => {
        for (const [a, b] of ranges) {
          const t = d.touched(a, b, K);
          const exact = touchedExact(alpha, N, a, b, K, h);
          contains(t, exact);
          expect(relWidth(t)).toBeLessThanOrEqual(1e-9);
          const v = d.touchedVarianceBound(a, b, K);
          const vExact = varianceExact(alpha, N, a, b, K, h);
          contains(v, vExact);
          // the variance bound is a bound, not the headline number: 1e-8 relative or 1e-12 absolute
          // (its sum may be ~0 when every row is surely touched)
          expect(v.upper - v.lower).toBeLessThanOrEqual(Math.max(1e-8 * vExact, 1e-12));
        }
      });
    }
  }

  it('N = 1e7, alpha = 1.05, K = 1e6: full range and a tail-only range', () => {
    const N7 = 10_000_000;
    const d = zipfDistribution(1.05, N7);
    const h = harmonic(1.05, N7);
    for (const [a, b] of [[0, N7], [2_000_000, N7]] as Array<[number, number]>) {
      const t = d.touched(a, b, 1e6);
      contains(t, touchedExact(1.05, N7, a, b, 1e6, h));
      expect(relWidth(t)).toBeLessThanOrEqual(1e-9);
    }
  });

  it('a non-integer lookup count and alpha < 1 with the transition deep in the tail', () => {
    const N = 300_000;
    const d = zipfDistribution(0.3, N);
    const t = d.touched(0, N, 123456.5);
    contains(t, touchedExact(0.3, N, 0, N, 123456.5));
    expect(relWidth(t)).toBeLessThanOrEqual(1e-9);
  });

  it('small tables are summed exactly (bounds are rounding-tight)', () => {
    const d = zipfDistribution(1.2, 7);
    const h = harmonic(1.2, 7);
    const t = d.touched(0, 7, 5);
    contains(t, touchedExact(1.2, 7, 0, 7, 5, h));
    expect(relWidth(t)).toBeLessThan(1e-12);
  });
});

describe('zipfDistribution at N = 1e10', () => {
  for (const alpha of [0.5, 1, 1.05, 2]) {
    it(`alpha = ${alpha}: finite, monotone and concave in K, <= min(K, N), width <= 1e-9`, () => {
      const N = 1e10;
      const d = zipfDistribution(alpha, N);
      const Ks = [1, 10, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
      const vals = Ks.map((K) => d.touched(0, N, K));
      vals.forEach((r, i) => {
        expect(Number.isFinite(r.lower) && Number.isFinite(r.upper)).toBe(true);
        expect(r.upper).toBeLessThanOrEqual(Math.min(Ks[i]!, N));
        expect(r.lower).toBeGreaterThan(0);
        expect(relWidth(r)).toBeLessThanOrEqual(1e-9);
        if (i > 0) {
          expect(r.lower).toBeGreaterThan(vals[i - 1]!.upper); // increasing
          // E[U]/K non-increasing (concavity through the origin)
          expect(r.lower / Ks[i]!).toBeLessThanOrEqual(vals[i - 1]!.upper / Ks[i - 1]!);
        }
        const v = d.touchedVarianceBound(0, N, Ks[i]!);
        expect(Number.isFinite(v.upper)).toBe(true);
        expect(v.upper).toBeLessThanOrEqual(r.upper);
      });
      // one lookup touches exactly one row
      expect(vals[0]!.lower).toBeLessThanOrEqual(1);
      expect(vals[0]!.upper).toBeGreaterThan(1 - 1e-9);
      const m = d.mass(0, N);
      expect(m.lower).toBeLessThanOrEqual(1);
      expect(m.upper).toBeGreaterThanOrEqual(1);
    });
  }

  it('split ranges add up: touched(0, c) + touched(c, N) brackets touched(0, N)', () => {
    const N = 1e10;
    const d = zipfDistribution(1.05, N);
    const whole = d.touched(0, N, 1e8);
    for (const cut of [1000, 123_457, 5e7, 9e9]) {
      const a = d.touched(0, cut, 1e8);
      const b = d.touched(cut, N, 1e8);
      expect(a.lower + b.lower).toBeLessThanOrEqual(whole.upper);
      expect(a.upper + b.upper).toBeGreaterThanOrEqual(whole.lower);
    }
  });
});

describe('zipfDistribution input checks and description', () => {
  it('rejects bad alpha and rows', () => {
    expect(() => zipfDistribution(0, 10)).toThrow(/alpha/);
    expect(() => zipfDistribution(Number.NaN, 10)).toThrow(/alpha/);
    expect(() => zipfDistribution(1, 0)).toThrow(/rows/);
    expect(() => zipfDistribution(1, 2.5)).toThrow(/rows/);
  });
  it('describe carries alpha at full precision (the simulator parses it)', () => {
    expect(zipfDistribution(1.05, 100).describe()).toBe('zipf(alpha=1.05, N=100)');
  });
  it('empty and out-of-range ranges are zero', () => {
    const d = zipfDistribution(1, 100);
    expect(d.touched(50, 50, 10).upper).toBe(0);
    expect(d.touched(0, 100, 0).upper).toBe(0);
    expect(d.mass(200, 300).upper).toBe(0);
  });
});
