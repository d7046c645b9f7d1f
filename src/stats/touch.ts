/**
 * f_K(p) = 1 - (1 - p)^K: probability that a row with per-lookup probability p is touched at least once
 * by K independent lookups. See proofs/touch-probability.md.
 *
 * Computed as -expm1(K * log1p(-p)): the naive form cancels catastrophically for small p and large K
 * (p = 1e-15 gives 1 - p == 1 in doubles). K need not be an integer (the formula is the analytic one).
 */
export function touchProbability(p: number, lookups: number): number {
  if (p <= 0 || lookups <= 0) return 0;
  if (p >= 1) return 1;
  return -Math.expm1(lookups * Math.log1p(-p));
}

/**
 * f_K(p) (1 - f_K(p)) = (1-p)^K (1 - (1-p)^K): one row's share of the variance bound (proofs/coalescing.md).
 * Computed from (1-p)^K directly: forming 1 - f after f rounds to 1 would lose all digits when (1-p)^K < 1e-16.
 */
export function touchVariance(p: number, lookups: number): number {
  if (p <= 0 || lookups <= 0 || p >= 1) return 0;
  const logMiss = lookups * Math.log1p(-p);
  return Math.exp(logMiss) * -Math.expm1(logMiss);
}
