/**
 * A probability distribution over the rows of one table, ranked by decreasing probability (rank 0 is the
 * hottest). Every cost in scarec is built from two range sums over ranks [from, to):
 *   mass(from, to)          = sum p_i
 *   touched(from, to, K)    = sum f_K(p_i),  f_K(p) = 1 - (1 - p)^K  (expected distinct rows touched)
 * Implementations must not loop over huge ranges: they return bounds whose relative width is at most
 * 1e-9 (proofs/zipf-sums.md), or exact values where those are cheap (uniform, counts).
 */
export interface Interval {
  /** best estimate (midpoint of the bounds, or the exact value) */
  value: number;
  lower: number;
  upper: number;
}

export interface RankDistribution {
  readonly kind: 'zipf' | 'uniform' | 'counts';
  /** number of rows N */
  readonly rows: number;
  /** probability of the row at this rank (0-based) */
  probability(rank: number): number;
  /** sum of probabilities over ranks [from, to) */
  mass(from: number, to: number): Interval;
  /** expected number of distinct rows among ranks [from, to) touched by `lookups` lookups */
  touched(from: number, to: number, lookups: number): Interval;
  /** Var bound: sum f(1 - f) over [from, to); the touch indicators are negatively correlated */
  touchedVarianceBound(from: number, to: number, lookups: number): Interval;
  /** a short description, e.g. "zipf(alpha=1.05, N=1e8)" */
  describe(): string;
}
