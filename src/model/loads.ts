import type { Placement } from './schema.js';
import { gpuPairBytesPerSec, type Gpu, type Scenario, type Table } from './scenario.js';
import { expectedUnique } from '../stats/coalescing.js';

/**
 * The cost model as resource loads (proofs/cost-model.md). Every row placed in a class adds load to a
 * fixed set of resources, linearly in four range sums. `evaluate` adds up the loads of a plan's ranges;
 * the placement MIPs (src/plan) take the same function's output, per row of a bucket, as coefficients;
 * the simulator feeds it realised counts instead of expectations. So every number in scarec comes from
 * this one function.
 */

/** Range sums of one rank range of one table. */
export interface RangeSums {
  /** number of rows n */
  rows: number;
  /** sum of p_i */
  mass: number;
  /**
   * optional per-worker realised mass (the simulator's lookups of worker w into the range / K_w); the model's
   * expectation is the same `mass` for every worker
   */
  massPerWorker?: ArrayLike<number>;
  /** per worker w: sum of f_{K_w}(p_i), K_w = b_w L_t (expected distinct rows w touches) */
  touchedPerWorker: ArrayLike<number>;
  /** sum of f_{B L_t}(p_i): expected distinct rows touched by the whole global batch */
  touchedGlobal: number;
}

/** Resource loads of one iteration (per GPU arrays have length W). */
export interface Loads {
  gpuMemoryBytes: Float64Array;
  hostMemoryBytes: number;
  /** HBM traffic per GPU: pooling reads, rows served to peers, optimizer updates */
  hbmBytes: Float64Array;
  /** random row accesses in each GPU's memory (each pays gatherSecondsPerRow, §7) */
  hbmRowAccesses: Float64Array;
  /**
   * of hbmBytes and hbmRowAccesses, the pooling reads of rows received this iteration (from the host or from
   * peers) in the receive buffer: a small buffer written just before, paid at the buffer's own constants (§1)
   */
  hbmBufferBytes: Float64Array;
  hbmBufferRowAccesses: Float64Array;
  /** host link traffic per GPU, both phases (rows down, ids and gradients up) */
  hostLinkBytes: Float64Array;
  /** forward all-to-all bytes received / sent per GPU (backward mirrors them) */
  allToAllInBytes: Float64Array;
  allToAllOutBytes: Float64Array;
  /** the same divided by each pair's bandwidth (hierarchical links), seconds per phase */
  allToAllInSec: Float64Array;
  allToAllOutSec: Float64Array;
  /** gradient bytes of replicated rows touched in the global batch (before the ring's 2(W-1)/W) */
  allReduceBytes: number;
  /** host DRAM traffic: gathers for every worker and the optimizer update */
  hostDramBytes: number;
  /** random row accesses in host memory (each pays host gatherSecondsPerRow, §7) */
  hostDramRowAccesses: number;
  /** rows per class (latency terms are paid only by classes in use) */
  rowsReplicated: number;
  rowsSharded: number;
  rowsHost: number;
}

export function emptyLoads(gpus: number): Loads {
  const z = () => new Float64Array(gpus);
  return {
    gpuMemoryBytes: z(),
    hostMemoryBytes: 0,
    hbmBytes: z(),
    hbmRowAccesses: z(),
    hbmBufferBytes: z(),
    hbmBufferRowAccesses: z(),
    hostLinkBytes: z(),
    allToAllInBytes: z(),
    allToAllOutBytes: z(),
    allToAllInSec: z(),
    allToAllOutSec: z(),
    allReduceBytes: 0,
    hostDramBytes: 0,
    hostDramRowAccesses: 0,
    rowsReplicated: 0,
    rowsSharded: 0,
    rowsHost: 0,
  };
}

/** Every load back to zero (a buffer reused across addRangeLoads calls). */
export function clearLoads(loads: Loads): void {
  for (const key of Object.keys(loads) as (keyof Loads)[]) {
    const v = loads[key];
    if (typeof v === 'number') (loads[key] as number) = 0;
    else v.fill(0);
  }
}

/** Lookups of worker w into table t per iteration: K_{t,w} = b_w L_t. */
export function workerLookups(scenario: Scenario, table: Table, worker: number): number {
  return scenario.gpus[worker]!.batchSamples * table.pooling;
}

/** Lookups of the global batch into table t: B L_t. */
export function globalLookups(scenario: Scenario, table: Table): number {
  return scenario.training.globalBatch * table.pooling;
}

/**
 * Add the loads of `sums.rows` rows of `table` placed at `at` (on `gpu` for 'gpu'), scaled by `scale`
 * (1 for a plan range; 1/n for the per-row coefficient of a bucket). Each term is derived in
 * proofs/cost-model.md, section by section.
 */
export function addRangeLoads(
  loads: Loads,
  scenario: Scenario,
  table: Table,
  at: Placement,
  gpu: number | undefined,
  sums: RangeSums,
  coalesce: boolean,
  scale = 1,
): void {
  const W = scenario.gpus.length;
  const r = table.rowBytes;
  const stateBytes = r + table.optimizerBytesPerRow;
  // Rows moved per range (cost-model.md §2): distinct rows when coalescing, one row per lookup otherwise.
  const massOf = (w: number) => (sums.massPerWorker ? sums.massPerWorker[w]! : sums.mass);
  const moved = (w: number) =>
    coalesce ? sums.touchedPerWorker[w]! : workerLookups(scenario, table, w) * massOf(w);
  const movedGlobal = coalesce ? sums.touchedGlobal : globalLookups(scenario, table) * sums.mass;
  // §3: the optimizer reads and writes row and state once per row touched by the global batch.
  const updateBytes = movedGlobal * 2 * stateBytes * scale;
  // one read-modify-write access per updated row
  const updateAccesses = movedGlobal * scale;

  // §1: the pooling reads every lookup's row from HBM, wherever the row came from; rows that came from the
  // host or from a peer are read from the receive buffer they were just written to.
  for (let w = 0; w < W; w++) {
    const lookups = workerLookups(scenario, table, w) * massOf(w) * scale;
    loads.hbmBytes[w]! += lookups * r;
    loads.hbmRowAccesses[w]! += lookups;
    if (at === 'host' || (at === 'gpu' && gpu !== w)) {
      loads.hbmBufferBytes[w]! += lookups * r;
      loads.hbmBufferRowAccesses[w]! += lookups;
    }
  }

  if (at === 'replicated') {
    for (let g = 0; g < W; g++) {
      loads.gpuMemoryBytes[g]! += sums.rows * stateBytes * scale;
      loads.hbmBytes[g]! += updateBytes;
      loads.hbmRowAccesses[g]! += updateAccesses;
    }
    // §4: with one GPU there is nothing to synchronise.
    if (W > 1) loads.allReduceBytes += movedGlobal * r * scale;
    loads.rowsReplicated += sums.rows * scale;
  } else if (at === 'gpu') {
    const g = gpu!;
    loads.gpuMemoryBytes[g]! += sums.rows * stateBytes * scale;
    loads.hbmBytes[g]! += updateBytes;
    loads.hbmRowAccesses[g]! += updateAccesses;
    // §5: the owner gathers and sends each other worker's distinct rows; gradients come back the same way.
    for (let w = 0; w < W; w++) {
      if (w === g) continue;
      const bytes = moved(w) * r * scale;
      const bw = gpuPairBytesPerSec(scenario, g, w);
      loads.hbmBytes[g]! += bytes;
      loads.hbmRowAccesses[g]! += moved(w) * scale;
      loads.allToAllOutBytes[g]! += bytes;
      loads.allToAllOutSec[g]! += bytes / bw;
      loads.allToAllInBytes[w]! += bytes;
      loads.allToAllInSec[w]! += bytes / bw;
    }
    if (W > 1) loads.rowsSharded += sums.rows * scale;
    else loads.rowsReplicated += sums.rows * scale;
  } else {
    loads.hostMemoryBytes += sums.rows * stateBytes * scale;
    // §6: rows down, ids and gradients up, per worker; the host gathers for every worker, then updates.
    let gatheredRows = 0;
    for (let w = 0; w < W; w++) {
      const rows = moved(w) * scale;
      loads.hostLinkBytes[w]! += rows * (2 * r + scenario.training.indexBytes);
      gatheredRows += rows;
    }
    loads.hostDramBytes += gatheredRows * r + updateBytes;
    loads.hostDramRowAccesses += gatheredRows + updateAccesses;
    loads.rowsHost += sums.rows * scale;
  }
}

/** Ring all-reduce bandwidth: the slowest link of the ring (inter-node when GPUs span nodes). */
export function allReduceBytesPerSec(scenario: Scenario): number {
  const nodes = new Set(scenario.gpus.map((g) => g.node)).size;
  return nodes > 1
    ? Math.min(scenario.links.gpuToGpuBytesPerSec, scenario.links.interNodeBytesPerSec)
    : scenario.links.gpuToGpuBytesPerSec;
}

/** Per-GPU iteration terms, seconds (proofs/cost-model.md §7). */
export interface IterationTerms {
  denseSec: number;
  dedupSec: number;
  localGatherSec: number;
  allToAllSec: number;
  hostLinkSec: number;
  allReduceSec: number;
  /** host DRAM gather and update time, shared by all workers */
  hostGatherSec: number;
}

/** Dense compute and deduplication of worker w: independent of the placement. */
export function computeSeconds(scenario: Scenario, worker: number, coalesce: boolean): { denseSec: number; dedupSec: number } {
  const gpu = scenario.gpus[worker]!;
  // §2: one dedup per table with lookups, each a fixed cost plus a cost per lookup
  let lookups = 0;
  let tablesDeduped = 0;
  let distinctRows = 0;
  const perDistinct = scenario.training.dedupSecondsPerDistinctRow;
  for (const t of scenario.tables) {
    const k = workerLookups(scenario, t, worker);
    lookups += k;
    if (k > 0) tablesDeduped++;
    // §2: E[U] per table, only where it is charged (a bounded closed form per table: not free on 1e9 rows)
    if (coalesce && perDistinct > 0 && k > 0) {
      const u = expectedUnique(t.distribution, k);
      distinctRows += (u.lower + u.upper) / 2;
    }
  }
  return {
    denseSec: gpu.batchSamples * gpu.denseSecondsPerSample,
    dedupSec: coalesce
      ? lookups * scenario.training.dedupSecondsPerLookup + tablesDeduped * scenario.training.dedupLatencySec + distinctRows * perDistinct
      : 0,
  };
}

/**
 * Seconds of each resource of a loads vector, before latencies (§7). Linear in the loads: the placement
 * MIPs take these, per unit of a bucket, as their time coefficients, so they cannot drift from evaluate.
 */
export interface ResourceSeconds {
  /**
   * per GPU: HBM bytes at its bandwidth plus its per-row access cost; the receive-buffer part at the buffer's
   * constants (§1, §7)
   */
  gatherSec: Float64Array;
  /** per GPU: host-link bytes at its link bandwidth */
  hostLinkSec: Float64Array;
  /** per GPU, one phase: all-to-all seconds received and sent (the term is 2 max(in, out)) */
  allToAllInSec: Float64Array;
  allToAllOutSec: Float64Array;
  /** ring all-reduce seconds (every GPU) */
  allReduceSec: number;
  /** host DRAM seconds: bytes at host bandwidth plus per-row access cost (shared by every GPU) */
  hostDramSec: number;
}

/**
 * Seconds of a GPU's memory traffic: bytes at its gather bandwidth plus its cost per random row access, the
 * receive buffer's part (a subset of the totals, §1) at the buffer's constants. No clamping: this stays linear
 * in the loads, so the MIPs may use it on unit loads and the heuristics on differences of loads.
 */
export function hbmSeconds(
  gpu: Pick<Gpu, 'gatherBytesPerSec' | 'gatherSecondsPerRow' | 'bufferGatherBytesPerSec' | 'bufferGatherSecondsPerRow'>,
  bytes: number,
  accesses: number,
  bufferBytes: number,
  bufferAccesses: number,
): number {
  return (
    (bytes - bufferBytes) / gpu.gatherBytesPerSec +
    (accesses - bufferAccesses) * gpu.gatherSecondsPerRow +
    bufferBytes / gpu.bufferGatherBytesPerSec +
    bufferAccesses * gpu.bufferGatherSecondsPerRow
  );
}

export function resourceSeconds(scenario: Scenario, loads: Loads): ResourceSeconds {
  return resourceSecondsAt(scenario, loads, scenario.gpus.map((_, w) => w));
}

/**
 * resourceSeconds with its per-GPU entries for `workers` only, in that order (the folded LP reads the orbits'
 * representatives alone: computing every GPU's entries for every item was most of its build time on 64 GPUs).
 * The shared terms are the same; `allToAllInSec` / `allToAllOutSec` are copied at `workers`.
 */
export function resourceSecondsAt(scenario: Scenario, loads: Loads, workers: readonly number[], ringBytesPerSec = allReduceBytesPerSec(scenario)): ResourceSeconds {
  const W = scenario.gpus.length;
  const ringFactor = W > 1 ? (2 * (W - 1)) / W : 0;
  const all = workers.length === W && workers.every((w, k) => w === k);
  const n = workers.length;
  const gatherSec = new Float64Array(n);
  const hostLinkSec = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const w = workers[k]!;
    const gpu = scenario.gpus[w]!;
    gatherSec[k] = hbmSeconds(gpu, loads.hbmBytes[w]!, loads.hbmRowAccesses[w]!, loads.hbmBufferBytes[w]!, loads.hbmBufferRowAccesses[w]!);
    hostLinkSec[k] = loads.hostLinkBytes[w]! / gpu.hostToGpuBytesPerSec;
  }
  return {
    gatherSec,
    hostLinkSec,
    allToAllInSec: all ? loads.allToAllInSec : Float64Array.from(workers, (w) => loads.allToAllInSec[w]!),
    allToAllOutSec: all ? loads.allToAllOutSec : Float64Array.from(workers, (w) => loads.allToAllOutSec[w]!),
    allReduceSec: W > 1 ? (ringFactor * loads.allReduceBytes) / ringBytesPerSec : 0,
    hostDramSec:
      loads.hostDramBytes / scenario.host.gatherBytesPerSec + loads.hostDramRowAccesses * scenario.host.gatherSecondsPerRow,
  };
}

/** computeSeconds of every worker: it does not depend on the placement, so a search over placements computes it once. */
export function computeSecondsAll(scenario: Scenario, coalesce: boolean): Array<{ denseSec: number; dedupSec: number }> {
  return scenario.gpus.map((_, w) => computeSeconds(scenario, w, coalesce));
}

/**
 * Turn loads into per-GPU terms. Latencies are paid per phase by the classes in use (§7). `compute` is computeSecondsAll(scenario, coalesce) when the caller has it (it
 * costs O(tables) per worker: a greedy that calls this per trial on 1000 tables x 128 GPUs spent 44 s there).
 */
export function iterationTerms(scenario: Scenario, loads: Loads, coalesce: boolean, compute?: ReadonlyArray<{ denseSec: number; dedupSec: number }>): IterationTerms[] {
  const W = scenario.gpus.length;
  const lat = scenario.links.latencySec;
  const sec = resourceSeconds(scenario, loads);
  const allReduceSec = W > 1 && loads.rowsReplicated > 0 ? sec.allReduceSec + 2 * (W - 1) * lat : 0;
  return scenario.gpus.map((_gpu, w) => {
    const { denseSec, dedupSec } = compute?.[w] ?? computeSeconds(scenario, w, coalesce);
    return {
      denseSec,
      dedupSec,
      localGatherSec: sec.gatherSec[w]!,
      allToAllSec: loads.rowsSharded > 0 ? 2 * Math.max(sec.allToAllInSec[w]!, sec.allToAllOutSec[w]!) + 2 * lat : 0,
      hostLinkSec: loads.rowsHost > 0 ? sec.hostLinkSec[w]! + 2 * lat : 0,
      allReduceSec,
      hostGatherSec: sec.hostDramSec,
    };
  });
}

/** loads += k * unit, every field (class row counts included). */
export function addScaledLoads(loads: Loads, unit: Loads, k: number): void {
  if (k === 0) return;
  for (const key of Object.keys(loads) as (keyof Loads)[]) {
    const into = loads[key];
    const from = unit[key];
    if (typeof into === 'number') (loads[key] as number) = into + k * (from as number);
    else for (let w = 0; w < into.length; w++) into[w]! += k * (from as Float64Array)[w]!;
  }
}

/** Combine the terms by the overlap policy: serial sum, or the busiest resource (compute = dense + dedup). */
export function combineTerms(t: IterationTerms, overlap: 'serial' | 'full'): number {
  if (overlap === 'serial')
    return t.denseSec + t.dedupSec + t.localGatherSec + t.allToAllSec + t.hostLinkSec + t.allReduceSec + t.hostGatherSec;
  return Math.max(t.denseSec + t.dedupSec, t.localGatherSec, t.allToAllSec, t.hostLinkSec, t.allReduceSec, t.hostGatherSec);
}

/** Bytes of GPU memory available for embeddings on GPU g after activations. */
export function gpuEmbeddingCapacityBytes(scenario: Scenario, g: number): number {
  const gpu = scenario.gpus[g]!;
  return gpu.memoryBytes - scenario.training.activationBytesPerSample * gpu.batchSamples;
}
