import { all, create } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { touchProbability } from '../../src/stats/touch.js';
import { uniformDistribution } from '../../src/stats/uniform.js';

// 60-digit decimal arithmetic as the reference
const big = create(all, { number: 'BigNumber', precision: 60 });
const reference = (p: string, K: string) => Number(big.evaluate(`1 - (1 - ${p})^${K}`).toString());

describe('touchProbability f_K(p) = 1 - (1 - p)^K', () => {
  it('matches a 60-digit reference at p = 1e-12, K = 1e9 and across small p / large K', () => {
    const cases: Array<[string, string]> = [
      ['1e-12', '1e9'],
      ['1e-15', '1e9'],
      ['1e-15', '1'],
      ['3e-10', '1e6'],
      ['0.5', '3'],
      ['1e-6', '1e6'],
      ['0.999', '2'],
    ];
    for (const [p, K] of cases) {
      const got = touchProbability(Number(p), Number(K));
      const ref = reference(p, K);
      expect(Math.abs(got - ref) / ref).toBeLessThan(1e-14);
    }
  });
  it('the naive form loses the answer where the stable one keeps it', () => {
    const naive = 1 - Math.pow(1 - 1e-15, 1e9);
    const ref = reference('1e-15', '1e9');
    expect(Math.abs(naive - ref) / ref).toBeGreaterThan(1e-4); // naive has lost 12 of 16 digits
    expect(Math.abs(touchProbability(1e-15, 1e9) - ref) / ref).toBeLessThan(1e-14);
  });
  it('edge values', () => {
    expect(touchProbability(0, 10)).toBe(0);
    expect(touchProbability(0.3, 0)).toBe(0);
    expect(touchProbability(1, 5)).toBe(1);
    expect(touchProbability(0.25, 1)).toBeCloseTo(0.25, 15);
    expect(touchProbability(0.25, 2)).toBeCloseTo(1 - 0.75 * 0.75, 15);
  });
});

describe('uniform: the closed form N (1 - (1 - 1/N)^K)', () => {
  it('agrees with a 60-digit evaluation of the closed form', () => {
    for (const [N, K] of [[10, 3], [1000, 1000], [1e8, 1e6], [1e10, 1e9]] as Array<[number, number]>) {
      const d = uniformDistribution(N);
      const got = d.touched(0, N, K);
      expect(got.lower).toBe(got.upper);
      const ref = Number(big.evaluate(`${N} * (1 - (1 - 1/${N})^${K})`).toString());
      expect(Math.abs(got.value - ref) / ref).toBeLessThan(1e-13);
    }
  });
  it('sub-ranges and the variance bound', () => {
    const d = uniformDistribution(1000);
    const f = 1 - Math.pow(1 - 1e-3, 500);
    expect(d.touched(100, 350, 500).value).toBeCloseTo(250 * f, 10);
    expect(d.touchedVarianceBound(0, 1000, 500).value).toBeCloseTo(1000 * f * (1 - f), 9);
    expect(d.touched(900, 2000, 500).value).toBeCloseTo(100 * f, 10);
  });
});
