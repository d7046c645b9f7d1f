import { InputError } from '../errors.js';
import { evaluate, type Evaluation } from '../model/evaluate.js';
import { hbmSeconds } from '../model/loads.js';
import type { CheckedPlan } from '../model/plan.js';
import type { Scenario } from '../model/scenario.js';
import type { DeviceProfile } from '../model/schema.js';
import { median } from './backend.js';
import { dedupRows, dedupScratch, gatherRows, updateRows } from './kernels.js';
import { Rng } from '../sim/rng.js';
import { samplerFor, type RankSampler } from '../sim/sampler.js';

/**
 * The plan's embedding stage, run for real on the cpu backend (one worker), phase by phase as the cost
 * model charges it (proofs/cost-model.md §1-§7; the correspondence is proofs/calibration-fit.md §5). Every
 * timed phase runs only kernels that the calibration timed (kernels.ts: dedupRows, gatherRows, updateRows,
 * and the buffer copy of cpu.ts), on exactly the quantities the model counts:
 *   dedup        dedupRows over the K lookups of each table                          -> K dedupSecondsPerLookup + dedupLatencySec
 *   hostGather   gatherRows of the U_host missed rows into a staging buffer, and after
 *                backward updateRows of the same rows                                 -> 2 U_host accesses, 3 U_host r bytes
 *   hostLink     copy of the staged rows and ids into device memory, of the
 *                gradients back                                                       -> U_host (2 r + indexBytes) bytes + 2 latency
 *   localGather  gatherRows of all K lookups from device memory (cached rows and the
 *                copied misses live in one device buffer), then updateRows of the
 *                U_dev cached rows touched                                             -> K + U_dev accesses, K r + 2 U_dev r bytes
 * One more step is timed but not modelled: "bookkeeping", which sorts each distinct id into cache or host by
 * the plan's ranges and builds the pool's index list (a few compares per id, no table access). It is in the
 * measured total, so the error shows what the model leaves out. Dense compute is not run (the prediction
 * uses denseSecondsPerSample = 0) and the phases run one after another (serial overlap).
 */

export interface PhaseSeconds {
  dedupSec: number;
  hostGatherSec: number;
  hostLinkSec: number;
  localGatherSec: number;
}

/** What one iteration moved, summed over tables: the quantities the model multiplies its constants by. */
export interface StageCounts {
  /** lookups deduplicated (K summed over tables; 0 without coalescing) */
  dedupLookups: number;
  /** dedup calls (one per table; 0 without coalescing) */
  dedupCalls: number;
  /** distinct ids the dedups emitted (0 without coalescing) */
  dedupDistinctRows: number;
  /** random row accesses in host memory: gathered rows + updated rows */
  hostAccesses: number;
  /** host memory bytes: gathered U r + updated 2 U r */
  hostBytes: number;
  /** bytes over the host link, both directions */
  linkBytes: number;
  /** random row accesses in device memory: pooled lookups + updated cached rows */
  deviceAccesses: number;
  /** device memory bytes: pooled K r + updated 2 U_dev r */
  deviceBytes: number;
  /** of deviceAccesses and deviceBytes: pooled lookups of rows fetched from the host, read from the receive buffer */
  bufferAccesses: number;
  bufferBytes: number;
  /** distinct rows fetched from the host (U_host) */
  hostRows: number;
}

export interface StageMeasurement {
  plan: string;
  iterations: number;
  /** median seconds per iteration (sum of the phases and the bookkeeping) */
  measuredSec: number;
  /** median of each phase */
  phases: PhaseSeconds;
  /** median seconds of the bookkeeping step (timed, not modelled) */
  bookkeepingSec: number;
  /** the model's prediction (evaluate() on the calibrated scenario: expected counts) */
  predictedSec: number;
  predictedPhases: PhaseSeconds;
  /** the profile's constants times the counts this run realised (mean per iteration) */
  countedPhases: PhaseSeconds;
  /** mean counts per iteration */
  counts: StageCounts;
  /** (predicted - measured) / measured */
  relativeError: number;
  /** rows fetched from the host per iteration (mean), and the model's expectation */
  hostRowsPerIteration: number;
  predictedHostRowsPerIteration: number;
  /** checksum of the pooled output (guards against dead-code elimination) */
  checksum: number;
}

/** The profile's constants that the stage's prediction uses (defaults 0 where the profile has none). */
export interface StageConstants {
  gpuGatherBytesPerSec: number;
  gpuGatherSecondsPerRow: number;
  /** pooled reads of rows in the receive buffer (default: the gather constants) */
  gpuBufferGatherBytesPerSec: number;
  gpuBufferGatherSecondsPerRow: number;
  hostGatherBytesPerSec: number;
  hostGatherSecondsPerRow: number;
  hostToGpuBytesPerSec: number;
  latencySec: number;
  dedupSecondsPerLookup: number;
  dedupLatencySec: number;
  /** per distinct id the dedup emits (proofs/cost-model.md §2); 0 where the calibration does not fit it */
  dedupSecondsPerDistinctRow: number;
}

export function stageConstants(profile: DeviceProfile): StageConstants {
  const c = profile.constants;
  const need = (key: keyof typeof c & string) => {
    const v = c[key] as number | undefined;
    if (v === undefined) throw new InputError(`the profile has no ${key}`, `profile: constants.${key}`);
    return v;
  };
  const opt = (key: keyof typeof c & string) => (c[key] as number | undefined) ?? 0;
  const gpuGatherBytesPerSec = need('gpuGatherBytesPerSec');
  const gpuGatherSecondsPerRow = opt('gpuGatherSecondsPerRow');
  return {
    gpuGatherBytesPerSec,
    gpuGatherSecondsPerRow,
    gpuBufferGatherBytesPerSec: (c.gpuBufferGatherBytesPerSec as number | undefined) ?? gpuGatherBytesPerSec,
    gpuBufferGatherSecondsPerRow: (c.gpuBufferGatherSecondsPerRow as number | undefined) ?? gpuGatherSecondsPerRow,
    hostGatherBytesPerSec: need('hostGatherBytesPerSec'),
    hostGatherSecondsPerRow: opt('hostGatherSecondsPerRow'),
    hostToGpuBytesPerSec: need('hostToGpuBytesPerSec'),
    latencySec: opt('latencySec'),
    dedupSecondsPerLookup: opt('dedupSecondsPerLookup'),
    dedupLatencySec: opt('dedupLatencySec'),
    dedupSecondsPerDistinctRow: opt('dedupSecondsPerDistinctRow'),
  };
}

/** The scenario with the profile's constants and the run's conditions (one worker, serial, no dense). */
export function calibratedScenario(scenario: Scenario, profile: DeviceProfile): Scenario {
  const c = stageConstants(profile);
  return {
    ...scenario,
    gpus: scenario.gpus.map((g) => ({
      ...g,
      gatherBytesPerSec: c.gpuGatherBytesPerSec,
      gatherSecondsPerRow: c.gpuGatherSecondsPerRow,
      bufferGatherBytesPerSec: c.gpuBufferGatherBytesPerSec,
      bufferGatherSecondsPerRow: c.gpuBufferGatherSecondsPerRow,
      hostToGpuBytesPerSec: c.hostToGpuBytesPerSec,
      denseSecondsPerSample: 0,
    })),
    host: { ...scenario.host, gatherBytesPerSec: c.hostGatherBytesPerSec, gatherSecondsPerRow: c.hostGatherSecondsPerRow },
    links: { ...scenario.links, latencySec: c.latencySec },
    training: { ...scenario.training, overlap: 'serial', dedupSecondsPerLookup: c.dedupSecondsPerLookup, dedupLatencySec: c.dedupLatencySec, dedupSecondsPerDistinctRow: c.dedupSecondsPerDistinctRow },
  };
}

/**
 * The model's terms for given counts (proofs/cost-model.md §7 with one worker): each phase is a constant
 * times a counted quantity. `hostLatency` is whether the plan uses the host link at all.
 */
export function phasesFromCounts(c: StageConstants, n: StageCounts, hostLatency: boolean): PhaseSeconds {
  return {
    dedupSec: n.dedupLookups * c.dedupSecondsPerLookup + n.dedupCalls * c.dedupLatencySec + n.dedupDistinctRows * c.dedupSecondsPerDistinctRow,
    hostGatherSec: n.hostBytes / c.hostGatherBytesPerSec + n.hostAccesses * c.hostGatherSecondsPerRow,
    hostLinkSec: hostLatency ? n.linkBytes / c.hostToGpuBytesPerSec + 2 * c.latencySec : 0,
    localGatherSec: hbmSeconds(
      {
        gatherBytesPerSec: c.gpuGatherBytesPerSec,
        gatherSecondsPerRow: c.gpuGatherSecondsPerRow,
        bufferGatherBytesPerSec: c.gpuBufferGatherBytesPerSec,
        bufferGatherSecondsPerRow: c.gpuBufferGatherSecondsPerRow,
      },
      n.deviceBytes,
      n.deviceAccesses,
      n.bufferBytes,
      n.bufferAccesses,
    ),
  };
}

/** One table of one plan, host side: the sampler, the plan's ranges, host memory and the cpu buffers. */
export interface TableState {
  /** rows of the table (ids are < rows) */
  rows: number;
  dim: number;
  lookups: number;
  sampler: RankSampler;
  rng: Rng;
  ranks: Float64Array;
  /** the plan's ranges of this table, sorted: [from, to), host or not, first slot in its memory */
  rangeFrom: Float64Array;
  rangeTo: Float64Array;
  rangeHost: Uint8Array;
  rangeSlot: Float64Array;
  /** cached rows in device memory */
  cachedRows: number;
  /** device memory: the cached rows, then room for the batch's misses copied from the host */
  device: Float32Array;
  host: Float32Array;
  scratch: ReturnType<typeof dedupScratch>;
  unique: Uint32Array;
  inverse: Uint32Array;
  /** per distinct id of the batch: its row in device memory (cache slot, or cachedRows + position among misses) */
  where: Uint32Array;
  hostSlots: Uint32Array;
  deviceSlots: Uint32Array;
  poolIdx: Uint32Array;
  staging: Float32Array;
  idsHost: Uint8Array;
  idsDevice: Uint8Array;
  grad: Float32Array;
  gradHost: Float32Array;
  out: Float32Array;
  batch: Uint32Array;
}

const MAX_ROWS = 1 << 24;

export function setupTable(scenario: Scenario, plan: CheckedPlan, t: number, seed: number): TableState {
  const table = scenario.tables[t]!;
  const where = `table "${table.name}"`;
  if (table.bytesPerElement !== 4) throw new InputError(`validate runs fp32 tables (bytesPerElement 4), got ${table.bytesPerElement}`, where);
  if (table.rows > MAX_ROWS) throw new InputError(`validate samples tables of at most ${MAX_ROWS} rows; this one has ${table.rows}`, where);
  if (table.optimizerBytesPerRow !== 0)
    throw new InputError(`validate updates rows without optimizer state; set optimizerBytesPerRow to 0 (got ${table.optimizerBytesPerRow})`, where);
  const dim = table.dim;
  const lookups = Math.max(1, Math.round(scenario.gpus[0]!.batchSamples * table.pooling));
  const ranges = [...plan.tables[table.name]!].sort((a, b) => a.from - b.from);
  const rangeFrom = new Float64Array(ranges.length);
  const rangeTo = new Float64Array(ranges.length);
  const rangeHost = new Uint8Array(ranges.length);
  const rangeSlot = new Float64Array(ranges.length);
  let nDevice = 0;
  let nHost = 0;
  ranges.forEach((r, i) => {
    rangeFrom[i] = r.from;
    rangeTo[i] = r.to;
    rangeHost[i] = r.at === 'host' ? 1 : 0;
    rangeSlot[i] = r.at === 'host' ? nHost : nDevice;
    if (r.at === 'host') nHost += r.to - r.from;
    else nDevice += r.to - r.from;
  });
  const fill = (n: number) => {
    const a = new Float32Array(n * dim);
    for (let i = 0; i < a.length; i++) a[i] = (i % 1021) * 0.001;
    return a;
  };
  const indexBytes = scenario.training.indexBytes;
  return {
    rows: table.rows,
    dim,
    lookups,
    // the simulator's seeded samplers (src/sim), one independent stream per table
    sampler: samplerFor(table.distribution, table.distributionSpec),
    rng: new Rng(seed, t),
    ranks: new Float64Array(lookups),
    rangeFrom,
    rangeTo,
    rangeHost,
    rangeSlot,
    cachedRows: nDevice,
    device: fill(nDevice + lookups),
    host: fill(nHost),
    scratch: dedupScratch(table.rows),
    unique: new Uint32Array(lookups),
    inverse: new Uint32Array(lookups),
    where: new Uint32Array(lookups),
    hostSlots: new Uint32Array(lookups),
    deviceSlots: new Uint32Array(lookups),
    poolIdx: new Uint32Array(lookups),
    staging: new Float32Array(lookups * dim),
    idsHost: new Uint8Array(Math.ceil(lookups * indexBytes)),
    idsDevice: new Uint8Array(Math.ceil(lookups * indexBytes)),
    grad: new Float32Array(lookups * dim).fill(1e-3),
    gradHost: new Float32Array(lookups * dim),
    out: new Float32Array(lookups * dim),
    batch: new Uint32Array(lookups),
  };
}

/** Index of the range holding id (binary search over the sorted range starts). */
export function rangeOf(s: TableState, id: number): number {
  let lo = 0;
  let hi = s.rangeFrom.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (s.rangeFrom[mid]! <= id) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface IterationTimes extends PhaseSeconds {
  bookkeepingSec: number;
}

const now = () => performance.now() / 1e3;

/** One iteration of one table on the cpu backend; adds its phase times to `acc` and its counts to `n`. */
function runTable(s: TableState, coalesce: boolean, indexBytes: number, acc: IterationTimes, n: StageCounts): void {
  const { dim, lookups } = s;
  let t0 = now();
  let distinct = lookups;
  if (coalesce) {
    distinct = dedupRows(s.batch, s.scratch, s.unique, s.inverse);
    acc.dedupSec += now() - t0;
    n.dedupLookups += lookups;
    n.dedupCalls += 1;
    n.dedupDistinctRows += distinct;
  }

  // bookkeeping: cache or host by the plan's ranges, and the pool's row in device memory for every lookup
  t0 = now();
  const ids = coalesce ? s.unique : s.batch;
  let nHost = 0;
  let nDevice = 0;
  for (let u = 0; u < distinct; u++) {
    const id = ids[u]!;
    const k = rangeOf(s, id);
    const slot = s.rangeSlot[k]! + (id - s.rangeFrom[k]!);
    if (s.rangeHost[k]) {
      s.where[u] = s.cachedRows + nHost;
      s.hostSlots[nHost++] = slot;
    } else {
      s.where[u] = slot;
      s.deviceSlots[nDevice++] = slot;
    }
  }
  if (coalesce) for (let j = 0; j < lookups; j++) s.poolIdx[j] = s.where[s.inverse[j]!]!;
  else s.poolIdx.set(s.where.subarray(0, lookups));
  acc.bookkeepingSec += now() - t0;

  // host gather of the missed rows into the staging buffer
  t0 = now();
  gatherRows(s.host, dim, s.hostSlots.subarray(0, nHost), s.staging);
  acc.hostGatherSec += now() - t0;

  // host link down: rows and ids, into the miss area of device memory
  t0 = now();
  s.device.set(s.staging.subarray(0, nHost * dim), s.cachedRows * dim);
  s.idsDevice.set(s.idsHost.subarray(0, Math.ceil(nHost * indexBytes)));
  acc.hostLinkSec += now() - t0;

  // pool: every lookup reads its row from device memory; backward updates the cached rows touched
  t0 = now();
  gatherRows(s.device, dim, s.poolIdx, s.out);
  updateRows(s.device, dim, s.deviceSlots, nDevice, s.grad);
  acc.localGatherSec += now() - t0;

  // host link up: gradients of the missed rows
  t0 = now();
  s.gradHost.set(s.grad.subarray(0, nHost * dim));
  acc.hostLinkSec += now() - t0;

  // host update of the missed rows
  t0 = now();
  updateRows(s.host, dim, s.hostSlots, nHost, s.gradHost);
  acc.hostGatherSec += now() - t0;

  addStageCounts(n, s, indexBytes, nHost, nDevice);
}

/**
 * What one iteration of one table moved, in the model's quantities (proofs/calibration-fit.md §5): the same on
 * every backend. `hostRows` U_host fetched from the host, `deviceRows` U_dev cached rows updated. Called after
 * the timed phases: it also counts the lookups of host rows in this batch, which the pool reads from the
 * receive buffer (the miss area).
 */
export function addStageCounts(n: StageCounts, s: TableState, indexBytes: number, hostRows: number, deviceRows: number): void {
  const r = s.dim * 4;
  let bufferLookups = 0;
  for (let j = 0; j < s.lookups; j++) if (s.rangeHost[rangeOf(s, s.batch[j]!)]) bufferLookups++;
  n.hostRows += hostRows;
  n.hostAccesses += 2 * hostRows;
  n.hostBytes += 3 * hostRows * r;
  n.linkBytes += hostRows * (2 * r + indexBytes);
  n.deviceAccesses += s.lookups + deviceRows;
  n.deviceBytes += (s.lookups + 2 * deviceRows) * r;
  n.bufferAccesses += bufferLookups;
  n.bufferBytes += bufferLookups * r;
}

const zeroTimes = (): IterationTimes => ({ dedupSec: 0, hostGatherSec: 0, hostLinkSec: 0, localGatherSec: 0, bookkeepingSec: 0 });
const zeroCounts = (): StageCounts => ({ dedupLookups: 0, dedupCalls: 0, dedupDistinctRows: 0, hostAccesses: 0, hostBytes: 0, linkBytes: 0, deviceAccesses: 0, deviceBytes: 0, bufferAccesses: 0, bufferBytes: 0, hostRows: 0 });
const total = (p: IterationTimes) => p.dedupSec + p.hostGatherSec + p.hostLinkSec + p.localGatherSec + p.bookkeepingSec;

export interface StageOptions {
  iterations: number;
  /** untimed iterations first (JIT, page faults, caches); default 3 */
  warmup?: number;
  seed?: number;
}

/**
 * Where a plan's embedding stage runs: `prepare` sets up the device side of one table (device memory: the
 * cached rows and the miss area), `run` does one iteration of one table (phases timed into `acc`, counts
 * into `n`, the same phases and counts on every backend), `checksum` reads one pooled value (guards against
 * dead code), `release` frees the device side.
 */
export interface StageRunner<D> {
  prepare(s: TableState, coalesce: boolean): Promise<D> | D;
  run(s: TableState, device: D, coalesce: boolean, indexBytes: number, acc: IterationTimes, n: StageCounts): Promise<void> | void;
  checksum(s: TableState, device: D): Promise<number> | number;
  release?(device: D): void;
}

/** The cpu runner: "device memory" is a typed array (TableState.device), every phase runs kernels.ts. */
export const cpuStageRunner: StageRunner<undefined> = {
  prepare: () => undefined,
  run: (s, _d, coalesce, indexBytes, acc, n) => runTable(s, coalesce, indexBytes, acc, n),
  checksum: (s) => s.out[0]!,
};

interface PlanRun<D> {
  plan: CheckedPlan;
  states: TableState[];
  devices: D[];
  times: IterationTimes[];
  counts: StageCounts;
  checksum: number;
}

/**
 * Run several plans' embedding stages, interleaved iteration by iteration (so slow drift from other
 * processes on the machine hits every plan alike, and their ratio is measured under the same conditions),
 * and compare each with the calibrated model.
 */
export async function measureStages<D = undefined>(
  scenario: Scenario,
  plans: readonly CheckedPlan[],
  profile: DeviceProfile,
  opts: StageOptions,
  runner: StageRunner<D> = cpuStageRunner as unknown as StageRunner<D>,
): Promise<StageMeasurement[]> {
  if (scenario.gpus.length !== 1)
    throw new InputError(`validate measures one worker; the scenario has ${scenario.gpus.length} GPUs (set devices.gpus to 1)`, `${scenario.file ?? 'scenario'}: devices.gpus`);
  const constants = stageConstants(profile);
  const model = calibratedScenario(scenario, profile);
  const runs: PlanRun<D>[] = [];
  for (const plan of plans) {
    const states = scenario.tables.map((_, t) => setupTable(scenario, plan, t, opts.seed ?? 7));
    const devices: D[] = [];
    for (const s of states) devices.push(await runner.prepare(s, plan.coalesce));
    runs.push({ plan, states, devices, times: [], counts: zeroCounts(), checksum: 0 });
  }
  const warmup = opts.warmup ?? 3;
  for (let it = 0; it < warmup + opts.iterations; it++)
    for (const run of runs) {
      // Sampling is data loading, not part of the embedding stage: it is not timed.
      for (const s of run.states) {
        s.sampler.fill(s.rng, s.ranks, s.lookups);
        for (let j = 0; j < s.lookups; j++) s.batch[j] = s.ranks[j]!; // rank = row id
      }
      const acc = zeroTimes();
      const n = zeroCounts();
      for (let t = 0; t < run.states.length; t++)
        await runner.run(run.states[t]!, run.devices[t]!, run.plan.coalesce, scenario.training.indexBytes, acc, n);
      if (it >= warmup) {
        run.times.push(acc);
        for (const k of Object.keys(n) as Array<keyof StageCounts>) run.counts[k] += n[k] / opts.iterations;
      }
    }
  for (const run of runs)
    for (let t = 0; t < run.states.length; t++) {
      run.checksum += await runner.checksum(run.states[t]!, run.devices[t]!);
      runner.release?.(run.devices[t]!);
    }
  return runs.map((run) => summarise(scenario, model, constants, run, opts.iterations));
}

function summarise<D>(scenario: Scenario, model: Scenario, constants: StageConstants, run: PlanRun<D>, iterations: number): StageMeasurement {
  const { plan, times } = run;
  const prediction: Evaluation = evaluate(model, plan);
  const med = (k: keyof IterationTimes) => median(times.map((p) => p[k]));
  const phases: PhaseSeconds = { dedupSec: med('dedupSec'), hostGatherSec: med('hostGatherSec'), hostLinkSec: med('hostLinkSec'), localGatherSec: med('localGatherSec') };
  const measuredSec = median(times.map(total));
  const t = prediction.gpus[0]!.terms;
  const predictedPhases: PhaseSeconds = { dedupSec: t.dedupSec, hostGatherSec: t.hostGatherSec, hostLinkSec: t.hostLinkSec, localGatherSec: t.localGatherSec };
  const usesHost = scenario.tables.some((table) => plan.tables[table.name]!.some((r) => r.at === 'host'));
  const predictedHostRows = scenario.tables.reduce((s, table) => {
    let rows = 0;
    const K = run.states[table.index]!.lookups;
    for (const r of plan.tables[table.name]!)
      if (r.at === 'host') rows += plan.coalesce ? table.distribution.touched(r.from, r.to, K).value : K * table.distribution.mass(r.from, r.to).value;
    return s + rows;
  }, 0);
  return {
    plan: plan.name ?? plan.algorithm ?? 'plan',
    iterations,
    measuredSec,
    phases,
    bookkeepingSec: med('bookkeepingSec'),
    predictedSec: prediction.iterationSec,
    predictedPhases,
    countedPhases: phasesFromCounts(constants, run.counts, usesHost),
    counts: run.counts,
    relativeError: (prediction.iterationSec - measuredSec) / measuredSec,
    hostRowsPerIteration: run.counts.hostRows,
    predictedHostRowsPerIteration: predictedHostRows,
    checksum: run.checksum,
  };
}

/** Run one plan's embedding stage `iterations` times and compare with the calibrated model. */
export async function measureStage(scenario: Scenario, plan: CheckedPlan, profile: DeviceProfile, opts: StageOptions): Promise<StageMeasurement> {
  return (await measureStages(scenario, [plan], profile, opts))[0]!;
}

export interface Comparison {
  base: StageMeasurement;
  other: StageMeasurement;
  /** measured time of `other` over `base`: how much faster `base` runs */
  measuredSpeedup: number;
  predictedSpeedup: number;
  relativeError: number;
}

export function compareStages(base: StageMeasurement, other: StageMeasurement): Comparison {
  const measuredSpeedup = other.measuredSec / base.measuredSec;
  const predictedSpeedup = other.predictedSec / base.predictedSec;
  return { base, other, measuredSpeedup, predictedSpeedup, relativeError: (predictedSpeedup - measuredSpeedup) / measuredSpeedup };
}
