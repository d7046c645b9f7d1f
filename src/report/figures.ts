import { dirname, resolve } from 'node:path';
import { evaluate, type Evaluation } from '../model/evaluate.js';
import { uniformPlan } from '../model/plan.js';
import { buildScenario, withGlobalBatch, type Scenario } from '../model/scenario.js';
import type { ScenarioSpec } from '../model/schema.js';
import { simulate } from '../sim/simulate.js';
import { groupedBarChart, lineChart, type LineSeries, type ScatterSeries } from './charts.js';
import { topRowsPlan, type PlanProvider, type PlanRun } from './plans.js';
import { scaleBytes } from '../units.js';

/**
 * The report's figures. Each is a function of the scenario (and options) that returns its charts, the
 * numbers behind them (summary.json) and a one-line reading computed from those numbers.
 */
export interface Panel {
  /** file name stem, e.g. "fig-1-coalescing" */
  name: string;
  svg: string;
}

export interface Figure {
  number: number;
  id: string;
  title: string;
  /** one sentence computed from the numbers */
  reading: string;
  panels: Panel[];
  /** the numbers behind the panels (finite numbers only) */
  data: Record<string, unknown>;
}

export type Progress = (event: { figure: number; message: string }) => void;

export interface FigureOptions {
  /** Monte Carlo seed for every simulated point */
  seed: number;
  /** lookups drawn per simulated point (figure 1); batches per simulation (figure 6) */
  simLookupsPerPoint: number;
  simBatches: number;
  planner: PlanProvider;
  onProgress?: Progress;
  /**
   * Plans already run, by instance key (figures 3, 4 and 5 share instances): one Map per report, so the
   * exact solves run once per instance.
   */
  planCache?: Map<string, Promise<PlanPoint[]>>;
}

export const fmt = (v: number, digits = 3): string => {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
};
const pct = (v: number, digits = 3) => `${fmt(100 * v, digits)}%`;
/** Bytes with a decimal unit chosen so the number stays readable (B, kB, MB, GB, TB). */
export const bytesText = (bytes: number): string => {
  const { value, unit } = scaleBytes(bytes);
  return `${fmt(value)} ${unit}`;
};
const gb = bytesText;

/** Rebuild a scenario from its validated spec with changes (files still resolve next to the original). */
export function rebuildScenario(scenario: Scenario, change: (spec: ScenarioSpec) => ScenarioSpec, label: string): Scenario {
  const spec = change(structuredClone(scenario.spec));
  const baseDir = scenario.file ? dirname(resolve(scenario.file)) : process.cwd();
  return buildScenario(spec, { baseDir, file: `${scenario.file ?? scenario.name} (${label})` });
}

/** The scenario seen from one GPU: GPU 0's memory and links, its share of the batch, no peers. */
export function singleGpuScenario(scenario: Scenario): Scenario {
  const g = scenario.gpus[0]!;
  return rebuildScenario(
    scenario,
    (spec) => ({
      ...spec,
      devices: {
        ...spec.devices,
        gpus: 1,
        gpuList: undefined,
        gpuMemoryBytes: g.memoryBytes,
        gpuGatherBytesPerSec: g.gatherBytesPerSec,
      },
      links: { ...spec.links, hostToGpuBytesPerSec: g.hostToGpuBytesPerSec, gpusPerNode: undefined, interNodeBytesPerSec: undefined },
      training: { ...spec.training, globalBatch: g.batchSamples, denseSecondsPerSample: g.denseSecondsPerSample, candidateBatches: undefined },
    }),
    'one GPU',
  );
}

/** Geometric grid lo, lo*step, ... up to hi (inclusive when hit), as integers. */
export function geometricGrid(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi * (1 + 1e-12); v *= step) out.push(Math.round(v));
  return [...new Set(out)];
}

// ---------------------------------------------------------------------------------------------------
// Figure 1: coalescing

type Skew = { label: string; alpha: number | null };
const SKEWS: Skew[] = [
  { label: 'uniform', alpha: null },
  { label: 'Zipf 0.6', alpha: 0.6 },
  { label: 'Zipf 0.9', alpha: 0.9 },
  { label: 'Zipf 1.05', alpha: 1.05 },
  { label: 'Zipf 1.2', alpha: 1.2 },
];

/** A one-table, one-GPU scenario whose batch is `lookups` lookups (pooling 1). */
function oneTableScenario(rows: number, skew: Skew, lookups: number): Scenario {
  let distribution: ScenarioSpec['tables'][number]['distribution'];
  if (skew.alpha === null) distribution = { kind: 'uniform' };
  else distribution = { kind: 'zipf', alpha: skew.alpha };
  return buildScenario(
    {
      name: `figure-1 ${skew.label}`,
      tables: [{ name: 'T', rows, dim: 1, distribution }],
      devices: { gpus: 1, gpuMemoryBytes: 1, gpuGatherBytesPerSec: 1, hostMemoryBytes: 1e15, hostGatherBytesPerSec: 1 },
      links: { hostToGpuBytesPerSec: 1 },
      training: { globalBatch: lookups },
    },
    { baseDir: process.cwd(), file: `figure 1 (${skew.label})` },
  );
}

export function figureCoalescing(scenario: Scenario, opts: FigureOptions): Figure {
  // Zipf range sums are bounded closed forms (proofs/zipf-sums.md): the largest table costs no more than a small one.
  const rows = Math.max(...scenario.tables.map((t) => t.rows));
  const batch = scenario.training.globalBatch;
  const modelK = geometricGrid(16, Math.max(2 ** 20, batch), 2);
  const simK = geometricGrid(64, Math.min(2 ** 18, Math.max(4096, batch)), 4);
  const lines: LineSeries[] = [];
  const scatter: ScatterSeries[] = [];
  const series: Array<{ skew: string; alpha: number | null; model: Array<{ lookups: number; expectedDistinct: number; perLookup: number }>; simulated: Array<{ lookups: number; batches: number; meanDistinct: number; se: number; expectedDistinct: number; z: number }> }> = [];
  SKEWS.forEach((skew, si) => {
    opts.onProgress?.({ figure: 1, message: `coalescing: ${skew.label}` });
    const base = oneTableScenario(rows, skew, 1);
    const d = base.tables[0]!.distribution;
    const model = modelK.map((K) => {
      const e = d.touched(0, rows, K).value;
      return { lookups: K, expectedDistinct: e, perLookup: e / K };
    });
    const simulated = simK.map((K) => {
      const s = withGlobalBatch(base, K);
      const batches = Math.max(4, Math.ceil(opts.simLookupsPerPoint / K));
      const sim = simulate(s, uniformPlan(s, 'host', true), { batches, seed: opts.seed + 1000 * si + K });
      const w = sim.tables[0]!.workers[0]!;
      return { lookups: K, batches, meanDistinct: w.mean, se: w.se, expectedDistinct: w.expected, z: w.z };
    });
    series.push({ skew: skew.label, alpha: skew.alpha, model, simulated });
    lines.push({ name: skew.label, points: model.map((m) => ({ x: m.lookups, y: m.perLookup })) });
    scatter.push({
      name: `${skew.label} (simulated)`,
      matchLine: skew.label,
      points: simulated.map((p) => ({ x: p.lookups, y: p.meanDistinct / p.lookups, yErr: (2 * p.se) / p.lookups })),
    });
  });
  const at = (label: string) => {
    const d = oneTableScenario(rows, SKEWS.find((s) => s.label === label)!, 1).tables[0]!.distribution;
    return d.touched(0, rows, batch).value / batch;
  };
  const zipfShare = at('Zipf 1.05');
  const uniformShare = at('uniform');
  const maxZ = Math.max(...series.flatMap((s) => s.simulated.map((p) => Math.abs(p.z))));
  const svg = lineChart({
    title: `Coalescing: distinct rows per lookup (table of ${fmt(rows)} rows)`,
    xLabel: 'lookups per batch K (samples x pooling)',
    yLabel: 'E[distinct rows] / K (rows per lookup)',
    xScale: 'log',
    yScale: 'log',
    lines,
    scatter,
    markers: [{ x: batch, label: `scenario batch ${fmt(batch)}` }],
  });
  return {
    number: 1,
    id: 'coalescing',
    title: 'Coalescing: expected distinct rows per lookup against batch size',
    reading:
      `With K = ${fmt(batch)} lookups into a table of ${fmt(rows)} rows, coalescing sends ${pct(zipfShare)} of the lookups as distinct rows under Zipf 1.05 ` +
      `(saving ${pct(1 - zipfShare)}) and ${pct(uniformShare)} under uniform access; every simulated point is within ${fmt(maxZ, 2)} standard errors of the model.`,
    panels: [{ name: 'fig-1-coalescing', svg }],
    data: { rows, scenarioLookups: batch, series, maxAbsZ: maxZ },
  };
}

// ---------------------------------------------------------------------------------------------------
// Figure 2: caching on one GPU

export function figureCaching(scenario: Scenario, opts: FigureOptions): Figure {
  opts.onProgress?.({ figure: 2, message: 'caching sweep on one GPU' });
  const one = singleGpuScenario(scenario);
  const largest = Math.max(...one.tables.map((t) => t.rows));
  const grid = [0, ...geometricGrid(1, largest, Math.sqrt(10))];
  const points = grid.map((c) => {
    const e: Evaluation = evaluate(one, topRowsPlan(one, c));
    return {
      cachedRowsPerTable: c,
      cachedBytes: e.gpus[0]!.memoryUsedBytes,
      hostLinkBytesPerIteration: e.gpus[0]!.bytes.hostLink,
      throughputSamplesPerSec: e.throughputSamplesPerSec,
      iterationSec: e.iterationSec,
      feasible: e.feasible,
    };
  });
  const feasible = points.filter((p) => p.feasible);
  const best = feasible.reduce((a, b) => (b.throughputSamplesPerSec > a.throughputSamplesPerSec ? b : a), feasible[0] ?? points[0]!);
  // "Stops paying": the smallest cache that reaches 95% of the best feasible throughput of the sweep.
  const enough = feasible.find((p) => p.throughputSamplesPerSec >= 0.95 * best.throughputSamplesPerSec) ?? best;
  const firstInfeasible = points.find((p) => !p.feasible);
  const base = points[0]!;
  const markers = [{ x: Math.max(1, enough.cachedRowsPerTable), label: '95% of best' }];
  if (firstInfeasible) markers.push({ x: firstInfeasible.cachedRowsPerTable, label: 'exceeds GPU memory' });
  const xs = points.filter((p) => p.cachedRowsPerTable > 0);
  const trafficSvg = lineChart({
    title: 'Caching: host-link traffic per iteration (one GPU)',
    xLabel: 'cached rows per table (hottest first)',
    yLabel: 'host-link traffic per iteration (bytes)',
    xScale: 'log',
    yScale: 'log',
    lines: [{ name: 'host link', points: xs.map((p) => ({ x: p.cachedRowsPerTable, y: p.hostLinkBytesPerIteration })) }],
    markers,
  });
  const throughputSvg = lineChart({
    title: 'Caching: throughput (one GPU)',
    xLabel: 'cached rows per table (hottest first)',
    yLabel: 'throughput (samples/s)',
    xScale: 'log',
    lines: [
      { name: 'fits in GPU memory', points: xs.filter((p) => p.feasible).map((p) => ({ x: p.cachedRowsPerTable, y: p.throughputSamplesPerSec })) },
      { name: 'over GPU memory', dashed: true, points: xs.filter((p) => !p.feasible).map((p) => ({ x: p.cachedRowsPerTable, y: p.throughputSamplesPerSec })) },
    ],
    markers,
  });
  const gain = base.throughputSamplesPerSec > 0 ? best.throughputSamplesPerSec / base.throughputSamplesPerSec : 0;
  const reading =
    `On one GPU (batch ${fmt(one.training.globalBatch)}), caching the top ${fmt(enough.cachedRowsPerTable)} rows of each table (${gb(enough.cachedBytes)}) ` +
    `already gives 95% of the best feasible throughput (${fmt(best.throughputSamplesPerSec)} samples/s, ${fmt(gain)}x the uncached ${fmt(base.throughputSamplesPerSec)}); ` +
    (best.cachedRowsPerTable > enough.cachedRowsPerTable
      ? `the remaining ${pct(best.throughputSamplesPerSec / enough.throughputSamplesPerSec - 1)} costs ${fmt(best.cachedBytes / Math.max(1, enough.cachedBytes))}x the memory`
      : 'larger caches add nothing')
    + (firstInfeasible ? `, and from ${fmt(firstInfeasible.cachedRowsPerTable)} rows per table the cache no longer fits the GPU.` : '.');
  return {
    number: 2,
    id: 'caching',
    title: 'Caching: host-link traffic and throughput against the number of cached rows',
    reading,
    panels: [
      { name: 'fig-2-caching-traffic', svg: trafficSvg },
      { name: 'fig-2-caching-throughput', svg: throughputSvg },
    ],
    data: {
      gpuMemoryBytes: one.gpus[0]!.memoryBytes,
      batch: one.training.globalBatch,
      points,
      enoughCachedRowsPerTable: enough.cachedRowsPerTable,
      bestCachedRowsPerTable: best.cachedRowsPerTable,
      firstInfeasibleCachedRowsPerTable: firstInfeasible?.cachedRowsPerTable ?? null,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Figures 3-5: plans (from the plan provider)

export interface PlanPoint {
  algorithm: string;
  throughputSamplesPerSec: number;
  iterationSec: number;
  feasible: boolean;
  certificate?: PlanRun['certificate'];
}

function runAll(scenario: Scenario, opts: FigureOptions, key: string): Promise<PlanPoint[]> {
  const hit = opts.planCache?.get(key);
  if (hit) return hit;
  const p = runAllUncached(scenario, opts.planner);
  opts.planCache?.set(key, p);
  return p;
}

async function runAllUncached(scenario: Scenario, planner: PlanProvider): Promise<PlanPoint[]> {
  const out: PlanPoint[] = [];
  for (const algorithm of planner.algorithms) {
    const run = await planner.run(scenario, algorithm);
    const e = evaluate(scenario, run.plan);
    out.push({ algorithm, throughputSamplesPerSec: e.throughputSamplesPerSec, iterationSec: e.iterationSec, feasible: e.feasible, certificate: run.certificate });
  }
  return out;
}

function withGpuMemory(scenario: Scenario, factor: number): Scenario {
  return rebuildScenario(
    scenario,
    (spec) => ({
      ...spec,
      devices: {
        ...spec.devices,
        gpuMemoryBytes: spec.devices.gpuMemoryBytes !== undefined ? spec.devices.gpuMemoryBytes * factor : scenario.gpus[0]!.memoryBytes * factor,
        gpuList: spec.devices.gpuList?.map((g, i) => ({ ...g, memoryBytes: (g.memoryBytes ?? scenario.gpus[i]!.memoryBytes) * factor })),
      },
    }),
    `GPU memory x${factor}`,
  );
}

/** Batch sizes for the sweeps: the scenario's candidates, or powers of two around its batch. */
export function batchGrid(scenario: Scenario): number[] {
  const B = scenario.training.globalBatch;
  const cands = scenario.training.candidateBatches;
  if (cands.length > 1) return [...new Set(cands)].sort((a, b) => a - b);
  // Three batches keep the exact solves (one per instance) within the report's 3-minute budget.
  return [...new Set([B / 4, B, B * 4].map((b) => Math.max(scenario.gpus.length, Math.round(b))))];
}

/** GPU memory budgets of figures 3 and 5, as multiples of the scenario's (few: each costs an exact solve). */
export const MEMORY_FACTORS = [0.1, 0.3, 1];

export async function figureThroughput(scenario: Scenario, opts: FigureOptions): Promise<Figure> {
  const byMemory: Array<{ gpuMemoryBytes: number; plans: PlanPoint[] }> = [];
  for (const f of MEMORY_FACTORS) {
    opts.onProgress?.({ figure: 3, message: `plans at GPU memory x${f}` });
    const s = withGpuMemory(scenario, f);
    byMemory.push({ gpuMemoryBytes: s.gpus[0]!.memoryBytes, plans: await runAll(s, opts, `memory x${f}`) });
  }
  const byBatch: Array<{ globalBatch: number; plans: PlanPoint[] }> = [];
  for (const B of batchGrid(scenario)) {
    opts.onProgress?.({ figure: 3, message: `plans at batch ${B}` });
    byBatch.push({ globalBatch: B, plans: await runAll(withGlobalBatch(scenario, B), opts, B === scenario.training.globalBatch ? 'memory x1' : `batch ${B}`) });
  }
  const linesOf = <T extends { plans: PlanPoint[] }>(rows: T[], x: (r: T) => number): LineSeries[] =>
    opts.planner.algorithms.map((a) => ({
      name: a,
      points: rows.flatMap((r) => {
        const p = r.plans.find((q) => q.algorithm === a)!;
        return p.feasible ? [{ x: x(r), y: p.throughputSamplesPerSec }] : [];
      }),
    }));
  const memSvg = lineChart({
    title: 'Throughput of every plan against GPU memory',
    xLabel: 'GPU memory per device (bytes)',
    yLabel: 'throughput (samples/s)',
    xScale: 'log',
    yScale: 'log',
    lines: linesOf(byMemory, (r) => r.gpuMemoryBytes),
    markers: [{ x: scenario.gpus[0]!.memoryBytes, label: 'scenario' }],
  });
  const batchSvg = lineChart({
    title: 'Throughput of every plan against global batch',
    xLabel: 'global batch (samples)',
    yLabel: 'throughput (samples/s)',
    xScale: 'log',
    yScale: 'log',
    lines: linesOf(byBatch, (r) => r.globalBatch),
    markers: [{ x: scenario.training.globalBatch, label: 'scenario' }],
  });
  const bestAt = (plans: PlanPoint[]) => plans.filter((p) => p.feasible).reduce((a, b) => (b.throughputSamplesPerSec > a.throughputSamplesPerSec ? b : a));
  const small = bestAt(byMemory[0]!.plans);
  const large = bestAt(byMemory[byMemory.length - 1]!.plans);
  const bestBatch = byBatch.reduce((a, b) => (bestAt(b.plans).throughputSamplesPerSec > bestAt(a.plans).throughputSamplesPerSec ? b : a));
  return {
    number: 3,
    id: 'throughput',
    title: 'Throughput of every plan against GPU memory budget and against batch size',
    reading:
      `With ${gb(byMemory[0]!.gpuMemoryBytes)} per GPU the best plan is ${small.algorithm} (${fmt(small.throughputSamplesPerSec)} samples/s); with ${gb(byMemory[byMemory.length - 1]!.gpuMemoryBytes)} it is ${large.algorithm} (${fmt(large.throughputSamplesPerSec)} samples/s); ` +
      `over batch sizes the highest throughput is at batch ${fmt(bestBatch.globalBatch)} (${bestAt(bestBatch.plans).algorithm}, ${fmt(bestAt(bestBatch.plans).throughputSamplesPerSec)} samples/s).`,
    panels: [
      { name: 'fig-3-throughput-memory', svg: memSvg },
      { name: 'fig-3-throughput-batch', svg: batchSvg },
    ],
    data: { algorithms: opts.planner.algorithms, byMemory, byBatch },
  };
}

/** The constants the speedup depends on, for the reading of figure 4. */
function constantsLine(scenario: Scenario): string {
  const g = scenario.gpus[0]!;
  return (
    `host link ${fmt(g.hostToGpuBytesPerSec / 1e9)} GB/s, GPU gather ${fmt(g.gatherBytesPerSec / 1e9)} GB/s, GPU-GPU ${fmt(scenario.links.gpuToGpuBytesPerSec / 1e9)} GB/s, ` +
    `host gather ${fmt(scenario.host.gatherBytesPerSec / 1e9)} GB/s, dense ${fmt(g.denseSecondsPerSample)} s/sample, overlap ${scenario.training.overlap}`
  );
}

export async function figureSpeedup(scenario: Scenario, opts: FigureOptions): Promise<Figure> {
  const batches = batchGrid(scenario);
  const rows: Array<{ globalBatch: number; plans: Array<PlanPoint & { speedupOverB0: number }> }> = [];
  for (const B of batches) {
    opts.onProgress?.({ figure: 4, message: `speedup at batch ${B}` });
    const plans = await runAll(withGlobalBatch(scenario, B), opts, B === scenario.training.globalBatch ? 'memory x1' : `batch ${B}`);
    const b0 = plans[0]!.throughputSamplesPerSec;
    rows.push({ globalBatch: B, plans: plans.map((p) => ({ ...p, speedupOverB0: b0 > 0 && p.feasible ? p.throughputSamplesPerSec / b0 : 0 })) });
  }
  const svg = groupedBarChart({
    title: `Speedup over B0 (host, no coalescing), ${scenario.name}`,
    groups: [...opts.planner.algorithms],
    series: rows.map((r) => ({ name: `batch ${fmt(r.globalBatch)}`, values: r.plans.map((p) => (p.feasible ? p.speedupOverB0 : NaN)) })),
    xLabel: 'plan',
    yLabel: 'speedup over B0 (x)',
    yScale: 'log',
    referenceY: { y: 1, label: 'B0' },
    references: [{ y: 6, label: 'paper: up to 6x' }],
  });
  const all = rows.flatMap((r) => r.plans.map((p) => ({ ...p, globalBatch: r.globalBatch })));
  const top = all.reduce((a, b) => (b.speedupOverB0 > a.speedupOverB0 ? b : a));
  const atScenario = rows.find((r) => r.globalBatch === scenario.training.globalBatch) ?? rows[0]!;
  const topHere = atScenario.plans.reduce((a, b) => (b.speedupOverB0 > a.speedupOverB0 ? b : a));
  return {
    number: 4,
    id: 'speedup',
    title: 'Speedup over B0 of each plan',
    reading:
      `The model predicts up to ${fmt(top.speedupOverB0)}x over B0 (${top.algorithm} at batch ${fmt(top.globalBatch)}, over B0 at the same batch; ${fmt(topHere.speedupOverB0)}x with ${topHere.algorithm} at the scenario's batch ${fmt(atScenario.globalBatch)}) ` +
      `against the paper's "up to 6x", under ${constantsLine(scenario)}.`,
    panels: [{ name: 'fig-4-speedup', svg }],
    data: { rows, constants: constantsLine(scenario), paperSpeedup: 6 },
  };
}

export async function figureOptimality(scenario: Scenario, opts: FigureOptions): Promise<Figure> {
  const exact = opts.planner.exactAlgorithm;
  const instances: Array<{ instance: string; gpuMemoryBytes: number; globalBatch: number; plans: PlanPoint[]; exact: PlanPoint | null }> = [];
  const variants: Array<{ label: string; make: () => Scenario }> = [
    // labels double as plan-cache keys shared with figures 3 and 4
    ...MEMORY_FACTORS.filter((f) => f <= 1).map((f) => ({ label: `memory x${f}`, make: () => withGpuMemory(scenario, f) })),
    ...batchGrid(scenario)
      .filter((B) => B !== scenario.training.globalBatch)
      .map((B) => ({ label: `batch ${B}`, make: () => withGlobalBatch(scenario, B) })),
  ];
  for (const v of variants) {
    opts.onProgress?.({ figure: 5, message: `optimality: ${v.label}` });
    const s = v.make();
    const plans = await runAll(s, opts, v.label);
    instances.push({
      instance: v.label,
      gpuMemoryBytes: s.gpus[0]!.memoryBytes,
      globalBatch: s.training.globalBatch,
      plans,
      exact: exact ? (plans.find((p) => p.algorithm === exact) ?? null) : null,
    });
  }
  // Reference per instance: the exact plan when there is one (certified within its row-level bracket), otherwise the
  // best plan found.
  const heuristics = opts.planner.algorithms.filter((a) => a !== exact);
  const gaps = instances.map((inst) => {
    const ref = inst.exact && inst.exact.feasible ? inst.exact.throughputSamplesPerSec : Math.max(...inst.plans.filter((p) => p.feasible).map((p) => p.throughputSamplesPerSec));
    const boundSec = inst.exact?.certificate?.boundSec ?? null;
    const boundThroughput = boundSec && boundSec > 0 ? inst.globalBatch / boundSec : null;
    return {
      instance: inst.instance,
      referenceThroughput: ref,
      reference: inst.exact ? exact! : 'best plan found',
      status: inst.exact?.certificate?.status ?? 'no exact solver',
      // exact's row-level bracket width, (bound - plan) / plan in throughput
      solverGap: inst.exact?.certificate?.gap ?? null,
      boundThroughput,
      heuristicGaps: heuristics.map((a) => {
        const p = inst.plans.find((q) => q.algorithm === a)!;
        return { algorithm: a, gap: p.feasible && ref > 0 ? 1 - p.throughputSamplesPerSec / ref : 1 };
      }),
    };
  });
  const svg = groupedBarChart({
    title: exact ? `Gap of each heuristic to the exact optimum (${exact})` : 'Gap of each plan to the best plan found (no exact solver)',
    groups: gaps.map((g) => g.instance),
    series: [
      ...heuristics.map((a) => ({ name: a, values: gaps.map((g) => 100 * g.heuristicGaps.find((h) => h.algorithm === a)!.gap) })),
      // the certified row-level bound, as a (negative) gap: the optimum lies between 0 and this bar
      ...(exact && gaps.some((g) => g.boundThroughput !== null)
        ? [{ name: 'row-level bound', values: gaps.map((g) => (g.boundThroughput !== null && g.referenceThroughput > 0 ? 100 * (1 - g.boundThroughput / g.referenceThroughput) : 0)) }]
        : []),
    ],
    xLabel: 'instance',
    yLabel: exact ? 'throughput gap to the exact plan (%); bound below 0' : 'throughput gap to the best plan (%)',
  });
  // Baselines B0/B1 are far from optimal by design; the reading is about the heuristics that try.
  const baselines = new Set(['host', 'host-coalesced']);
  // the TorchRec-space optimum is no heuristic: its gap is the restriction's cost, read on its own
  const restricted = 'exact-torchrec';
  const tried = gaps.flatMap((g) =>
    g.heuristicGaps.filter((h) => h.algorithm !== restricted && (!baselines.has(h.algorithm) || heuristics.every((a) => baselines.has(a)))).map((h) => ({ ...h, instance: g.instance })),
  );
  const restriction = heuristics.includes(restricted) ? gaps.map((g) => ({ instance: g.instance, cost: g.heuristicGaps.find((h) => h.algorithm === restricted)!.gap })) : [];
  const restrictionText = restriction.length
    ? ` The TorchRec space (${restricted}, per-table data_parallel / table_wise / row_wise / UVM cache) costs ${restriction.map((r) => `${pct(r.cost)} (${r.instance})`).join(', ')} of the exact optimum's throughput` +
      (restriction.some((r) => r.cost < 0) ? ' (negative: the TorchRec plan beats the exact plan, which is certified only within its target width of the row-level optimum).' : '.')
    : '';
  const worst = tried.reduce((a, b) => (b.gap > a.gap ? b : a));
  const greedyWorst = Math.max(...gaps.map((g) => g.heuristicGaps.find((h) => h.algorithm === 'greedy')?.gap ?? -1));
  const proven = gaps.filter((g) => g.status === 'optimal').length;
  const widths = gaps.map((g) => g.solverGap).filter((w): w is number => w !== null);
  const widest = widths.length ? Math.max(...widths) : null;
  return {
    number: 5,
    id: 'optimality',
    title: 'Heuristics against the exact optimum: gap, bound and solver status per instance',
    reading: exact
      ? `The exact plan is certified within its target on the real rows on ${proven} of ${gaps.length} instances (row-level bracket width at most ${widest === null ? 'unknown: no bound' : pct(widest)}; ${widths.length < gaps.length ? `${gaps.length - widths.length} without a bound; ` : ''}the optimum lies between the exact plan and the bound); the largest heuristic gap is ${pct(worst.gap)} (${worst.algorithm}, ${worst.instance})` +
        (greedyWorst >= 0 ? ` and greedy stays within ${pct(greedyWorst)} of the exact plan on every instance.` : '.') +
        restrictionText
      : `No exact solver is plugged in: gaps are to the best plan found, the largest being ${pct(worst.gap)} (${worst.algorithm}, ${worst.instance}).`,
    panels: [{ name: 'fig-5-optimality', svg }],
    data: { exactAlgorithm: exact ?? null, instances: gaps, torchrecRestrictionCost: restriction },
  };
}

// ---------------------------------------------------------------------------------------------------
// Figure 6: model against simulation (and measurement)

export interface MeasuredPoint {
  /** what was measured, e.g. "gather 64 B rows" */
  label: string;
  bytes: number;
  measuredSec: number;
  predictedSec: number;
}

export async function figureModelCheck(scenario: Scenario, opts: FigureOptions, measured: MeasuredPoint[] = []): Promise<Figure> {
  opts.onProgress?.({ figure: 6, message: 'model against simulation' });
  const run = await opts.planner.run(scenario, opts.planner.algorithms.includes('host-coalesced') ? 'host-coalesced' : opts.planner.algorithms[0]!);
  const sim = simulate(scenario, run.plan, { batches: opts.simBatches, seed: opts.seed });
  const tables = sim.tables.map((t) => ({ name: t.name, expected: t.workers[0]!.expected, mean: t.workers[0]!.mean, se: t.workers[0]!.se, z: t.workers[0]!.z }));
  const links = sim.gpus.map((g) => ({ gpu: g.gpu, expected: g.hostLinkBytes.expected, mean: g.hostLinkBytes.mean, se: g.hostLinkBytes.se, z: g.hostLinkBytes.z }));
  const pts = tables.map((t) => ({ x: t.expected, y: t.mean, yErr: 2 * t.se })).filter((p) => p.x > 0);
  const lo = Math.min(...pts.map((p) => p.x));
  const hi = Math.max(...pts.map((p) => p.x));
  const panels: Panel[] = [
    {
      name: 'fig-6-model-vs-simulation',
      svg: lineChart({
        title: `Model against simulation: distinct rows per table (GPU 0, ${sim.batches} batches)`,
        xLabel: 'model: expected distinct rows per batch (rows)',
        yLabel: 'simulated mean distinct rows (rows)',
        xScale: 'log',
        yScale: 'log',
        lines: [{ name: 'y = x', dashed: true, points: [{ x: lo, y: lo }, { x: hi, y: hi }] }],
        scatter: [{ name: 'tables (mean +- 2 se)', points: pts }],
      }),
    },
  ];
  if (measured.length > 0) {
    const mlo = Math.min(...measured.map((m) => Math.min(m.measuredSec, m.predictedSec)));
    const mhi = Math.max(...measured.map((m) => Math.max(m.measuredSec, m.predictedSec)));
    panels.push({
      name: 'fig-6-model-vs-measurement',
      svg: lineChart({
        title: 'Model against measurement (device profile)',
        xLabel: 'model: predicted time (s)',
        yLabel: 'measured time (s)',
        xScale: 'log',
        yScale: 'log',
        lines: [{ name: 'y = x', dashed: true, points: [{ x: mlo, y: mlo }, { x: mhi, y: mhi }] }],
        scatter: [{ name: 'measured kernels', points: measured.map((m) => ({ x: m.predictedSec, y: m.measuredSec })) }],
      }),
    });
  }
  const maxZ = Math.max(...tables.map((t) => Math.abs(t.z)), ...links.map((l) => Math.abs(l.z)));
  const worstRel = Math.max(...tables.map((t) => (t.expected > 0 ? Math.abs(t.mean / t.expected - 1) : 0)));
  const measuredErr = measured.length > 0 ? Math.max(...measured.map((m) => Math.abs(m.measuredSec / m.predictedSec - 1))) : null;
  return {
    number: 6,
    id: 'model-check',
    title: 'Model against simulation, and against measurement when a profile is given',
    reading:
      `Over ${sim.batches} simulated batches of plan ${run.algorithm}, per-table distinct rows and per-GPU host-link bytes stay within ${fmt(maxZ, 2)} standard errors of the model ` +
      `(largest relative difference ${pct(worstRel, 2)})` +
      (measuredErr !== null ? `; measured kernels differ from the profile's model by at most ${pct(measuredErr, 2)}.` : '; no profile given, so no measurement is compared.'),
    panels,
    data: { plan: run.algorithm, batches: sim.batches, seed: opts.seed, tables, hostLinks: links, maxAbsZ: maxZ, measured },
  };
}
