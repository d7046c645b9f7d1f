import { existsSync } from 'node:fs';
import { evaluate } from '../src/model/evaluate.js';
import { buildScenario, loadScenario, type Scenario } from '../src/model/scenario.js';
import type { ScenarioInput } from '../src/model/schema.js';
import { comparePlans, greedyBatchSearch, greedyPlan } from '../src/plan/index.js';
import { medianMs, type BenchContext, type BenchResult } from './types.js';

const TERABYTE_ROWS = [45833188, 36746, 17245, 7413, 20243, 3, 7114, 1441, 62, 29275261, 1572176, 345138, 10, 2209, 11267, 128, 4, 974, 14, 48937457, 11316796, 40094537, 452104, 12606, 104, 35];

export function terabyte(): Scenario {
  const file = 'models/criteo-terabyte-8gpu.json';
  if (existsSync(file)) return loadScenario(file);
  return buildScenario(
    {
      name: 'criteo-terabyte-8gpu (bench fallback)',
      tables: TERABYTE_ROWS.map((rows, i) => ({ name: `C${i + 1}`, rows, dim: 128, pooling: 1, distribution: { kind: 'zipf', alpha: 1.05 } })),
      devices: { gpus: 8, gpuMemoryBytes: 40e9, gpuGatherBytesPerSec: 1.2e12, hostMemoryBytes: 1e12, hostGatherBytesPerSec: 5e10 },
      links: { hostToGpuBytesPerSec: 2.5e10, gpuToGpuBytesPerSec: 2e11, latencySec: 1e-5 },
      training: { globalBatch: 65536, denseSecondsPerSample: 2e-8, overlap: 'serial' },
    },
    { baseDir: '.', file: 'bench' },
  );
}

/** Generated family: T tables (log-uniform rows 10..5e7, zipf 0.8..1.3), W GPUs, memory for ~30% of the rows. */
export function generated(T: number, W: number, seed: number): Scenario {
  let x = seed >>> 0;
  const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const tables = Array.from({ length: T }, (_, i) => ({
    name: `t${i}`,
    rows: Math.round(10 * Math.pow(5e6, rnd())),
    dim: [32, 64, 128][Math.floor(rnd() * 3)]!,
    pooling: 1 + Math.floor(rnd() * 4),
    distribution: { kind: 'zipf' as const, alpha: 0.8 + 0.5 * rnd() },
  }));
  const bytes = tables.reduce((s, t) => s + t.rows * t.dim * 4, 0);
  const input: ScenarioInput = {
    name: `gen-T${T}-W${W}-s${seed}`,
    tables,
    devices: { gpus: W, gpuMemoryBytes: (0.3 * bytes) / W + 1e6, gpuGatherBytesPerSec: 1.2e12, hostMemoryBytes: 2 * bytes + 1e9, hostGatherBytesPerSec: 5e10 },
    links: { hostToGpuBytesPerSec: 2.5e10, gpuToGpuBytesPerSec: 2e11, latencySec: 1e-5, ...(W > 8 ? { gpusPerNode: 8, interNodeBytesPerSec: 2.5e10 } : {}) },
    training: { globalBatch: 4096 * W, denseSecondsPerSample: 2e-8, overlap: 'serial' },
  };
  return buildScenario(input, { baseDir: '.', file: 'bench' });
}

export default async function placementBench(ctx: BenchContext): Promise<BenchResult> {
  const rows: BenchResult['rows'] = [];
  const notes: string[] = [];
  const tb = terabyte();
  // Terabyte: the whole exact call (4 candidate batches x coalescing choices, certificate) must prove
  // optimality (default gap 1e-5) within 5 s. Generated instances: time-limited solves report bound and gap.
  // Terabyte's target is a 0.1% bracket (issue 11), so its call asks for that width instead of the default 1%.
  const instances: Array<{ s: Scenario; timeLimitSec: number; buckets: number; batches?: number[]; solvers?: Array<'glpk' | 'highs'>; targetWidth?: number }> = [{ s: tb, timeLimitSec: 20, buckets: 8, targetWidth: 0.001 }];
  const family = ctx.quick ? [[10, 2], [26, 8]] : [[10, 2], [26, 8], [100, 16], [500, 64]];
  for (const [T, W] of family) {
    const s = generated(T!, W!, 7 + T! + W!);
    // gen-T500-W64's target is a 1% bracket in 60 s (issue 11); the others have no time target and get 60 s
    // too (the call ends when the bracket is within 1%: GLPK needed 25 s on 26x8 and 36 s on 100x16, 12-03,
    // and stopped at 1.37% and 1.15% under the 15 s and 30 s limits of before). T500 starts from the default 8
    // buckets per table: with 2, the primal's plan was 17% slower and the bracket 128.6% (52.7% with 8, 12-03)
    instances.push({ s, timeLimitSec: 60, buckets: T! >= 100 && T! < 500 ? 4 : 8, batches: [s.training.globalBatch] });
  }
  // issue 11: 1000 tables x 128 GPUs under a 120 s limit for the whole call (GLPK only: one run is minutes)
  if (!ctx.quick && process.env.SCAREC_BENCH_LARGE !== '0') {
    const s = generated(1000, 128, 7 + 1000 + 128);
    // 4 buckets per table: round 0 took 55 s and its plan was 5% faster than with 2; with 8 the plan was 69% faster
    // but the certificate did not finish within the limit (no bound), 2026-12-03
    instances.push({ s, timeLimitSec: 120, buckets: 4, batches: [s.training.globalBatch], solvers: ['glpk'] });
  }

  for (const { s, timeLimitSec, buckets, batches, solvers, targetWidth } of instances) {
    for (const solver of solvers ?? (['glpk', 'highs'] as const)) {
      const t0 = performance.now();
      let res;
      try {
        res = await comparePlans(s, { solver, timeLimitSec, maxBuckets: buckets, ...(batches ? { batches } : {}), ...(targetWidth ? { targetWidth } : {}) });
      } catch (e) {
        rows.push({ scenario: s.name, solver, error: (e as Error).message });
        continue;
      }
      const ex = res.exact!;
      for (const r of res.rows)
        rows.push({
          scenario: s.name,
          solver,
          algorithm: r.algorithm,
          throughputSamplesPerSec: r.throughputSamplesPerSec,
          speedupOverB0: r.speedupOverB0,
          gapToOptimum: r.gapToOptimum,
          gapReference: r.gapReference,
          elapsedMs: r.elapsedMs,
          status: r.algorithm === 'exact' ? ex.status : null,
          method: r.algorithm === 'exact' ? ex.method : null,
          mipGap: r.algorithm === 'exact' ? ex.gap : null,
          mipSolveSec: r.algorithm === 'exact' ? ex.solveSeconds : null,
          exactTotalSec: r.algorithm === 'exact' ? ex.totalSeconds : null,
          intervalWidth: r.algorithm === 'exact' ? ex.interval?.relativeWidth ?? null : null,
          rowLevelWidth: r.algorithm === 'exact' ? ex.rowLevel.relativeWidth : null,
          rowLevelStatus: r.algorithm === 'exact' ? ex.rowLevel.status : null,
          gapToBound: r.gapToBound,
          intervalBound: r.algorithm === 'exact' ? ex.interval?.lowerBoundMethod ?? null : null,
        });
      notes.push(
        `${s.name} ${solver}: exact ${ex.status} (${ex.method}, gap ${ex.gap?.toExponential(2) ?? 'n/a'}, tolerance ${ex.relativeGapTolerance}) batch ${ex.globalBatch}; chosen solve ${ex.solveSeconds.toFixed(2)} s, whole exact call ${ex.totalSeconds.toFixed(2)} s, whole compare ${((performance.now() - t0) / 1e3).toFixed(1)} s; interval width ${ex.interval?.relativeWidth?.toFixed(4) ?? 'unknown'} (${ex.interval?.lowerBoundMethod ?? 'none'}); ` +
          `row-level bracket (exact's refinement, over every candidate batch): ${ex.rowLevel.status}, width ${ex.rowLevel.relativeWidth === null ? 'no bound' : `${(ex.rowLevel.relativeWidth * 100).toFixed(3)}%`} after ${ex.rowLevel.rounds} rounds (${ex.rowLevel.items} buckets), plan from ${ex.rowLevel.planSource}; ` +
          `greedy ${(((ex.rowLevel.throughputSamplesPerSec - (res.rows.find((x) => x.algorithm === 'greedy')?.throughputSamplesPerSec ?? NaN)) / ex.rowLevel.throughputSamplesPerSec) * 100).toFixed(3)}% below the best plan`,
      );
    }
  }
  // issue 11's targets, instance by instance: the certified row-level bracket and the whole call's time
  for (const r of rows.filter((x) => x.algorithm === 'exact' && typeof x.exactTotalSec === 'number')) {
    const width = r.rowLevelWidth as number | null;
    const sec = r.exactTotalSec as number;
    const target = r.scenario === tb.name ? { width: 0.001, sec: 5 } : String(r.scenario).startsWith('gen-T500-W64') ? { width: 0.01, sec: 60 } : String(r.scenario).startsWith('gen-T1000-W128') ? { width: null, sec: 120 } : { width: 0.01, sec: null };
    const ok = (target.width === null || (width !== null && width <= target.width)) && (target.sec === null || sec < target.sec);
    notes.push(
      `row-level bracket ${r.scenario} ${r.solver}: ${width === null ? 'no bound' : `${(width * 100).toFixed(3)}%`} in ${sec.toFixed(1)} s (target ${target.width === null ? 'a valid bound' : `<= ${(target.width * 100).toFixed(1)}%`}${target.sec === null ? '' : ` in under ${target.sec} s`}: ${ok ? 'met' : 'MISSED'})`,
    );
  }
  const tbExact = rows.find((r) => r.scenario === tb.name && r.algorithm === 'exact' && r.solver === 'glpk');
  if (tbExact) notes.push(`Terabyte exact (glpk): ${tbExact.status} in ${(tbExact.exactTotalSec as number).toFixed(2)} s for the whole call (target: proven optimal within 5 s: ${tbExact.status === 'optimal' && (tbExact.exactTotalSec as number) < 5 ? 'met' : 'MISSED'})`);
  // greedy (plan only): one greedyPlan call on Terabyte at the scenario's own batch (65536), no batch search
  // and no bucket cache, so it includes the buckets' Zipf range sums; median of many calls in this process
  // after warm-up calls (the JIT settles over the first few).
  for (let i = 0; i < 3; i++) greedyPlan(tb);
  const planOnlyMs = await medianMs(() => greedyPlan(tb), ctx.quick ? 5 : 21);
  rows.push({ scenario: tb.name, algorithm: 'greedy (plan only)', medianMs: planOnlyMs });
  notes.push(
    `greedy plan on Terabyte (one greedyPlan at the scenario's batch ${tb.training.globalBatch}, bucket range sums included, no batch search): median of ${ctx.quick ? 5 : 21} ${planOnlyMs.toFixed(1)} ms (target < 50 ms: ${planOnlyMs < 50 ? 'met' : 'MISSED'})`,
  );
  const searchMs = await medianMs(() => greedyBatchSearch(tb), ctx.quick ? 3 : 7);
  rows.push({ scenario: tb.name, algorithm: `greedy batch search (${tb.training.candidateBatches.length} batches, plans and evaluates)`, medianMs: searchMs });
  notes.push(`greedy over the ${tb.training.candidateBatches.length} candidate batches on Terabyte (a greedyPlan and an evaluate per batch): median ${searchMs.toFixed(1)} ms`);
  const greedyMs = await medianMs(() => evaluate(tb, greedyPlan(tb)), ctx.quick ? 3 : 5);
  rows.push({ scenario: tb.name, algorithm: 'greedy + evaluate', medianMs: greedyMs });
  notes.push(`greedy plan + evaluate on Terabyte: median ${greedyMs.toFixed(1)} ms`);
  // The 1% target is against a proven optimum: instances whose exact solve stopped early are reported
  // against the certified bound separately (that bound is loose with few buckets, so it is no target).
  const proven = rows.filter((r) => r.algorithm === 'greedy' && r.gapReference === 'optimum' && typeof r.gapToOptimum === 'number');
  if (proven.length) {
    const worst = Math.max(...proven.map((r) => r.gapToOptimum as number));
    notes.push(
      `greedy worst gap to a proven optimum (${proven.map((r) => `${r.scenario} ${r.solver}: ${((r.gapToOptimum as number) * 100).toFixed(2)}%`).join('; ')}): ${(worst * 100).toFixed(2)}% (target 1%: ${worst <= 0.01 ? 'met' : 'MISSED'}); a negative gap means greedy beats the bucketed optimum at row level`,
    );
  }
  const bounded = rows.filter((r) => r.algorithm === 'greedy' && r.gapReference === 'bound' && typeof r.gapToOptimum === 'number');
  for (const r of bounded) notes.push(`${r.scenario} ${r.solver}: exact stopped early; greedy is within ${((r.gapToOptimum as number) * 100).toFixed(1)}% of the certified row-level bound (a loose bound at this bucket count)`);
  return { title: 'Placement: exact MIP per backend, heuristics gap, speedup over B0', rows, notes };
}
