import { describe, expect, it } from 'vitest';
import type { Interval } from '../../src/stats/distribution.js';
import { HEAD_PREFIX_TABLES, headPrefixSums, prefixDifference, ZIPF_HEAD_TERMS, zipfDistribution } from '../../src/stats/zipf.js';
import { harmonic, kahanSum, touchedExact, varianceExact, zipfRangeSum } from './exact.js';

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

describe('ranges that start in the head: prefix differences (proofs/zipf-sums.md §6)', () => {
  it('head ranges, one-row ranges deep in the head and ranges crossing its end contain the exact sums', () => {
    const N = 200_000;
    const H = ZIPF_HEAD_TERMS;
    const ranges: Array<[number, number]> = [[0, 1], [H - 24, H - 23], [5, 300], [700, H], [H - 1, H + 1], [17, 3000], [0, H + 1], [H - 2, N]];
    for (const alpha of [0.6, 1.05, 1.8])
      for (const K of [3, 4096, 2e6]) {
        const d = zipfDistribution(alpha, N);
        const h = harmonic(alpha, N);
        for (const [a, b] of ranges) {
          const t = d.touched(a, b, K);
          contains(t, touchedExact(alpha, N, a, b, K, h));
          expect(relWidth(t), `alpha ${alpha} K ${K} [${a}, ${b})`).toBeLessThanOrEqual(1e-9);
          // the memo returns the same interval the second time
          expect(d.touched(a, b, K)).toEqual(t);
        }
      }
  });
  it(`more batch sizes than the ${HEAD_PREFIX_TABLES} prefix tables kept: every answer still contains the exact sum`, () => {
    const N = 50_000;
    const d = zipfDistribution(1.1, N);
    const h = harmonic(1.1, N);
    for (let k = 0; k < HEAD_PREFIX_TABLES + 8; k++) {
      const K = 100 + 37 * k;
      contains(d.touched(10, 2000, K), touchedExact(1.1, N, 10, 2000, K, h));
    }
    contains(d.touched(10, 2000, 100), touchedExact(1.1, N, 10, 2000, 100, h)); // evicted, rebuilt
  });
  it('prefixDifference contains the directly summed range for terms spanning 20 orders of magnitude', () => {
    const n = 1024;
    const term = (x: number) => Math.pow(10, -20 * ((x - 1) / (n - 1))) * (1 + 0.3 * Math.sin(x));
    const pre = headPrefixSums(term, n);
    for (const [x0, x1] of [[1, 1], [1, n], [2, 3], [500, 501], [1000, n], [n, n], [300, 900]] as Array<[number, number]>) {
      const direct = kahanSum(x1 - x0 + 1, (i) => term(x1 - i)); // smallest first
      const iv = prefixDifference(pre, x0, x1);
      contains(iv, direct);
      expect(iv.lower).toBeGreaterThanOrEqual(0);
    }
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
