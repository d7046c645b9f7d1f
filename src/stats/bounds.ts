/**
 * Rigorous and estimated bounds for sums over huge rank ranges (proofs/zipf-sums.md).
 *
 * - `powerSumBounds(s, m, n)`: sum_{x=m}^{n} x^-s by an exact head plus Euler-Maclaurin with the remainder
 *   bounded by the first omitted term (x^-s is completely monotone, proofs/zipf-sums.md section 2).
 * - `smoothSumBounds(term, a, n, scale)`: sum_{x=a}^{n} h(x) for a smooth h by Euler-Maclaurin to the h'
 *   correction, remainder |R| <= (sqrt(3)/216) * int |h'''| (section 3), the integral by adaptive
 *   Gauss-Kronrod (7, 15) on log x with the |G7 - K15| error estimate folded into the bounds (section 4).
 */
import type { Interval } from './distribution.js';

/** Bernoulli numbers over factorials B_{2k}/(2k)! for k = 1..4. */
const BERNOULLI_OVER_FACTORIAL = [1 / 12, -1 / 720, 1 / 30240, -1 / 1209600] as const;

/** Terms of a power sum summed one by one before Euler-Maclaurin takes over (proofs/zipf-sums.md §2). */
const POWER_HEAD_TERMS = 64;

/** Relative padding for floating-point rounding of a few hundred operations (far below the 1e-9 target). */
export const ROUNDING_PAD = 1e-13;

export function interval(lower: number, upper: number): Interval {
  return { value: 0.5 * (lower + upper), lower, upper };
}

/** expm1(t) / t, continuous at t = 0 (used for integrals of x^-s uniform in s, including s = 1). */
function expm1OverT(t: number): number {
  return Math.abs(t) < 1e-300 ? 1 : Math.abs(t) < 1e-5 ? 1 + t / 2 + (t * t) / 6 : Math.expm1(t) / t;
}

/** int_a^b x^-s dx for 1 <= a <= b, stable for s near 1: a^(1-s) * L * expm1((1-s)L)/((1-s)L), L = ln(b/a). */
export function powerIntegral(s: number, a: number, b: number): number {
  const logRatio = Math.log(b / a);
  return Math.pow(a, 1 - s) * logRatio * expm1OverT((1 - s) * logRatio);
}

/** s (s+1) ... (s+j-1): |d^j/dx^j x^-s| = rising(s, j) x^-(s+j). */
function rising(s: number, j: number): number {
  let r = 1;
  for (let i = 0; i < j; i++) r *= s + i;
  return r;
}

/**
 * Bounds on sum_{x=m}^{n} x^-s for integers 1 <= m <= n, s > 0. The first POWER_HEAD_TERMS terms are summed
 * directly; the rest by Euler-Maclaurin with the B2, B4, B6 corrections and the remainder bounded by the
 * B8 term (proofs/zipf-sums.md §2). Relative width ~1e-13 (rounding padding only).
 */
export function powerSumBounds(s: number, m: number, n: number): Interval {
  if (n < m) return interval(0, 0);
  const headEnd = Math.min(n, m + POWER_HEAD_TERMS - 1);
  let head = 0;
  for (let x = headEnd; x >= m; x--) head += Math.pow(x, -s); // smallest first
  if (headEnd === n) return interval(head * (1 - ROUNDING_PAD), head * (1 + ROUNDING_PAD));
  const a = headEnd + 1;
  let tail = powerIntegral(s, a, n) + 0.5 * (Math.pow(a, -s) + Math.pow(n, -s));
  // odd derivatives: g^(2k-1)(x) = -rising(s, 2k-1) x^-(s+2k-1)
  for (let k = 1; k <= 3; k++) {
    const j = 2 * k - 1;
    const dn = -rising(s, j) * Math.pow(n, -(s + j));
    const da = -rising(s, j) * Math.pow(a, -(s + j));
    tail += BERNOULLI_OVER_FACTORIAL[k - 1]! * (dn - da);
  }
  const remainder = Math.abs(BERNOULLI_OVER_FACTORIAL[3]) * rising(s, 7) * (Math.pow(a, -(s + 7)) - Math.pow(n, -(s + 7)));
  const total = head + tail;
  return interval((total - remainder) * (1 - ROUNDING_PAD), (total + remainder) * (1 + ROUNDING_PAD));
}

/** A smooth summand h(x) on x >= a with what Euler-Maclaurin needs (proofs/zipf-sums.md §3). */
export interface SmoothTerm {
  value(x: number): number;
  /** h'(x) */
  derivative(x: number): number;
  /** an upper bound on |h'''(x)| for all x in [xa, xb] */
  thirdDerivativeBound(xa: number, xb: number): number;
}

// Gauss-Kronrod (7, 15) nodes and weights on [-1, 1] (QUADPACK qk15).
const GK_NODES = [
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
  0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
  0.207784955007898467600689403773245, 0,
];
const K15_WEIGHTS = [
  0.02293532201052922496373200805897, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
  0.140653259715525918745189590510238, 0.16900472663926790282658342659855, 0.190350578064785409913256402421014,
  0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
];
// G7 weights for nodes GK_NODES[1], [3], [5], [7]
const G7_WEIGHTS = [0.129484966168869693270611432679082, 0.27970539148927666790146777142378, 0.381830050505118944950369775488975, 0.417959183673469387755102040816327];

/** One Gauss-Kronrod (7, 15) step of int_{ua}^{ub} g(u) du: the K15 value and |K15 - G7|. */
export function gaussKronrod15(g: (u: number) => number, ua: number, ub: number): { value: number; error: number } {
  const mid = 0.5 * (ua + ub);
  const half = 0.5 * (ub - ua);
  const center = g(mid);
  let k15 = K15_WEIGHTS[7]! * center;
  let g7 = G7_WEIGHTS[3]! * center;
  for (let i = 0; i < 7; i++) {
    const sum = g(mid - half * GK_NODES[i]!) + g(mid + half * GK_NODES[i]!);
    k15 += K15_WEIGHTS[i]! * sum;
    if (i % 2 === 1) g7 += G7_WEIGHTS[(i - 1) / 2]! * sum;
  }
  return { value: k15 * half, error: Math.abs((k15 - g7) * half) };
}

/** Longest piece in u = ln x before adaptive bisection (proofs/zipf-sums.md §4). */
const PIECE_LOG_LENGTH = 0.5;
const QUAD_REL_TOL = 1e-12;
const MAX_DEPTH = 24;
const MAJORANT_DEPTH = 16;
/** max |B_3(t)| / 3! on [0, 1]: |EM remainder after the h' correction| <= this * int |h'''| */
export const EM_REMAINDER_CONSTANT = Math.sqrt(3) / 216;

/**
 * Bounds on sum_{x=a}^{n} h(x) over integers a <= x <= n (a >= 1), proofs/zipf-sums.md §3-4:
 *   sum = int_a^n h + (h(a) + h(n))/2 + (h'(n) - h'(a))/12 + R,  |R| <= (sqrt 3 / 216) int_a^n |h'''|.
 * `scale` is a positive size the caller already knows to be at most the total it is computing (used only to
 * stop refining pieces whose error is negligible in absolute terms).
 */
export function smoothSumBounds(term: SmoothTerm, a: number, n: number, scale: number): Interval {
  if (n < a) return interval(0, 0);
  if (n === a) {
    const v = term.value(a);
    return interval(v * (1 - ROUNDING_PAD), v * (1 + ROUNDING_PAD));
  }
  const ua = Math.log(a);
  const ub = Math.log(n);
  const pieces = Math.max(1, Math.ceil((ub - ua) / PIECE_LOG_LENGTH));
  const pieceStart = (i: number) => (i >= pieces ? ub : ua + ((ub - ua) * i) / pieces);
  const integrand = (u: number) => {
    const x = Math.exp(u);
    return term.value(x) * x;
  };
  // A coarse pass gives the size of the integral, so that pieces negligible in absolute terms (e.g. where
  // the integrand is ~e^-700) are not refined for relative accuracy they do not need.
  const coarse: Array<{ value: number; error: number }> = [];
  let coarseTotal = 0;
  for (let i = 0; i < pieces; i++) {
    const r = gaussKronrod15(integrand, pieceStart(i), pieceStart(i + 1));
    coarse.push(r);
    coarseTotal += Math.abs(r.value);
  }
  let integral = 0;
  let quadError = 0;
  const absTol = (1e-14 * Math.max(Math.abs(scale), coarseTotal)) / pieces;
  const refine = (u0: number, u1: number, depth: number, whole?: { value: number; error: number }): void => {
    const r = whole ?? gaussKronrod15(integrand, u0, u1);
    if (depth >= MAX_DEPTH || r.error <= Math.max(QUAD_REL_TOL * Math.abs(r.value), absTol)) {
      integral += r.value;
      quadError += r.error;
      return;
    }
    const um = 0.5 * (u0 + u1);
    refine(u0, um, depth + 1);
    refine(um, u1, depth + 1);
  };
  for (let i = 0; i < pieces; i++) refine(pieceStart(i), pieceStart(i + 1), 0, coarse[i]);
  // int |h'''| by a piecewise-constant majorant, bisected where it is not yet negligible
  const emTol = 1e-12 * Math.max(Math.abs(scale), Math.abs(integral)) / pieces / EM_REMAINDER_CONSTANT;
  let variation = 0;
  const pieceBound = (u0: number, u1: number): number => {
    const x0 = Math.exp(u0);
    const x1 = Math.exp(u1);
    return term.thirdDerivativeBound(x0, x1) * (x1 - x0);
  };
  // Bisect while the bound matters and bisection still tightens it: once a piece is short the majorant
  // is close to the true integral and refining further would only cost time.
  const majorant = (u0: number, u1: number, bound: number, depth: number): void => {
    if (depth >= MAJORANT_DEPTH || bound <= emTol) {
      variation += bound;
      return;
    }
    const um = 0.5 * (u0 + u1);
    const left = pieceBound(u0, um);
    const right = pieceBound(um, u1);
    if (left + right > 0.9 * bound) {
      variation += left + right;
      return;
    }
    majorant(u0, um, left, depth + 1);
    majorant(um, u1, right, depth + 1);
  };
  for (let i = 0; i < pieces; i++) majorant(pieceStart(i), pieceStart(i + 1), pieceBound(pieceStart(i), pieceStart(i + 1)), 0);
  const center = integral + 0.5 * (term.value(a) + term.value(n)) + (term.derivative(n) - term.derivative(a)) / 12;
  const halfWidth = quadError + EM_REMAINDER_CONSTANT * variation;
  return interval((center - halfWidth) * (1 - ROUNDING_PAD), (center + halfWidth) * (1 + ROUNDING_PAD));
}
