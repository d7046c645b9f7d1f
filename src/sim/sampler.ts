import type { RankDistribution } from '../stats/distribution.js';
import type { DistributionSpec } from '../model/schema.js';
import type { Rng } from './rng.js';

/**
 * Samplers of ranks (0 = hottest) from the distributions of src/stats, exact up to floating point
 * (proofs/simulator.md §1). Each fills a Float64Array (ranks of Zipf tables go up to 1e10, past int32).
 */
export interface RankSampler {
  readonly kind: 'uniform' | 'counts' | 'zipf';
  readonly rows: number;
  /** one rank */
  sample(rng: Rng): number;
  /** out[0..n) = n independent ranks */
  fill(rng: Rng, out: Float64Array, n: number): void;
}

/** Uniform over [0, N): floor(u N) with a 53-bit u. */
export class UniformSampler implements RankSampler {
  readonly kind = 'uniform' as const;
  constructor(readonly rows: number) {
    if (!(rows >= 1) || !Number.isInteger(rows)) throw new RangeError(`uniform sampler needs integer rows >= 1 (got ${rows})`);
  }
  sample(rng: Rng): number {
    return Math.floor(rng.nextDouble() * this.rows);
  }
  fill(rng: Rng, out: Float64Array, n: number): void {
    const N = this.rows;
    rng.fillDoubles(out, n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(out[i]! * N);
  }
}

/**
 * Walker's alias method, Vose's construction: O(n) set-up, O(1) per draw. Weights need not sum to 1.
 * One 53-bit uniform u picks column j = floor(u n) and its fractional part flips the column's coin.
 */
export class AliasTable {
  readonly size: number;
  readonly threshold: Float64Array;
  readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`alias weight ${i} is ${w}`);
      total += w;
    }
    if (!(n > 0) || !(total > 0)) throw new RangeError('alias table needs at least one positive weight');
    this.size = n;
    this.threshold = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large[large.length - 1]!;
      this.threshold[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      if (scaled[l]! < 1) {
        large.pop();
        small.push(l);
      }
    }
    // what is left has weight 1 up to rounding: the column keeps itself
    for (const i of large) {
      this.threshold[i] = 1;
      this.alias[i] = i;
    }
    for (const i of small) {
      this.threshold[i] = 1;
      this.alias[i] = i;
    }
  }

  sample(rng: Rng): number {
    const u = rng.nextDouble() * this.size;
    const j = Math.floor(u);
    return u - j < this.threshold[j]! ? j : this.alias[j]!;
  }
}

/** Runs of equal probability of a counts distribution: ranks [start[j], start[j+1]) have probability prob[j]. */
export interface ProbabilityRuns {
  start: Float64Array;
  prob: Float64Array;
}

/**
 * Rebuild the runs of a piecewise-constant, non-increasing distribution (a `counts` distribution) from
 * `probability(rank)` alone: from each run's first rank, gallop then bisect to the first rank whose
 * probability differs. O(runs log N) probability calls. The zero-probability tail is left out.
 */
export function probabilityRuns(d: RankDistribution): ProbabilityRuns {
  const N = d.rows;
  const starts: number[] = [];
  const probs: number[] = [];
  let a = 0;
  while (a < N) {
    const p = d.probability(a);
    if (!(p > 0)) break;
    // invariant: probability(lo) === p; find hi with probability(hi) !== p (or hi === N)
    let lo = a;
    let step = 1;
    let hi = Math.min(N, a + 1);
    while (hi < N && d.probability(hi) === p) {
      lo = hi;
      step *= 2;
      hi = Math.min(N, a + step);
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (d.probability(mid) === p) lo = mid;
      else hi = mid;
    }
    starts.push(a);
    probs.push(p);
    a = hi;
  }
  if (starts.length === 0) throw new RangeError(`${d.describe()}: no rank has positive probability`);
  starts.push(a);
  return { start: Float64Array.from(starts), prob: Float64Array.from(probs) };
}

/**
 * Counts: an alias table over runs weighted by run mass (p_j * rows_j), then a uniform rank within the
 * run. P(rank i in run j) = (p_j n_j / sum) * (1 / n_j) = p_j / sum, which is p_i (proofs/simulator.md §1).
 */
export class CountsSampler implements RankSampler {
  readonly kind = 'counts' as const;
  readonly rows: number;
  private readonly table: AliasTable;
  private readonly start: Float64Array;
  private readonly runRows: Float64Array;
  private readonly pool = new Float64Array(POOL_DOUBLES);

  constructor(d: RankDistribution, runs: ProbabilityRuns = probabilityRuns(d)) {
    this.rows = d.rows;
    const R = runs.prob.length;
    this.start = runs.start;
    this.runRows = new Float64Array(R);
    const mass = new Float64Array(R);
    for (let j = 0; j < R; j++) {
      this.runRows[j] = runs.start[j + 1]! - runs.start[j]!;
      mass[j] = runs.prob[j]! * this.runRows[j]!;
    }
    this.table = new AliasTable(mass);
  }
  sample(rng: Rng): number {
    const j = this.table.sample(rng);
    return this.start[j]! + Math.floor(rng.nextDouble() * this.runRows[j]!);
  }
  fill(rng: Rng, out: Float64Array, n: number): void {
    const { threshold, alias, size } = this.table;
    const start = this.start;
    const runRows = this.runRows;
    // uniforms in chunks of at most n - i (each rank still to draw takes at least one): the same stream
    // as one nextDouble() per uniform, and none generated in vain
    const pool = this.pool;
    let avail = 0;
    let p = 0;
    for (let i = 0; i < n; i++) {
      if (p === avail) {
        avail = Math.min(POOL_DOUBLES, n - i);
        rng.fillDoubles(pool, avail);
        p = 0;
      }
      const u = pool[p++]! * size;
      let j = Math.floor(u);
      if (u - j >= threshold[j]!) j = alias[j]!;
      const len = runRows[j]!;
      if (len === 1) {
        out[i] = start[j]!;
        continue;
      }
      if (p === avail) {
        avail = Math.min(POOL_DOUBLES, n - i);
        rng.fillDoubles(pool, avail);
        p = 0;
      }
      out[i] = start[j]! + Math.floor(pool[p++]! * len);
    }
  }
}

/**
 * Zipf(alpha) over N ranks, p_k proportional to k^-alpha (k = rank + 1), by rejection-inversion
 * (Hörmann & Derflinger 1996, "Rejection-inversion to generate variates from monotone discrete
 * distributions"): no table, O(1) expected time for any N (up to 1e10 and beyond) and any alpha > 0.
 * Hat: the continuous density h(x) = x^-alpha on [1/2, N + 1/2], inverted through its integral H;
 * a draw x is rounded to k and accepted when u >= H(k + 1/2) - h(k), which makes P(k) exactly
 * proportional to h(k) (proofs/simulator.md §1). Most draws pass the cheap squeeze k - x <= s.
 */
export class ZipfSampler implements RankSampler {
  readonly kind = 'zipf' as const;
  private readonly hX1: number;
  private readonly hN: number;
  private readonly squeeze: number;
  /** head table (ranks 1..M): upper[k] = H(k + 1/2), accept[k] = H(k + 1/2) - h(k), guide cells over u */
  private readonly headU: number;
  private readonly upper: Float64Array;
  private readonly accept: Float64Array;
  private readonly guide: Int32Array;
  private readonly guideScale: number;
  private readonly pool = new Float64Array(POOL_DOUBLES);

  constructor(
    readonly alpha: number,
    readonly rows: number,
    /** ranks served by the head table (0: pure rejection-inversion; the draws are the same either way) */
    headRanks = HEAD_RANKS,
  ) {
    if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`zipf sampler needs alpha > 0 (got ${alpha})`);
    if (!(rows >= 1) || !Number.isInteger(rows)) throw new RangeError(`zipf sampler needs integer rows >= 1 (got ${rows})`);
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(rows + 0.5);
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
    // The same decisions for the M hottest ranks without transcendental functions: u lands in rank k's
    // interval (H(k - 1/2), H(k + 1/2)] and is accepted when u >= H(k + 1/2) - h(k). A guide table over u
    // finds k in a few steps (proofs/simulator.md §1). Only the rounding of H^-1 near interval ends differs.
    const M = Math.max(0, Math.min(rows, Math.floor(headRanks)));
    this.upper = new Float64Array(M + 1);
    this.accept = new Float64Array(M + 1);
    for (let k = 1; k <= M; k++) {
      this.upper[k] = this.hIntegral(k + 0.5);
      this.accept[k] = this.upper[k]! - this.h(k);
    }
    // with no head table, no u falls at or below H(3/2) - 1
    this.headU = M > 0 ? this.upper[M]! : this.hX1 - 1;
    const G = GUIDE_CELLS_PER_RANK * M;
    this.guide = new Int32Array(G + 1);
    this.guideScale = M > 0 ? G / (this.headU - this.hX1) : 0;
    let k = 1;
    for (let g = 0; g <= G; g++) {
      const cellStart = this.hX1 + g / this.guideScale;
      while (k < M && this.upper[k]! < cellStart) k++;
      this.guide[g] = k;
    }
  }

  /** H(x) = (x^(1-alpha) - 1) / (1 - alpha), the antiderivative of x^-alpha with H(1) = 0 (log x at alpha = 1) */
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.alpha) * logX) * logX;
  }
  private h(x: number): number {
    return Math.exp(-this.alpha * Math.log(x));
  }
  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.alpha);
    if (t < -1) t = -1; // rounding guard: H^-1 is only defined for t >= -1
    return Math.exp(log1pOverX(t) * x);
  }

  sample(rng: Rng): number {
    const N = this.rows;
    for (;;) {
      // u uniform in (H(1.5) - 1, H(N + 0.5)]: the hat's area, with the first rank's mass h(1) = 1 before H(1.5)
      const u = this.hN + rng.nextDouble() * (this.hX1 - this.hN);
      if (u <= this.headU) {
        let k = this.guide[Math.floor((u - this.hX1) * this.guideScale)]!;
        while (this.upper[k]! < u) k++;
        if (u >= this.accept[k]!) return k - 1;
        continue;
      }
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > N) k = N;
      if (k - x <= this.squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) return k - 1;
    }
  }
  /** the same decisions as sample(), with the fields in locals and the uniforms drawn in chunks */
  fill(rng: Rng, out: Float64Array, n: number): void {
    const N = this.rows;
    const hN = this.hN;
    const hX1 = this.hX1;
    const width = this.hX1 - this.hN;
    const headU = this.headU;
    const guide = this.guide;
    const guideScale = this.guideScale;
    const upper = this.upper;
    const accept = this.accept;
    const squeeze = this.squeeze;
    const pool = this.pool;
    let avail = 0;
    let p = 0;
    for (let i = 0; i < n; i++) {
      for (;;) {
        // at most n - i uniforms: the rank being drawn and each later one take at least one
        if (p === avail) {
          avail = Math.min(POOL_DOUBLES, n - i);
          rng.fillDoubles(pool, avail);
          p = 0;
        }
        const u = hN + pool[p++]! * width;
        if (u <= headU) {
          let k = guide[Math.floor((u - hX1) * guideScale)]!;
          while (upper[k]! < u) k++;
          if (u >= accept[k]!) {
            out[i] = k - 1;
            break;
          }
          continue;
        }
        const x = this.hIntegralInverse(u);
        let k = Math.floor(x + 0.5);
        if (k < 1) k = 1;
        else if (k > N) k = N;
        if (k - x <= squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) {
          out[i] = k - 1;
          break;
        }
      }
    }
  }
}

/** uniforms drawn per chunk by the samplers' fill (8 KiB: stays in L1) */
const POOL_DOUBLES = 1024;

/** ranks of the Zipf head table (512 KiB of doubles): most of the mass for the skews of recommendation data */
const HEAD_RANKS = 1 << 15;

/** expm1(x) / x, continuous at 0 (series there: expm1 loses nothing, but the quotient is 0/0) */
function expm1OverX(x: number): number {
  if (Math.abs(x) > 1e-8) return Math.expm1(x) / x;
  return 1 + x * 0.5 * (1 + x / 3);
}
/** log1p(x) / x, continuous at 0 */
function log1pOverX(x: number): number {
  if (Math.abs(x) > 1e-8) return Math.log1p(x) / x;
  return 1 - x * (0.5 - x / 3);
}

/**
 * The sampler of a table's distribution. Zipf's alpha comes from the scenario's distribution spec (the
 * RankDistribution interface does not expose it); uniform and counts read the distribution itself.
 */
export function samplerFor(d: RankDistribution, spec?: DistributionSpec): RankSampler {
  if (d.kind === 'uniform') return new UniformSampler(d.rows);
  if (d.kind === 'counts') return new CountsSampler(d);
  const alpha = spec?.kind === 'zipf' ? spec.alpha : parseAlpha(d.describe());
  if (alpha === undefined) throw new RangeError(`zipf sampler: alpha unknown for ${d.describe()}`);
  return new ZipfSampler(alpha, d.rows);
}

function parseAlpha(description: string): number | undefined {
  const m = /alpha\s*=\s*([0-9.eE+-]+)/.exec(description);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : undefined;
}
/** guide cells per head rank */
const GUIDE_CELLS_PER_RANK = 2;
