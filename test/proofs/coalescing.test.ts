// Checks proofs/coalescing.md: E[U] increasing and concave in K, E[U]/K non-increasing, Var[U] <= sum f(1-f),
// and the Chernoff / McDiarmid tail bounds, against exhaustive enumeration and a seeded Monte Carlo.
import { describe, expect, it } from 'vitest';
import { expectedUnique, probUniqueAtLeast, probUniqueAtMost, uniqueVarianceBound } from '../../src/stats/coalescing.js';
import { countsDistribution } from '../../src/stats/counts.js';
import { uniformDistribution } from '../../src/stats/uniform.js';
import { zipfDistribution } from '../../src/stats/zipf.js';
import { lawMean, lawVariance, uniqueLaw } from '../stats/enumerate.js';

describe('E[U](K) is increasing and concave, E[U]/K non-increasing', () => {
  for (const d of [zipfDistribution(1.05, 1000), zipfDistribution(0.5, 500), countsDistribution([9, 5, 5, 1, 1, 1, 0, 3]), uniformDistribution(300)]) {
    it(d.describe(), () => {
      const E = Array.from({ length: 200 }, (_, K) => expectedUnique(d, K).value);
      for (let K = 1; K < 199; K++) {
        const d1 = E[K + 1]! - E[K]!;
        const d0 = E[K]! - E[K - 1]!;
        expect(d1).toBeGreaterThan(0);
        expect(d1).toBeLessThanOrEqual(d0 + 1e-12);
        expect(E[K + 1]! / (K + 1)).toBeLessThanOrEqual(E[K]! / K + 1e-15);
        expect(E[K]!).toBeLessThanOrEqual(Math.min(K, d.rows) + 1e-12);
      }
    });
  }
});

describe('Var[U] <= sum f(1-f) and the tail bounds against the exact law (enumeration)', () => {
  const cases: Array<[string, number[]]> = [
    ['uniform 4', [0.25, 0.25, 0.25, 0.25]],
    ['skewed 4', [0.55, 0.25, 0.15, 0.05]],
    ['two rows', [0.9, 0.1]],
  ];
  for (const [name, p] of cases) {
    it(name, () => {
      const d = countsDistribution(p.map((q) => q * 100));
      for (let K = 1; K <= 6; K++) {
        const law = uniqueLaw(p, K);
        const mu = lawMean(law);
        expect(lawVariance(law)).toBeLessThanOrEqual(uniqueVarianceBound(d, K) + 1e-12);
        const mean = expectedUnique(d, K);
        for (let a = 0; a <= p.length; a++) {
          const atLeast = law.slice(a).reduce((s, q) => s + q, 0);
          const atMost = law.slice(0, a + 1).reduce((s, q) => s + q, 0);
          if (a > mu) expect(atLeast).toBeLessThanOrEqual(probUniqueAtLeast(mean, K, a) + 1e-12);
          if (a < mu) expect(atMost).toBeLessThanOrEqual(probUniqueAtMost(mean, K, a) + 1e-12);
        }
      }
    });
  }
  it('the bounds are informative: far tails get small bounds, near the mean they are 1', () => {
    const mean = { value: 1000, lower: 1000, upper: 1000 };
    expect(probUniqueAtLeast(mean, 1e4, 1200)).toBeLessThan(1e-7);
    expect(probUniqueAtMost(mean, 1e4, 800)).toBeLessThan(1e-7);
    expect(probUniqueAtLeast(mean, 1e4, 999)).toBe(1);
    // Chernoff exponent by hand: a ln(a/mu) - a + mu at a = 1100, mu = 1000
    expect(probUniqueAtLeast(1000, 1e9, 1100)).toBeCloseTo(Math.exp(-(1100 * Math.log(1.1) - 100)), 12);
  });
});

/** xorshift32, seeded, for a reproducible Monte Carlo */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

describe('Monte Carlo (seeded): mean, variance and tail frequency on Zipf(1.05, 2000), K = 500', () => {
  it('sample mean within 4 standard errors, sample variance below the bound, tails below the bounds', () => {
    const d = zipfDistribution(1.05, 2000);
    const K = 500;
    const cdf = new Float64Array(d.rows);
    let acc = 0;
    for (let i = 0; i < d.rows; i++) cdf[i] = acc += d.probability(i);
    const rand = rng(12345);
    const trials = 4000;
    const seen = new Uint32Array(d.rows);
    const us: number[] = [];
    for (let t = 1; t <= trials; t++) {
      let u = 0;
      for (let j = 0; j < K; j++) {
        const r = rand() * acc;
        let lo = 0;
        let hi = d.rows - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid]! < r) lo = mid + 1;
          else hi = mid;
        }
        if (seen[lo] !== t) {
          seen[lo] = t;
          u++;
        }
      }
      us.push(u);
    }
    const mean = us.reduce((a, b) => a + b, 0) / trials;
    const variance = us.reduce((a, b) => a + (b - mean) ** 2, 0) / (trials - 1);
    const e = expectedUnique(d, K);
    expect(Math.abs(mean - e.value)).toBeLessThan(4 * Math.sqrt(variance / trials));
    // sample variance: allow its own sampling error (relative sd ~ sqrt(2/trials) ~ 2.2%)
    expect(variance).toBeLessThan(uniqueVarianceBound(d, K) * 1.1);
    const threshold = e.value + 2.5 * Math.sqrt(uniqueVarianceBound(d, K));
    const freq = us.filter((u) => u >= threshold).length / trials;
    expect(freq).toBeLessThanOrEqual(probUniqueAtLeast(e, K, threshold) + 4 * Math.sqrt(0.25 / trials));
  });
});
