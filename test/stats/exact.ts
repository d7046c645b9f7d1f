/** Reference sums for tests: plain loops with Kahan compensation, smallest terms first. */
import { touchProbability, touchVariance } from '../../src/stats/touch.js';

export function kahanSum(n: number, term: (i: number) => number): number {
  let sum = 0;
  let comp = 0;
  for (let i = n - 1; i >= 0; i--) {
    const y = term(i) - comp;
    const t = sum + y;
    comp = t - sum - y;
    sum = t;
  }
  return sum;
}

/** H_{N,alpha} = sum_{x=1}^{N} x^-alpha */
export const harmonic = (alpha: number, rows: number) => kahanSum(rows, (i) => Math.pow(i + 1, -alpha));

/** sum over ranks [from, to) of g(p_i) for Zipf(alpha, N) */
export function zipfRangeSum(alpha: number, rows: number, from: number, to: number, g: (p: number) => number, h = harmonic(alpha, rows)): number {
  return kahanSum(to - from, (j) => g(Math.pow(from + j + 1, -alpha) / h));
}

export const touchedExact = (alpha: number, rows: number, from: number, to: number, K: number, h?: number) =>
  zipfRangeSum(alpha, rows, from, to, (p) => touchProbability(p, K), h);

export const varianceExact = (alpha: number, rows: number, from: number, to: number, K: number, h?: number) =>
  zipfRangeSum(alpha, rows, from, to, (p) => touchVariance(p, K), h);
