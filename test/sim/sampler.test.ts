import { describe, expect, it } from 'vitest';
import { countsDistribution, countsDistributionFromHistogram } from '../../src/stats/counts.js';
import { uniformDistribution } from '../../src/stats/uniform.js';
import { Rng } from '../../src/sim/rng.js';
import { AliasTable, CountsSampler, probabilityRuns, samplerFor, UniformSampler, ZipfSampler, type RankSampler } from '../../src/sim/sampler.js';
import { chiSquare, harmonic, zipfProbabilities } from './helpers.js';

function histogram(sampler: RankSampler, draws: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(draws);
  sampler.fill(rng, out, draws);
  const h = new Float64Array(sampler.rows);
  for (let i = 0; i < draws; i++) h[out[i]!]!++;
  return h;
}

describe('AliasTable', () => {
  it('encodes the weights exactly: each outcome gets (threshold + alias shares) / n = w_i / sum w', () => {
    const weights = [5, 0, 1, 3.5, 0.25, 7, 7, 1e-9, 2];
    const t = new AliasTable(weights);
    const total = weights.reduce((a, b) => a + b, 0);
    const implied = new Float64Array(weights.length);
    for (let j = 0; j < t.size; j++) {
      implied[j]! += t.threshold[j]! / t.size;
      if (t.alias[j] !== j) implied[t.alias[j]!]! += (1 - t.threshold[j]!) / t.size;
    }
    weights.forEach((w, i) => expect(implied[i]).toBeCloseTo(w / total, 14));
  });
  it('draws pass chi-square', () => {
    const weights = [10, 1, 4, 4, 0.5, 20];
    const t = new AliasTable(weights);
    const rng = new Rng(3);
    const h = new Float64Array(weights.length);
    const n = 200000;
    for (let i = 0; i < n; i++) h[t.sample(rng)]!++;
    const total = weights.reduce((a, b) => a + b, 0);
    const { stat, critical } = chiSquare(h, weights.map((w) => w / total), n);
    expect(stat).toBeLessThan(critical);
  });
  it('rejects empty, negative and all-zero weights', () => {
    expect(() => new AliasTable([])).toThrow();
    expect(() => new AliasTable([0, 0])).toThrow();
    expect(() => new AliasTable([1, -1])).toThrow();
  });
});

describe('probabilityRuns', () => {
  it('rebuilds the runs of a counts distribution from probability(rank) alone', () => {
    const counts = [9, 1, 4, 4, 4, 1, 1, 2, 0, 0];
    const runs = probabilityRuns(countsDistribution(counts));
    // sorted: 9 | 4 4 4 | 2 | 1 1 1 | (0 0 left out); 26 accesses
    expect(Array.from(runs.start)).toEqual([0, 1, 4, 5, 8]);
    expect(Array.from(runs.prob)).toEqual([9 / 26, 4 / 26, 2 / 26, 1 / 26]);
  });
  it('handles long runs (gallop and bisect) and a zero tail', () => {
    const d = countsDistributionFromHistogram([{ count: 3, rows: 1_000_003 }, { count: 1, rows: 5 }], 2_000_000);
    const runs = probabilityRuns(d);
    expect(Array.from(runs.start)).toEqual([0, 1_000_003, 1_000_008]);
  });
});

describe('samplers: observed frequencies against p_i (chi-square, critical value at ~1e-6)', () => {
  it('uniform over 50 rows', () => {
    const n = 200000;
    const { stat, critical } = chiSquare(histogram(new UniformSampler(50), n, 1), new Float64Array(50).fill(1 / 50), n);
    expect(stat).toBeLessThan(critical);
  });
  it('counts, including single-row runs, long runs and rows of probability 0', () => {
    const counts = [50, 20, 20, 20, 7, 3, 3, 1, 1, 1, 1, 1, 0, 0];
    const d = countsDistribution(counts);
    const s = new CountsSampler(d);
    const n = 300000;
    const h = histogram(s, n, 2);
    const p = Float64Array.from({ length: d.rows }, (_, i) => d.probability(i));
    expect(h[12]).toBe(0);
    expect(h[13]).toBe(0);
    const { stat, critical } = chiSquare(h, p, n);
    expect(stat).toBeLessThan(critical);
  });
  for (const [alpha, N] of [[0.5, 10], [1, 10], [1.05, 30], [2.5, 12], [20, 5]] as const) {
    // head table for every rank (default), none (pure rejection-inversion), and a split at rank 4
    for (const head of [undefined, 0, 4]) {
      it(`zipf(${alpha}) over ${N} rows, head table ${head ?? 'all'}: exact by enumeration`, () => {
        const n = 300000;
        const h = histogram(new ZipfSampler(alpha, N, head), n, 11);
        const { stat, critical } = chiSquare(h, zipfProbabilities(alpha, N), n);
        expect(stat).toBeLessThan(critical);
      });
    }
  }
  it('zipf: the head table takes the same decisions as pure rejection-inversion (same draws, same seed)', () => {
    for (const [alpha, N] of [[1.05, 1e6], [0.7, 5e4], [1.5, 1e9]] as const) {
      const a = new Float64Array(100000);
      const b = new Float64Array(100000);
      new ZipfSampler(alpha, N).fill(new Rng(31), a, a.length);
      new ZipfSampler(alpha, N, 0).fill(new Rng(31), b, b.length);
      let differ = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
      // only a u within rounding of an interval end could be decided differently
      expect(differ).toBeLessThanOrEqual(1);
    }
  });
  it('zipf(1.05) over 2000 rows: chi-square on 40 bins of equal expected mass... and the test can fail', () => {
    const N = 2000;
    const n = 400000;
    const p = zipfProbabilities(1.05, N);
    // bins of about equal probability, so every expected count is large
    const edges: number[] = [0];
    let acc = 0;
    for (let i = 0; i < N; i++) {
      acc += p[i]!;
      if (acc >= edges.length / 40 && edges.length < 40) edges.push(i + 1);
    }
    edges.push(N);
    const binOf = new Int32Array(N);
    const pb = new Float64Array(edges.length - 1);
    for (let b = 0; b + 1 < edges.length; b++)
      for (let i = edges[b]!; i < edges[b + 1]!; i++) {
        binOf[i] = b;
        pb[b]! += p[i]!;
      }
    const binned = (alpha: number) => {
      const h = histogram(new ZipfSampler(alpha, N), n, 5);
      const o = new Float64Array(pb.length);
      h.forEach((c, i) => (o[binOf[i]!]! += c));
      return chiSquare(o, pb, n);
    };
    const ok = binned(1.05);
    expect(ok.stat).toBeLessThan(ok.critical);
    // a sampler off by 0.02 in alpha is caught by the same test at this sample size
    const wrong = binned(1.07);
    expect(wrong.stat).toBeGreaterThan(wrong.critical);
  });
  it('zipf(1.05) over 1e10 rows: P(rank 0) and P(rank >= 1e9) within 4 se of the exact masses', () => {
    const alpha = 1.05;
    const N = 1e10;
    const HN = harmonic(alpha, N);
    const p0 = 1 / HN;
    const pTail = (HN - harmonic(alpha, 1e9)) / HN;
    const s = new ZipfSampler(alpha, N);
    const rng = new Rng(9);
    const n = 1 << 20;
    const out = new Float64Array(n);
    s.fill(rng, out, n);
    let zeros = 0;
    let tail = 0;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const x = out[i]!;
      if (!(Number.isInteger(x) && x >= 0 && x < N)) bad++;
      if (x === 0) zeros++;
      if (x >= 1e9) tail++;
    }
    expect(bad).toBe(0);
    expect(Math.abs(zeros / n - p0)).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / n));
    expect(Math.abs(tail / n - pTail)).toBeLessThan(4 * Math.sqrt((pTail * (1 - pTail)) / n));
  });
  it('zipf over one row always draws rank 0', () => {
    expect(histogram(new ZipfSampler(1.05, 1), 1000, 1)[0]).toBe(1000);
  });
  it('samplerFor picks by kind; zipf alpha comes from the spec', () => {
    expect(samplerFor(uniformDistribution(7)).kind).toBe('uniform');
    expect(samplerFor(countsDistribution([3, 1])).kind).toBe('counts');
    const fakeZipf = { ...uniformDistribution(100), kind: 'zipf' as const, describe: () => 'zipf' };
    const z = samplerFor(fakeZipf, { kind: 'zipf', alpha: 1.2 });
    expect(z.kind).toBe('zipf');
    expect((z as ZipfSampler).alpha).toBe(1.2);
    expect(() => samplerFor(fakeZipf)).toThrow(/alpha/);
  });
  it('fill draws the same ranks as repeated sample() (uniforms taken in chunks, none skipped or wasted)', () => {
    const counts = countsDistributionFromHistogram([{ count: 9, rows: 1 }, { count: 3, rows: 5000 }, { count: 1, rows: 70000 }]);
    const samplers: RankSampler[] = [new ZipfSampler(1.05, 1e9), new ZipfSampler(0.8, 5e4, 100), new CountsSampler(counts), new UniformSampler(1e7)];
    for (const s of samplers) {
      const n = 5000;
      const filled = new Float64Array(n);
      const rngA = new Rng(4);
      s.fill(rngA, filled, n);
      const rngB = new Rng(4);
      for (let i = 0; i < n; i++) expect(filled[i]).toBe(s.sample(rngB));
      // both generators end in the same state: fill consumed exactly the uniforms sample() did
      expect(rngA.nextU32()).toBe(rngB.nextU32());
    }
  });
  it('the same seed gives the same ranks', () => {
    const a = histogram(new ZipfSampler(1.1, 1000), 5000, 77);
    const b = histogram(new ZipfSampler(1.1, 1000), 5000, 77);
    const c = histogram(new ZipfSampler(1.1, 1000), 5000, 78);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});
