/**
 * Coalescing facts (DESIGN.md §2, proofs/coalescing.md). U(K) is the number of distinct rows among K
 * independent lookups:
 *   E[U] = sum_i f_K(p_i), increasing and concave in K, E[U]/K non-increasing;
 *   Var[U] <= sum_i f(1 - f) (the touch indicators are negatively associated);
 *   tail bounds: Chernoff (negative association) and McDiarmid (bounded differences), the smaller one.
 */
import type { Interval, RankDistribution } from './distribution.js';

/** E[U] for K lookups over the whole table (an interval; exact for counts and uniform). */
export function expectedUnique(distribution: RankDistribution, lookups: number): Interval {
  return distribution.touched(0, distribution.rows, lookups);
}

/** An upper bound on Var[U]: the upper end of sum f(1 - f) (proofs/coalescing.md §3). */
export function uniqueVarianceBound(distribution: RankDistribution, lookups: number): number {
  return distribution.touchedVarianceBound(0, distribution.rows, lookups).upper;
}

/** a ln(a / mu) - a + mu >= 0: the Poisson-Chernoff exponent (0 ln 0 = 0). */
function chernoffExponent(a: number, mu: number): number {
  if (mu <= 0) return a > 0 ? Infinity : 0;
  return (a > 0 ? a * Math.log(a / mu) : 0) - a + mu;
}

/**
 * An upper bound on P(U >= threshold) for threshold > E[U] (1 otherwise), proofs/coalescing.md §4:
 *   min( exp(-(a ln(a/mu) - a + mu)),  exp(-2 (a - mu)^2 / K) ),  a = threshold.
 * `mean` may be an interval: the Chernoff term grows with mu below a, so its upper end is used.
 */
export function probUniqueAtLeast(mean: Interval | number, lookups: number, threshold: number): number {
  const mu = typeof mean === 'number' ? mean : mean.upper;
  if (!(threshold > mu)) return 1;
  const chernoff = Math.exp(-chernoffExponent(threshold, mu));
  const mcdiarmid = lookups > 0 ? Math.exp((-2 * (threshold - mu) ** 2) / lookups) : 0;
  return Math.min(1, chernoff, mcdiarmid);
}

/**
 * An upper bound on P(U <= threshold) for threshold < E[U] (1 otherwise), proofs/coalescing.md §4:
 *   min( exp(-(a ln(a/mu) - a + mu)),  exp(-2 (mu - a)^2 / K) ).
 * The Chernoff term falls as mu grows above a, so the lower end of an interval mean is used.
 */
export function probUniqueAtMost(mean: Interval | number, lookups: number, threshold: number): number {
  const mu = typeof mean === 'number' ? mean : mean.lower;
  if (!(threshold < mu)) return 1;
  const chernoff = Math.exp(-chernoffExponent(Math.max(0, threshold), mu));
  const mcdiarmid = lookups > 0 ? Math.exp((-2 * (mu - threshold) ** 2) / lookups) : 0;
  return Math.min(1, chernoff, mcdiarmid);
}
