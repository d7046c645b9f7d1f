import { describe, expect, it } from 'vitest';
import { countsDistribution } from '../../src/stats/counts.js';
import type { RankDistribution } from '../../src/stats/distribution.js';
import { uniformDistribution } from '../../src/stats/uniform.js';
import { zipfDistribution } from '../../src/stats/zipf.js';
import { lawMean, lawVariance, uniqueLaw } from './enumerate.js';

/** Var[U] exactly from pairwise inclusion-exclusion: P(i and j touched) = 1 - q_i - q_j + q_ij. */
function pairwiseVariance(p: readonly number[], K: number): number {
  let v = 0;
  for (let i = 0; i < p.length; i++) {
    const fi = 1 - (1 - p[i]!) ** K;
    v += fi * (1 - fi);
    for (let j = 0; j < p.length; j++) {
      if (j === i) continue;
      const fj = 1 - (1 - p[j]!) ** K;
      const both = 1 - (1 - p[i]!) ** K - (1 - p[j]!) ** K + (1 - p[i]! - p[j]!) ** K;
      v += both - fi * fj;
    }
  }
  return v;
}

const tiny: Array<[string, RankDistribution]> = [
  ['counts [5,3,0,2]', countsDistribution([5, 3, 0, 2])],
  ['counts [1]', countsDistribution([1])],
  ['counts [7,7,1]', countsDistribution([7, 7, 1])],
  ['uniform 3', uniformDistribution(3)],
  ['uniform 4', uniformDistribution(4)],
  ['zipf 0.7 N=4', zipfDistribution(0.7, 4)],
  ['zipf 2 N=3', zipfDistribution(2, 3)],
];

describe('exhaustive enumeration of all K-tuples (N <= 4, K <= 4)', () => {
  for (const [name, d] of tiny) {
    it(`${name}: E[U] exact, Var[U] <= sum f(1-f) and equal to the pairwise formula`, () => {
      const p = Array.from({ length: d.rows }, (_, i) => d.probability(i));
      for (let K = 1; K <= 4; K++) {
        const law = uniqueLaw(p, K);
        expect(law.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
        const mean = lawMean(law);
        const e = d.touched(0, d.rows, K);
        expect(e.lower).toBeLessThanOrEqual(mean + 1e-13);
        expect(e.upper).toBeGreaterThanOrEqual(mean - 1e-13);
        expect(e.value).toBeCloseTo(mean, 12);
        const variance = lawVariance(law);
        expect(pairwiseVariance(p, K)).toBeCloseTo(variance, 13);
        expect(variance).toBeLessThanOrEqual(d.touchedVarianceBound(0, d.rows, K).upper + 1e-13);
        // sub-ranges: E[distinct rows among ranks [1, N)] from the enumeration of indicators
        if (d.rows >= 2) {
          const sub = p.slice(1).reduce((s, q) => s + (1 - (1 - q) ** K), 0);
          expect(d.touched(1, d.rows, K).value).toBeCloseTo(sub, 13);
        }
      }
    });
  }
  it('counts [5,3,0,2] with K = 3 gives the hand value 2.02', () => {
    // p = (0.5, 0.3, 0.2) and a zero row: sum 1 - (1-p)^3 = 0.875 + 0.657 + 0.488
    expect(countsDistribution([5, 3, 0, 2]).touched(0, 4, 3).value).toBeCloseTo(2.02, 14);
  });
});
