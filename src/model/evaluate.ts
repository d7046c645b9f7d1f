import type { Shortfall } from '../errors.js';
import type { CheckedPlan } from './plan.js';
import {
  addRangeLoads,
  combineTerms,
  emptyLoads,
  globalLookups,
  gpuEmbeddingCapacityBytes,
  iterationTerms,
  workerLookups,
  type IterationTerms,
  type Loads,
  type RangeSums,
} from './loads.js';
import type { Scenario, Table } from './scenario.js';

/** Expected range sums of ranks [from, to) of a table (the midpoint of each distribution bound). */
export function expectedRangeSums(scenario: Scenario, table: Table, from: number, to: number): RangeSums {
  const d = table.distribution;
  const byLookups = new Map<number, number>();
  const touched = (k: number) => {
    let v = byLookups.get(k);
    if (v === undefined) {
      v = d.touched(from, to, k).value;
      byLookups.set(k, v);
    }
    return v;
  };
  return {
    rows: to - from,
    mass: d.mass(from, to).value,
    touchedPerWorker: Float64Array.from(scenario.gpus, (_, w) => touched(workerLookups(scenario, table, w))),
    touchedGlobal: touched(globalLookups(scenario, table)),
  };
}

export interface GpuResult {
  gpu: number;
  name: string;
  batchSamples: number;
  iterationSec: number;
  terms: IterationTerms;
  memoryUsedBytes: number;
  memoryCapacityBytes: number;
  overfull: boolean;
  bytes: { hbm: number; hostLink: number; allToAllIn: number; allToAllOut: number; allReduce: number };
}

export interface TableResult {
  name: string;
  rowsReplicated: number;
  rowsSharded: number;
  rowsHost: number;
  /** expected distinct rows per iteration touched by worker 0's batch (coalesced lookups) */
  expectedDistinctRowsWorker0: number;
  /** host link bytes per iteration summed over workers */
  hostLinkBytes: number;
}

export interface Evaluation {
  scenario: string;
  plan: string;
  coalesce: boolean;
  overlap: 'serial' | 'full';
  globalBatch: number;
  feasible: boolean;
  iterationSec: number;
  throughputSamplesPerSec: number;
  /** the GPU whose iteration is longest */
  bottleneckGpu: number;
  gpus: GpuResult[];
  host: { memoryUsedBytes: number; memoryCapacityBytes: number; overfull: boolean; dramBytes: number; gatherSec: number };
  tables: TableResult[];
  /** devices over their memory, with by how much */
  shortfalls: Shortfall[];
}

/** Loads of a plan: the sum of every range's loads (proofs/cost-model.md). */
export function planLoads(scenario: Scenario, plan: CheckedPlan, perTable?: (t: Table, before: Loads, after: Loads) => void): Loads {
  const loads = emptyLoads(scenario.gpus.length);
  for (const table of scenario.tables) {
    const before = perTable ? structuredClone(loads) : loads;
    for (const range of plan.tables[table.name]!) {
      const sums = expectedRangeSums(scenario, table, range.from, range.to);
      addRangeLoads(loads, scenario, table, range.at, range.gpu, sums, plan.coalesce);
    }
    perTable?.(table, before, loads);
  }
  return loads;
}

/** Turn loads into the evaluation (iteration time, throughput, memory check). */
export function summarizeLoads(scenario: Scenario, loads: Loads, coalesce: boolean, planName: string, tables: TableResult[] = []): Evaluation {
  const terms = iterationTerms(scenario, loads, coalesce);
  const overlap = scenario.training.overlap;
  const shortfalls: Shortfall[] = [];
  const gpus: GpuResult[] = scenario.gpus.map((gpu, g) => {
    const capacity = gpuEmbeddingCapacityBytes(scenario, g);
    const used = loads.gpuMemoryBytes[g]!;
    const overfull = used > capacity * (1 + 1e-12);
    if (overfull) shortfalls.push({ resource: `gpu${g} memory`, needed: used, available: Math.max(0, capacity), unit: 'bytes' });
    return {
      gpu: g,
      name: gpu.name,
      batchSamples: gpu.batchSamples,
      iterationSec: combineTerms(terms[g]!, overlap),
      terms: terms[g]!,
      memoryUsedBytes: used,
      memoryCapacityBytes: capacity,
      overfull,
      bytes: {
        hbm: loads.hbmBytes[g]!,
        hostLink: loads.hostLinkBytes[g]!,
        allToAllIn: loads.allToAllInBytes[g]!,
        allToAllOut: loads.allToAllOutBytes[g]!,
        allReduce: scenario.gpus.length > 1 ? ((2 * (scenario.gpus.length - 1)) / scenario.gpus.length) * loads.allReduceBytes : 0,
      },
    };
  });
  const hostOverfull = loads.hostMemoryBytes > scenario.host.memoryBytes * (1 + 1e-12);
  if (hostOverfull)
    shortfalls.push({ resource: 'host memory', needed: loads.hostMemoryBytes, available: scenario.host.memoryBytes, unit: 'bytes' });
  let bottleneckGpu = 0;
  for (const g of gpus) if (g.iterationSec > gpus[bottleneckGpu]!.iterationSec) bottleneckGpu = g.gpu;
  const iterationSec = gpus[bottleneckGpu]!.iterationSec;
  return {
    scenario: scenario.name,
    plan: planName,
    coalesce,
    overlap,
    globalBatch: scenario.training.globalBatch,
    feasible: shortfalls.length === 0,
    iterationSec,
    // An iteration of zero seconds (no cost at all) has no finite throughput; report 0 rather than Infinity.
    throughputSamplesPerSec: iterationSec > 0 ? scenario.training.globalBatch / iterationSec : 0,
    bottleneckGpu,
    gpus,
    host: {
      memoryUsedBytes: loads.hostMemoryBytes,
      memoryCapacityBytes: scenario.host.memoryBytes,
      overfull: hostOverfull,
      dramBytes: loads.hostDramBytes,
      gatherSec: terms[0]!.hostGatherSec,
    },
    tables,
    shortfalls,
  };
}

/**
 * The one cost function: expected iteration time, throughput, traffic and memory of a plan.
 * Every algorithm's plan is costed here, so plans are comparable (proofs/cost-model.md).
 */
export function evaluate(scenario: Scenario, plan: CheckedPlan): Evaluation {
  const tables: TableResult[] = [];
  const loads = planLoads(scenario, plan, (table, before, after) => {
    let hostLink = 0;
    for (let w = 0; w < scenario.gpus.length; w++) hostLink += after.hostLinkBytes[w]! - before.hostLinkBytes[w]!;
    tables.push({
      name: table.name,
      rowsReplicated: after.rowsReplicated - before.rowsReplicated,
      rowsSharded: after.rowsSharded - before.rowsSharded,
      rowsHost: after.rowsHost - before.rowsHost,
      expectedDistinctRowsWorker0: table.distribution.touched(0, table.rows, workerLookups(scenario, table, 0)).value,
      hostLinkBytes: hostLink,
    });
  });
  return summarizeLoads(scenario, loads, plan.coalesce, plan.name ?? plan.algorithm ?? 'plan', tables);
}
