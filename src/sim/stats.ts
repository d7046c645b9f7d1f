/** Mean and standard error of independent observations (Welford's update, stable for large counts). */
export class RunningStat {
  n = 0;
  mean = 0;
  private m2 = 0;
  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  /** unbiased sample variance (0 with fewer than two observations) */
  get variance(): number {
    return this.n > 1 ? Math.max(0, this.m2 / (this.n - 1)) : 0;
  }
  /** standard error of the mean, sqrt(s^2 / n) (proofs/simulator.md §2) */
  get standardError(): number {
    return this.n > 0 ? Math.sqrt(this.variance / this.n) : 0;
  }
}

/** A measured mean next to its expectation. */
export interface Comparison {
  mean: number;
  /** standard error of the mean over batches */
  se: number;
  expected: number;
  /** (mean - expected) / se; 0 when both the difference and the spread are nil (see zScore) */
  z: number;
}

/**
 * z-score of a mean against its expectation. When the batches show no spread (se = 0), fall back to the
 * analytic bound on the standard error (`seBound`, from the variance bound) and, if that is 0 too, the
 * quantity is deterministic: report 0 for a difference at rounding level. Never NaN or Infinity.
 * The expectation itself is only known to a relative 1e-9 (the distributions' bound width,
 * proofs/zipf-sums.md), so the scale is never below that: a table whose rows are all touched in every batch
 * (se = 0, variance bound ~1e-28) is not flagged for a 1e-13 rounding difference.
 */
export function zScore(mean: number, se: number, expected: number, seBound = 0): number {
  const diff = mean - expected;
  const scale = Math.max(se > 0 ? se : seBound, 1e-9 * Math.abs(expected));
  if (scale > 0) return diff / scale;
  return Math.abs(diff) <= 1e-9 * Math.max(1, Math.abs(expected)) ? 0 : Math.sign(diff) * 1e9;
}

export function compare(stat: RunningStat, expected: number, seBound = 0): Comparison {
  const se = stat.standardError;
  return { mean: stat.mean, se, expected, z: zScore(stat.mean, se, expected, seBound) };
}
