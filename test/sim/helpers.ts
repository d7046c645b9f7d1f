/**
 * Chi-square goodness of fit for the sampler tests. The critical value is the Wilson-Hilferty
 * approximation of the chi-square quantile at upper-tail probability about 1e-6 (z = 4.75): a correct
 * sampler fails one such test in a million seeds, and every test uses a fixed seed.
 */
export function chiSquare(observed: ArrayLike<number>, probabilities: ArrayLike<number>, draws: number): { stat: number; df: number; critical: number } {
  let stat = 0;
  let df = -1;
  for (let i = 0; i < observed.length; i++) {
    const e = probabilities[i]! * draws;
    if (e <= 0) {
      if (observed[i]! > 0) return { stat: Infinity, df: 1, critical: 0 };
      continue;
    }
    stat += (observed[i]! - e) ** 2 / e;
    df++;
  }
  return { stat, df, critical: chiSquareCritical(df) };
}

export function chiSquareCritical(df: number, z = 4.75): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Zipf probabilities p_k proportional to k^-alpha, k = 1..N (summed directly: small N only). */
export function zipfProbabilities(alpha: number, N: number): Float64Array {
  const p = Float64Array.from({ length: N }, (_, i) => (i + 1) ** -alpha);
  const total = p.reduce((s, x) => s + x, 0);
  return p.map((x) => x / total);
}

/**
 * H_{N,alpha} = sum_{k=1}^N k^-alpha for huge N: the first M - 1 terms summed, the rest by Euler-Maclaurin
 * to the f''' term (error below M^(-alpha-3), far under what the tests resolve).
 */
export function harmonic(alpha: number, N: number, M = 100000): number {
  if (N < M + 10) {
    let s = 0;
    for (let k = N; k >= 1; k--) s += k ** -alpha;
    return s;
  }
  let s = 0;
  for (let k = M - 1; k >= 1; k--) s += k ** -alpha;
  const f = (x: number) => x ** -alpha;
  const f1 = (x: number) => -alpha * x ** (-alpha - 1);
  const integral = alpha === 1 ? Math.log(N / M) : (N ** (1 - alpha) - M ** (1 - alpha)) / (1 - alpha);
  return s + integral + (f(M) + f(N)) / 2 + (f1(N) - f1(M)) / 12;
}
