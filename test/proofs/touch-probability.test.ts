// Checks the claims of proofs/touch-probability.md: f_K(p) = 1 - (1-p)^K is increasing and concave in p
// (for K >= 1) and increasing and concave in K, with the derivatives taken symbolically by mathjs.
import { derivative, parse } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { touchProbability } from '../../src/stats/touch.js';

const f = parse('1 - (1 - p)^K');
const grid: Array<{ p: number; K: number }> = [];
// points where (1-p)^K underflows (every derivative is 0 in doubles) say nothing about signs: skip them
for (const p of [1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.9, 0.999])
  for (const K of [1, 1.5, 2, 3, 10, 100, 1e4]) if (-K * Math.log1p(-p) < 600) grid.push({ p, K });

describe('f_K(p) symbolic derivatives (mathjs)', () => {
  const dp = derivative(f, 'p');
  const dpp = derivative(dp, 'p');
  const dK = derivative(f, 'K');
  const dKK = derivative(dK, 'K');
  it('df/dp = K (1-p)^(K-1) > 0 and d2f/dp2 = -K (K-1) (1-p)^(K-2) <= 0 (concave in p for K >= 1)', () => {
    for (const s of grid) {
      const first = dp.evaluate(s) as number;
      const second = dpp.evaluate(s) as number;
      expect(first).toBeCloseTo(s.K * (1 - s.p) ** (s.K - 1), 10);
      expect(first).toBeGreaterThan(0);
      expect(second / Math.max(1, Math.abs(first))).toBeCloseTo((-s.K * (s.K - 1) * (1 - s.p) ** (s.K - 2)) / Math.max(1, Math.abs(first)), 8);
      expect(second).toBeLessThanOrEqual(0);
    }
  });
  it('df/dK = -(1-p)^K ln(1-p) > 0 and d2f/dK2 = -(1-p)^K ln(1-p)^2 < 0 (increasing, concave in K)', () => {
    for (const s of grid) {
      const first = dK.evaluate(s) as number;
      const second = dKK.evaluate(s) as number;
      expect(first).toBeCloseTo(-((1 - s.p) ** s.K) * Math.log(1 - s.p), 12);
      expect(first).toBeGreaterThan(0);
      expect(second).toBeLessThan(0);
    }
  });
  it('f(0) = 0 and concavity give p f\'(p) <= f(p) (used for the normaliser propagation in zipf-sums.md)', () => {
    for (const s of grid) {
      const pf = s.p * (dp.evaluate(s) as number);
      expect(pf).toBeLessThanOrEqual(touchProbability(s.p, s.K) * (1 + 1e-12));
    }
  });
  it('a wrong formula would be caught: f differs from K p beyond first order', () => {
    expect(touchProbability(0.1, 10)).toBeCloseTo(1 - 0.9 ** 10, 14);
    expect(Math.abs(touchProbability(0.1, 10) - 1)).toBeGreaterThan(0.3);
  });
});
