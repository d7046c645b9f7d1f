import { interval, powerSumBounds, ROUNDING_PAD, smoothSumBounds, type SmoothTerm } from './bounds.js';
import type { Interval, RankDistribution } from './distribution.js';
import { touchProbability, touchVariance } from './touch.js';

/**
 * Zipf(alpha) over N ranked rows: p_i = (i+1)^-alpha / H_{N,alpha}, i = 0..N-1, any alpha > 0.
 *
 * Range sums never loop over more than HEAD_TERMS rows: the first HEAD_TERMS rows of a range are summed one
 * by one, the rest by Euler-Maclaurin with a rigorous remainder and an adaptive Gauss-Kronrod integral whose
 * error estimate is folded into the bounds. The normaliser H_{N,alpha} is itself an interval and is
 * propagated. Derivation: proofs/zipf-sums.md.
 */

/** Rows summed exactly at the start of every range; beyond them x >= HEAD_TERMS makes the EM remainder tiny. */
export const ZIPF_HEAD_TERMS = 1024;
/** Rows summed exactly at the start of a range that begins at x >= ZIPF_HEAD_TERMS. */
export const ZIPF_SHORT_HEAD = 16;

/**
 * The summand of sum_x g((1 - c x^-alpha)^K) as a function of x = rank + 1, where E = (1-p)^K = exp(L),
 * L = K log(1 - p), p = c x^-alpha, w = p / (1 - p). Closed forms (proofs/zipf-sums.md §3):
 *   L'   =  K alpha w / x
 *   L''  = -K alpha w (alpha (1 + w) + 1) / x^2
 *   L''' =  K alpha w (alpha (1 + w)(alpha + 1 + 2 alpha w) + 2 (alpha (1 + w) + 1)) / x^3
 * D(x) = |L'''| + 3 |L' L''| + |L'|^3 decreases in x and E increases, so on [xa, xb]
 *   |(1 - E)'''| <= E(xb) D(xa)  and  |(E - E^2)'''| <= 9 E(xb) D(xa).
 */
export interface TouchKernel {
  E(x: number): number;
  D(x: number): number;
  dL(x: number): number;
}

export function touchKernel(alpha: number, c: number, lookups: number): TouchKernel {
  const p = (x: number) => c * Math.pow(x, -alpha);
  return {
    E: (x) => Math.exp(lookups * Math.log1p(-p(x))),
    dL: (x) => {
      const px = p(x);
      return (lookups * alpha * (px / (1 - px))) / x;
    },
    D: (x) => {
      const px = p(x);
      const w = px / (1 - px);
      const k = lookups * alpha * w;
      const d1 = k / x;
      const d2 = (k * (alpha * (1 + w) + 1)) / (x * x);
      const d3 = (k * (alpha * (1 + w) * (alpha + 1 + 2 * alpha * w) + 2 * (alpha * (1 + w) + 1))) / (x * x * x);
      return d3 + 3 * d1 * d2 + d1 * d1 * d1;
    },
  };
}

/** h(x) = f_K(p) = 1 - E: h' = -E L'. */
function touchedTerm(alpha: number, c: number, lookups: number): SmoothTerm {
  const k = touchKernel(alpha, c, lookups);
  return {
    value: (x) => touchProbability(c * Math.pow(x, -alpha), lookups),
    derivative: (x) => -k.E(x) * k.dL(x),
    thirdDerivativeBound: (xa, xb) => k.E(xb) * k.D(xa),
  };
}

/** h(x) = f (1 - f) = E - E^2: h' = E L' (1 - 2E). */
function varianceTerm(alpha: number, c: number, lookups: number): SmoothTerm {
  const k = touchKernel(alpha, c, lookups);
  return {
    value: (x) => touchVariance(c * Math.pow(x, -alpha), lookups),
    derivative: (x) => {
      const e = k.E(x);
      return e * k.dL(x) * (1 - 2 * e);
    },
    thirdDerivativeBound: (xa, xb) => 9 * k.E(xb) * k.D(xa),
  };
}

/**
 * Bounds on sum_{x=x0}^{x1} term(x): the first ZIPF_HEAD_TERMS terms directly, the rest by smoothSumBounds.
 * Terms are positive, so the head sum is a valid `scale` (a lower bound on the total) for the tail.
 */
function rangeSum(term: SmoothTerm, x0: number, x1: number): Interval {
  // A range that starts at x0 >= ZIPF_HEAD_TERMS is already where the EM remainder is tiny: a short head
  // (a positive scale for the tail) is enough, so tail buckets of huge tables cost O(ZIPF_SHORT_HEAD), not 1024.
  const headEnd = Math.min(x1, x0 + (x0 >= ZIPF_HEAD_TERMS ? ZIPF_SHORT_HEAD : ZIPF_HEAD_TERMS) - 1);
  let head = 0;
  for (let x = headEnd; x >= x0; x--) head += term.value(x); // smallest terms first
  if (headEnd === x1) return interval(head * (1 - ROUNDING_PAD), head * (1 + ROUNDING_PAD));
  const tail = smoothSumBounds(term, headEnd + 1, x1, head);
  return interval(head * (1 - ROUNDING_PAD) + tail.lower, head * (1 + ROUNDING_PAD) + tail.upper);
}

export function zipfDistribution(alpha: number, rows: number): RankDistribution {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`zipf needs a finite alpha > 0 (got ${alpha})`);
  if (!Number.isSafeInteger(rows) || rows < 1) throw new RangeError(`zipf needs an integer number of rows >= 1 (got ${rows})`);
  const normaliser = powerSumBounds(alpha, 1, rows); // H_{N,alpha}
  // c = 1/H in [cLow, cHigh]; range sums are evaluated at cMid and widened (proofs/zipf-sums.md §5)
  const cLow = 1 / normaliser.upper;
  const cHigh = 1 / normaliser.lower;
  const cMid = 2 / (normaliser.lower + normaliser.upper);
  const lowRatio = cLow / cMid;
  const highRatio = cHigh / cMid;
  const clamp = (from: number, to: number): [number, number] => [Math.max(0, Math.ceil(from)), Math.min(rows, Math.floor(to))];

  const mass = (from: number, to: number): Interval => {
    const [a, b] = clamp(from, to);
    if (b <= a) return interval(0, 0);
    const s = powerSumBounds(alpha, a + 1, b);
    return interval(Math.max(0, s.lower * cLow), Math.min(1, s.upper * cHigh));
  };

  return {
    kind: 'zipf',
    rows,
    probability: (rank) => (rank >= 0 && rank < rows ? cMid * Math.pow(rank + 1, -alpha) : 0),
    mass,
    touched: (from, to, lookups) => {
      const [a, b] = clamp(from, to);
      if (b <= a || !(lookups > 0)) return interval(0, 0);
      const s = rangeSum(touchedTerm(alpha, cMid, lookups), a + 1, b);
      // S(c) has d log S / d log c in [0, 1] (f concave, f(0) = 0): proofs/zipf-sums.md §5
      const m = mass(a, b);
      const cap = Math.min(b - a, lookups * m.upper); // E[U] <= min(rows, K * mass)
      return interval(Math.max(0, s.lower * lowRatio), Math.min(cap, s.upper * highRatio));
    },
    touchedVarianceBound: (from, to, lookups) => {
      const [a, b] = clamp(from, to);
      if (b <= a || !(lookups > 0)) return interval(0, 0);
      const v = rangeSum(varianceTerm(alpha, cMid, lookups), a + 1, b);
      // Moving c within its interval moves each term by at most (dc/c) s_i, s_i = |1-2f| K p (1-p)^(K-1)
      // (proofs/zipf-sums.md §5). Two bounds on sum s_i, take the smaller:
      //   s_i <= p f'(p) <= f_i, so sum s_i <= min(rows, K mass);
      //   s_i <= (1 + T) V_i / (1 - p) where K p < T, and s_i <= T e^(-T/2) where K p >= T (T = 80).
      const T = 80;
      const pMax = cHigh * Math.pow(a + 1, -alpha);
      const crude = Math.min(b - a, lookups * mass(a, b).upper);
      const refined = pMax < 1 ? ((1 + T) * 2 * v.upper) / (1 - pMax) + (b - a) * T * Math.exp(-T / 2) : Infinity;
      const shift = Math.max(highRatio - 1, 1 - lowRatio) * Math.min(crude, refined);
      return interval(Math.max(0, v.lower - shift), Math.min(b - a, v.upper + shift));
    },
    describe: () => `zipf(alpha=${alpha}, N=${rows})`,
  };
}
