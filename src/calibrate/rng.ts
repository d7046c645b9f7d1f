import { Rng } from '../sim/rng.js';
import { ZipfSampler } from '../sim/sampler.js';
/**
 * Seeded random numbers and index samplers for the calibration kernels and the measured embedding stage.
 * Everything is a pure function of its seed (no module state), so every measurement is reproducible.
 */

/** xorshift128+ style generator (32-bit halves), seeded by splitmix32: returns uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  // xoshiro128** : 32-bit state words, period 2^128 - 1
  return () => {
    const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = ((d << 11) | (d >>> 21)) >>> 0;
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    return result / 4294967296;
  };
}

/** Cumulative distribution (Float64Array of length n, last entry 1) from unnormalised weights w(rank). */
export function cumulativeWeights(n: number, weight: (rank: number) => number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += weight(i);
    cdf[i] = acc;
  }
  if (!(acc > 0)) throw new RangeError('cumulativeWeights: total weight must be positive');
  for (let i = 0; i < n; i++) cdf[i] /= acc;
  cdf[n - 1] = 1;
  return cdf;
}

/** Zipf(alpha) over n ranks: weights (rank + 1)^-alpha. */
export function zipfCdf(n: number, alpha: number): Float64Array {
  return cumulativeWeights(n, (i) => Math.pow(i + 1, -alpha));
}

/** Draw `count` ranks by inverse-CDF binary search (rank i with probability cdf[i] - cdf[i-1]). */
export function sampleFromCdf(cdf: Float64Array, count: number, rand: () => number, out = new Uint32Array(count)): Uint32Array {
  const n = cdf.length;
  for (let j = 0; j < count; j++) {
    const u = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out[j] = lo;
  }
  return out;
}

/** `count` ranks uniform over [0, n). */
export function sampleUniform(n: number, count: number, rand: () => number, out = new Uint32Array(count)): Uint32Array {
  for (let j = 0; j < count; j++) out[j] = Math.min(n - 1, Math.floor(rand() * n));
  return out;
}

/**
 * Indices for a gather measurement: uniform, or Zipf(alpha) ranks scattered by a permutation. Zipf ranks are
 * drawn by rejection-inversion (src/sim/sampler.ts, proofs/simulator.md §1): O(1) per draw with no O(rows) CDF,
 * which kept a 512 MiB calibration table's index streams at seconds each.
 */
export function sampleIndices(
  rows: number,
  count: number,
  skew: { kind: 'uniform' } | { kind: 'zipf'; alpha: number },
  seed: number,
): Uint32Array {
  const rand = seededRandom(seed);
  if (skew.kind === 'uniform') return sampleUniform(rows, count, rand);
  const ranks = new Float64Array(count);
  new ZipfSampler(skew.alpha, rows).fill(new Rng(seed >>> 0, 1), ranks, count);
  const scatter = goldenScatter(rows);
  const out = new Uint32Array(count);
  for (let j = 0; j < count; j++) out[j] = scatter(ranks[j]!);
  return out;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** (x * y) mod n, exactly, for integers x, y < n < 2^31 (16-bit halves keep every product below 2^53). */
function mulMod(x: number, y: number, n: number): number {
  const hi = Math.floor(y / 65536);
  const lo = y % 65536;
  return (((x * hi) % n) * 65536 + x * lo) % n;
}

/**
 * A bijection of [0, n) that spreads consecutive ranks over the table: r -> (r a) mod n with a near n / phi and
 * coprime to n (a multiplicative permutation). Rank r and r + 1 land about 0.38 n apart and the hottest ranks
 * form a low-discrepancy set, so hot rows share no page, as with a random permutation, at O(1) per index instead
 * of an O(rows) shuffle.
 */
export function goldenScatter(n: number): (rank: number) => number {
  if (n <= 2) return (r) => r;
  let a = Math.max(1, Math.round(n * 0.6180339887498949));
  while (gcd(a, n) !== 1) a++;
  return (r) => mulMod(r, a % n, n);
}
