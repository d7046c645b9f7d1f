// Checks the pieces of proofs/zipf-sums.md: the power-sum Euler-Maclaurin bounds, the closed forms of L', L'',
// L''' (against mathjs' symbolic derivative), the majorant of |h'''|, the remainder constant and the quadrature.
import { derivative, parse } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { EM_REMAINDER_CONSTANT, gaussKronrod15, powerIntegral, powerSumBounds, smoothSumBounds } from '../../src/stats/bounds.js';
import { touchKernel } from '../../src/stats/zipf.js';
import { kahanSum } from '../stats/exact.js';

describe('§2 power sums sum_{x=m}^{n} x^-s', () => {
  it('bounds contain the Kahan sum and are ~1e-13 wide', () => {
    for (const s of [0.3, 0.5, 1, 1.05, 2, 7.5]) {
      for (const [m, n] of [[1, 10], [1, 100_000], [5, 1_000_000], [70_000, 2_000_000]] as Array<[number, number]>) {
        const b = powerSumBounds(s, m, n);
        const exact = kahanSum(n - m + 1, (j) => Math.pow(m + j, -s));
        expect(b.lower).toBeLessThanOrEqual(exact);
        expect(b.upper).toBeGreaterThanOrEqual(exact);
        expect((b.upper - b.lower) / exact).toBeLessThan(1e-12);
      }
    }
  });
  it('converges to zeta(2) = pi^2/6 and to zeta(3) (Apery) for huge n', () => {
    const z2 = powerSumBounds(2, 1, 1e15);
    expect(Math.abs(z2.value + 1e-15 - Math.PI ** 2 / 6)).toBeLessThan(1e-14);
    expect(powerSumBounds(3, 1, 1e12).value).toBeCloseTo(1.2020569031595942, 14);
  });
  it('H_{N,1} = ln N + gamma + 1/(2N) - ... at N = 1e10', () => {
    const gamma = 0.5772156649015329;
    const N = 1e10;
    expect(powerSumBounds(1, 1, N).value).toBeCloseTo(Math.log(N) + gamma + 1 / (2 * N), 12);
  });
  it('the integral is continuous through s = 1', () => {
    expect(powerIntegral(1, 2, 2e9)).toBeCloseTo(Math.log(1e9), 12);
    expect(powerIntegral(1 + 1e-9, 2, 2e9)).toBeCloseTo(Math.log(1e9), 6);
    expect(powerIntegral(2, 1, 4)).toBeCloseTo(0.75, 15);
  });
});

describe('§3 closed forms of L = K log(1 - c x^-alpha) and its derivatives', () => {
  const L = parse('K * log(1 - c * x^(-a))');
  const d1 = derivative(L, 'x');
  const d2 = derivative(d1, 'x');
  const d3 = derivative(d2, 'x');
  const E = parse('exp(K * log(1 - c * x^(-a)))');
  const h3 = derivative(derivative(derivative(E, 'x'), 'x'), 'x');
  const V = parse('exp(K * log(1 - c * x^(-a))) - exp(2 * K * log(1 - c * x^(-a)))');
  const v3 = derivative(derivative(derivative(V, 'x'), 'x'), 'x');
  const cases = [
    { a: 1.05, c: 0.08, K: 1e6 },
    { a: 2, c: 0.6, K: 1e3 },
    { a: 0.5, c: 1e-5, K: 1e9 },
    { a: 1, c: 0.04, K: 3 },
  ];
  it('L\' = K a w / x, L\'\' and L\'\'\' as in the proof (via D and dL)', () => {
    for (const s of cases) {
      const k = touchKernel(s.a, s.c, s.K);
      for (const x of [2, 10, 1e3, 1e5, 1e7]) {
        const scope = { ...s, x };
        const l1 = d1.evaluate(scope) as number;
        const l2 = d2.evaluate(scope) as number;
        const l3 = d3.evaluate(scope) as number;
        expect(l1).toBeGreaterThan(0); // L' > 0, L'' < 0, L''' > 0 as in the proof
        expect(l2).toBeLessThan(0);
        expect(l3).toBeGreaterThan(0);
        expect(Math.abs(k.dL(x) - Math.abs(l1)) / Math.abs(l1)).toBeLessThan(1e-9);
        expect(Math.abs(k.D(x) - (Math.abs(l3) + 3 * Math.abs(l1 * l2) + Math.abs(l1) ** 3)) / k.D(x)).toBeLessThan(1e-9);
      }
    }
  });
  it('|h\'\'\'| <= E(xb) D(xa) for h = 1 - E and 9 E(xb) D(xa) for h = E - E^2 on [xa, xb]', () => {
    for (const s of cases) {
      const k = touchKernel(s.a, s.c, s.K);
      for (const xa of [2, 30, 1e3, 4e4, 1e6]) {
        const xb = xa * 1.3;
        for (let t = 0; t <= 10; t++) {
          const x = xa + ((xb - xa) * t) / 10;
          const scope = { ...s, x };
          expect(Math.abs(h3.evaluate(scope) as number)).toBeLessThanOrEqual(k.E(xb) * k.D(xa) * (1 + 1e-9) + 1e-300);
          expect(Math.abs(v3.evaluate(scope) as number)).toBeLessThanOrEqual(9 * k.E(xb) * k.D(xa) * (1 + 1e-9) + 1e-300);
        }
      }
    }
  });
  it('the remainder constant is max |B_3(t)| / 3! = sqrt(3)/216', () => {
    let max = 0;
    for (let i = 0; i <= 100_000; i++) {
      const t = i / 100_000;
      max = Math.max(max, Math.abs(t ** 3 - 1.5 * t * t + 0.5 * t) / 6);
    }
    expect(max).toBeCloseTo(EM_REMAINDER_CONSTANT, 10);
    expect(max).toBeLessThanOrEqual(EM_REMAINDER_CONSTANT);
  });
});

describe('§3-4 smoothSumBounds on a sum with a known value', () => {
  it('sum_{x=a}^{n} x^-2 (completely monotone) by the generic route matches powerSumBounds', () => {
    const term = {
      value: (x: number) => x ** -2,
      derivative: (x: number) => -2 * x ** -3,
      thirdDerivativeBound: (xa: number) => 24 * xa ** -5,
    };
    const generic = smoothSumBounds(term, 1000, 1e9, 1e-3);
    const exact = powerSumBounds(2, 1000, 1e9);
    expect(generic.lower).toBeLessThanOrEqual(exact.upper);
    expect(generic.upper).toBeGreaterThanOrEqual(exact.lower);
    expect((generic.upper - generic.lower) / generic.value).toBeLessThan(1e-9);
  });
  it('Gauss-Kronrod 15 is exact for degree 22 polynomials, G7 for degree 13 (error estimate ~0)', () => {
    const p13 = gaussKronrod15((u) => u ** 13 + 3 * u ** 4, 0, 2);
    expect(p13.value).toBeCloseTo(2 ** 14 / 14 + (3 * 2 ** 5) / 5, 8);
    expect(p13.error).toBeLessThan(1e-8);
    const p20 = gaussKronrod15((u) => u ** 20, 0, 1);
    expect(p20.value).toBeCloseTo(1 / 21, 14);
    expect(p20.error).toBeGreaterThan(1e-8); // G7 is not exact there: the estimate sees it
  });
});
