// Checks proofs/buckets.md: n f(pMin) <= S_k <= n f(P/n) per bucket against exact sums, the bucket layout,
// and that more buckets tighten the model.
import { describe, expect, it } from 'vitest';
import { bucketBoundaries, bucketModelWidth, bucketsForWidth, makeBuckets } from '../../src/stats/buckets.js';
import { countsDistribution } from '../../src/stats/counts.js';
import { zipfDistribution } from '../../src/stats/zipf.js';
import { harmonic, touchedExact } from '../stats/exact.js';

describe('bucket boundaries', () => {
  it('one bucket per row when rows <= maxBuckets', () => {
    expect(bucketBoundaries(5, 16)).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('single rows first, then strictly growing widths, at most maxBuckets, covering [0, N)', () => {
    for (const [N, B] of [[1e8, 64], [1e6, 16], [100, 16], [17, 16], [1e10, 256], [1000, 2]] as Array<[number, number]>) {
      const b = bucketBoundaries(N, B);
      expect(b[0]).toBe(0);
      expect(b[b.length - 1]).toBe(N);
      expect(b.length - 1).toBeLessThanOrEqual(B);
      expect(b[1]).toBe(1); // the hottest row alone
      const widths = b.slice(1).map((x, i) => x - b[i]!);
      for (let i = 1; i < widths.length - 1; i++) expect(widths[i]!).toBeGreaterThanOrEqual(widths[i - 1]!); // geometric: never shrinking
    }
    expect(bucketBoundaries(1e8, 64).length - 1).toBe(64);
  });
  it('rejects bad sizes', () => {
    expect(() => bucketBoundaries(0, 4)).toThrow(/rows/);
    expect(() => bucketBoundaries(10, 0)).toThrow(/maxBuckets/);
  });
});

describe('per-bucket bounds contain the exact sums', () => {
  const N = 200_000;
  for (const alpha of [0.5, 1.05, 2]) {
    it(`Zipf(${alpha}, ${N}), K in {1, 1e3, 1e6}`, () => {
      const d = zipfDistribution(alpha, N);
      const h = harmonic(alpha, N);
      const Ks = [1, 1e3, 1e6];
      const buckets = makeBuckets(d, { maxBuckets: 40, lookups: Ks });
      expect(buckets.reduce((s, b) => s + b.rows, 0)).toBe(N);
      let massLow = 0;
      let massHigh = 0;
      for (const b of buckets) {
        massLow += b.mass.lower;
        massHigh += b.mass.upper;
        expect(b.pMin).toBeLessThanOrEqual(b.pMax);
        expect(b.pMin).toBeLessThanOrEqual(Math.pow(b.to, -alpha) / h);
        Ks.forEach((K, i) => {
          const t = b.touched[i]!;
          const exact = touchedExact(alpha, N, b.from, b.to, K, h);
          expect(t.lookups).toBe(K);
          expect(t.concaveLower).toBeLessThanOrEqual(exact * (1 + 1e-12));
          expect(t.concaveUpper).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
          expect(t.value.lower).toBeLessThanOrEqual(exact);
          expect(t.value.upper).toBeGreaterThanOrEqual(exact);
        });
      }
      expect(massLow).toBeLessThanOrEqual(1);
      expect(massHigh).toBeGreaterThanOrEqual(1);
    });
  }
  it('counts: single-row buckets have equal concavity bounds', () => {
    const d = countsDistribution([10, 6, 3, 1]);
    const [b0] = makeBuckets(d, { maxBuckets: 8, lookups: [5] });
    expect(b0!.touched[0]!.concaveUpper).toBeCloseTo(b0!.touched[0]!.concaveLower, 10);
    expect(b0!.touched[0]!.value.value).toBeCloseTo(1 - (1 - 0.5) ** 5, 14);
  });
});

describe('choosing buckets for a target width', () => {
  it('more buckets give a narrower model, and the target is met', () => {
    const d = zipfDistribution(1.05, 1e7);
    const w16 = bucketModelWidth(makeBuckets(d, { maxBuckets: 16, lookups: [1e5] }));
    const w128 = bucketModelWidth(makeBuckets(d, { maxBuckets: 128, lookups: [1e5] }));
    expect(w128).toBeLessThan(w16 / 4);
    const { buckets, width } = bucketsForWidth(d, [1e5], 0.02);
    expect(width).toBeLessThanOrEqual(0.02);
    expect(bucketModelWidth(buckets)).toBe(width);
    const fewer = makeBuckets(d, { maxBuckets: buckets.length / 2, lookups: [1e5] });
    expect(bucketModelWidth(fewer)).toBeGreaterThan(0.02); // the doubling stopped at the first that meets it
  });
});
