/**
 * Simulator throughput on one core: lookups per second of sampling plus coalescing (distinct counting
 * with the epoch-stamped sets), for Zipf(1.05) over 1e8 rows and a counts histogram, and of the whole
 * simulate() (sampling, coalescing, plan ranges, costing) on one-table scenarios. Aim: > 2e7 lookups/s.
 */
import { cpus, loadavg } from 'node:os';
import { buildScenario } from '../src/model/scenario.js';
import { uniformPlan } from '../src/model/plan.js';
import type { ScenarioInput } from '../src/model/schema.js';
import { countsDistributionFromHistogram } from '../src/stats/counts.js';
import { rankSetFor } from '../src/sim/distinct.js';
import { Rng } from '../src/sim/rng.js';
import { CountsSampler, UniformSampler, ZipfSampler, type RankSampler } from '../src/sim/sampler.js';
import { simulate } from '../src/sim/simulate.js';
import { medianMs, type BenchContext, type BenchResult } from './types.js';

/** A Terabyte-like histogram: count c held by about 1e7 / c^1.7 rows, 1e7 rows in all. */
function heavyHistogram(): Array<{ count: number; rows: number }> {
  const runs: Array<{ count: number; rows: number }> = [];
  for (let c = 1; c <= 100000; c = Math.ceil(c * 1.05)) runs.push({ count: c, rows: Math.max(1, Math.round(1e7 / c ** 1.7)) });
  return runs;
}

function kernel(sampler: RankSampler, K: number, batches: number): () => number {
  const rng = new Rng(7);
  const buf = new Float64Array(K);
  const set = rankSetFor(sampler.rows, K);
  return () => {
    let distinct = 0;
    for (let b = 0; b < batches; b++) {
      sampler.fill(rng, buf, K);
      set.clear();
      for (let i = 0; i < K; i++) set.add(buf[i]!);
      distinct += set.size;
    }
    return distinct;
  };
}

function scenarioInput(distribution: ScenarioInput['tables'][number]['distribution'], rows: number, batch: number): ScenarioInput {
  return {
    name: 'bench',
    tables: [{ name: 'T', rows, dim: 64, distribution }],
    devices: { gpus: 1, gpuMemoryBytes: 8e10, gpuGatherBytesPerSec: 2e12, hostMemoryBytes: 1e12, hostGatherBytesPerSec: 1e11 },
    links: { hostToGpuBytesPerSec: 5e10 },
    training: { globalBatch: batch },
  };
}

export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  const K = ctx.quick ? 1 << 16 : 1 << 18;
  const batches = ctx.quick ? 4 : 16;
  const lookups = K * batches;
  const counts = countsDistributionFromHistogram(heavyHistogram());
  const cases: Array<[string, RankSampler]> = [
    ['zipf(1.05), N=1e8', new ZipfSampler(1.05, 1e8)],
    ['zipf(1.05), N=1e10', new ZipfSampler(1.05, 1e10)],
    ['zipf(1.05), N=1e8, no head table', new ZipfSampler(1.05, 1e8, 0)],
    [`counts (${counts.rows} rows)`, new CountsSampler(counts)],
    ['uniform, N=1e6', new UniformSampler(1e6)],
  ];
  const rows: BenchResult['rows'] = [];
  const notes: string[] = [];
  for (const [name, sampler] of cases) {
    const ms = await medianMs(kernel(sampler, K, batches), 5);
    const perSec = lookups / (ms / 1e3);
    rows.push({ what: 'sample + coalesce', distribution: name, lookups, medianMs: ms, lookupsPerSec: perSec, aimMet: perSec > 2e7 });
  }
  // the two halves apart, to show which one bounds the kernel
  for (const [name, sampler] of cases) {
    const rng = new Rng(7);
    const buf = new Float64Array(K);
    const msSample = await medianMs(() => {
      for (let b = 0; b < batches; b++) sampler.fill(rng, buf, K);
    }, 5);
    const set = rankSetFor(sampler.rows, K);
    const msSet = await medianMs(() => {
      for (let b = 0; b < batches; b++) {
        set.clear();
        for (let i = 0; i < K; i++) set.add(buf[i]!);
      }
    }, 5);
    rows.push({ what: 'sample only', distribution: name, lookups, medianMs: msSample, lookupsPerSec: lookups / (msSample / 1e3), aimMet: null });
    rows.push({ what: 'coalesce only (last batch, repeated)', distribution: name, lookups, medianMs: msSet, lookupsPerSec: lookups / (msSet / 1e3), aimMet: null });
  }
  // Whole simulate() on one GPU, all rows on host: adds range search, costing and statistics per batch.
  const sims: Array<[string, ScenarioInput]> = [
    [`counts (${counts.rows} rows)`, scenarioInput({ kind: 'counts', counts: [] }, counts.rows, K)],
    ['uniform, N=1e6', scenarioInput({ kind: 'uniform' }, 1e6, K)],
    ['zipf(1.05), N=1e8', scenarioInput({ kind: 'zipf', alpha: 1.05 }, 1e8, K)],
  ];
  for (const [name, input] of sims) {
    try {
      const sc = buildScenario(name.startsWith('counts') ? { ...input, tables: [{ ...input.tables[0]!, distribution: { kind: 'uniform' } }] } : input, { baseDir: '.', file: 'bench' });
      // counts histograms this large are not written out as per-row arrays: swap the distribution in directly
      const scenario = name.startsWith('counts')
        ? { ...sc, tables: [{ ...sc.tables[0]!, distribution: counts, distributionSpec: { kind: 'counts' as const, counts: [1] } }] }
        : sc;
      const plan = uniformPlan(scenario, 'host');
      const ms = await medianMs(() => simulate(scenario, plan, { batches, seed: 1 }), 3);
      const perSec = lookups / (ms / 1e3);
      rows.push({ what: 'simulate()', distribution: name, lookups, medianMs: ms, lookupsPerSec: perSec, aimMet: perSec > 2e7 });
    } catch (e) {
      notes.push(`simulate() on ${name} skipped: ${(e as Error).message}`);
    }
  }
  const z = rows.find((r) => r.what === 'sample + coalesce' && String(r.distribution).startsWith('zipf(1.05), N=1e8'));
  const c = rows.find((r) => r.what === 'sample + coalesce' && String(r.distribution).startsWith('counts'));
  const z0 = rows.find((r) => String(r.distribution).includes('no head table'));
  if (z && z0) notes.push(`zipf head table speed-up (same run): ${((z.lookupsPerSec as number) / (z0.lookupsPerSec as number)).toFixed(2)}x`);
  if (c) {
    const sc = rows.find((r) => r.what === 'simulate()' && String(r.distribution).startsWith('counts'));
    if (sc) notes.push(`simulate() / kernel speed, counts (same run): ${((sc.lookupsPerSec as number) / (c.lookupsPerSec as number)).toFixed(2)}`);
  }
  notes.push(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores (timings on a busy machine are lower bounds)`);
  if (z && c) notes.push(`counts / zipf speed ratio (same run): ${((c.lookupsPerSec as number) / (z.lookupsPerSec as number)).toFixed(2)}`);
  notes.push(`K = ${K} lookups per batch, ${batches} batches per timing, median of 5 (3 for simulate()); one core; aim > 2e7 lookups/s.`);
  return { title: 'Simulator: lookups per second (sampling + coalescing)', rows, notes };
}
