import { InputError } from '../errors.js';
import { evaluate, type Evaluation } from '../model/evaluate.js';
import type { CheckedPlan } from '../model/plan.js';
import type { Scenario } from '../model/scenario.js';
import type { DeviceProfile } from '../model/schema.js';
import { median } from './backend.js';
import { dedupRows, dedupScratch } from './kernels.js';
import { Rng } from '../sim/rng.js';
import { samplerFor, type RankSampler } from '../sim/sampler.js';

/**
 * The plan's embedding stage, run for real on the cpu backend (one worker), phase by phase as the cost
 * model charges it (proofs/cost-model.md; the correspondence is in proofs/calibration-fit.md §5):
 *   dedup        coalesce each table's batch (distinct ids and the inverse map)        -> dedupSec
 *   hostGather   gather the missed rows from the host table into a staging buffer,
 *                and after backward apply their update (read and write each row)     -> hostGatherSec
 *   hostLink     copy the staged rows and their ids to the device, the gradients back -> hostLinkSec
 *   localGather  pool: every lookup reads its row from the device cache or the copied
 *                misses; then update the cached rows touched                           -> localGatherSec
 * Dense compute is not run (the prediction uses denseSecondsPerSample = 0), and the phases run one after
 * another, so the prediction uses the serial overlap policy.
 */

export interface PhaseSeconds {
  dedupSec: number;
  hostGatherSec: number;
  hostLinkSec: number;
  localGatherSec: number;
}

export interface StageMeasurement {
  plan: string;
  iterations: number;
  /** median seconds per iteration (sum of the phases) */
  measuredSec: number;
  /** median of each phase */
  phases: PhaseSeconds;
  predictedSec: number;
  predictedPhases: PhaseSeconds;
  /** (predicted - measured) / measured */
  relativeError: number;
  /** rows fetched from the host per iteration (mean), and the model's expectation */
  hostRowsPerIteration: number;
  predictedHostRowsPerIteration: number;
  /** checksum of the pooled output (guards against dead-code elimination) */
  checksum: number;
}

/** The scenario with the profile's constants and the run's conditions (one worker, serial, no dense). */
export function calibratedScenario(scenario: Scenario, profile: DeviceProfile): Scenario {
  const c = profile.constants;
  const need = (key: keyof typeof c & string) => {
    const v = c[key] as number | undefined;
    if (v === undefined) throw new InputError(`the profile has no ${key}`, `profile: constants.${key}`);
    return v;
  };
  const gather = need('gpuGatherBytesPerSec');
  const hostToGpu = need('hostToGpuBytesPerSec');
  const hostGather = need('hostGatherBytesPerSec');
  return {
    ...scenario,
    gpus: scenario.gpus.map((g) => ({ ...g, gatherBytesPerSec: gather, hostToGpuBytesPerSec: hostToGpu, denseSecondsPerSample: 0 })),
    host: { ...scenario.host, gatherBytesPerSec: hostGather },
    links: { ...scenario.links, latencySec: (c.latencySec as number | undefined) ?? 0 },
    training: { ...scenario.training, overlap: 'serial', dedupSecondsPerLookup: (c.dedupSecondsPerLookup as number | undefined) ?? 0 },
  };
}

interface TableState {
  dim: number;
  lookups: number;
  sampler: RankSampler;
  rng: Rng;
  ranks: Float64Array;
  /** per row: slot in the device table (>= 0) or -(slot + 1) in the host table */
  slot: Int32Array;
  device: Float32Array;
  host: Float32Array;
  scratch: ReturnType<typeof dedupScratch>;
  unique: Uint32Array;
  inverse: Uint32Array;
  /** per distinct id of the batch: where the pool reads it (device slot, or position among the misses) */
  fromHost: Uint8Array;
  where: Uint32Array;
  hostSlots: Uint32Array;
  deviceSlots: Uint32Array;
  staging: Float32Array;
  missOnDevice: Float32Array;
  idsHost: Uint8Array;
  idsDevice: Uint8Array;
  gradDevice: Float32Array;
  gradHost: Float32Array;
  out: Float32Array;
  batch: Uint32Array;
}

const MAX_ROWS = 1 << 24;

function setupTable(scenario: Scenario, plan: CheckedPlan, t: number, seed: number): TableState {
  const table = scenario.tables[t]!;
  const where = `table "${table.name}"`;
  if (table.bytesPerElement !== 4) throw new InputError(`validate runs fp32 tables (bytesPerElement 4), got ${table.bytesPerElement}`, where);
  if (table.rows > MAX_ROWS) throw new InputError(`validate samples tables of at most ${MAX_ROWS} rows; this one has ${table.rows}`, where);
  const dim = table.dim;
  const lookups = Math.max(1, Math.round(scenario.gpus[0]!.batchSamples * table.pooling));
  const slot = new Int32Array(table.rows);
  let nDevice = 0;
  let nHost = 0;
  for (const r of plan.tables[table.name]!)
    for (let i = r.from; i < r.to; i++) slot[i] = r.at === 'host' ? -(++nHost) : nDevice++;
  const fill = (n: number) => {
    const a = new Float32Array(n * dim);
    for (let i = 0; i < a.length; i++) a[i] = (i % 1021) * 0.001;
    return a;
  };
  const indexBytes = scenario.training.indexBytes;
  return {
    dim,
    lookups,
    // the simulator's seeded samplers (src/sim), one independent stream per table
    sampler: samplerFor(table.distribution, table.distributionSpec),
    rng: new Rng(seed, t),
    ranks: new Float64Array(lookups),
    slot,
    device: fill(nDevice),
    host: fill(nHost),
    scratch: dedupScratch(table.rows),
    unique: new Uint32Array(lookups),
    inverse: new Uint32Array(lookups),
    fromHost: new Uint8Array(lookups),
    where: new Uint32Array(lookups),
    hostSlots: new Uint32Array(lookups),
    deviceSlots: new Uint32Array(lookups),
    staging: new Float32Array(lookups * dim),
    missOnDevice: new Float32Array(lookups * dim),
    idsHost: new Uint8Array(Math.ceil(lookups * indexBytes)),
    idsDevice: new Uint8Array(Math.ceil(lookups * indexBytes)),
    gradDevice: new Float32Array(lookups * dim).fill(1e-3),
    gradHost: new Float32Array(lookups * dim),
    out: new Float32Array(lookups * dim),
    batch: new Uint32Array(lookups),
  };
}

/** rows [src*dim, +dim) of `from` to row dst of `to` */
function copyRow(from: Float32Array, src: number, to: Float32Array, dst: number, dim: number): void {
  if (dim >= 64) to.set(from.subarray(src * dim, src * dim + dim), dst * dim);
  else for (let k = 0, a = src * dim, b = dst * dim; k < dim; k++) to[b + k] = from[a + k]!;
}

/** row[slot] -= lr * grad[g]: reads and writes the row once (the model's 2 (r + o) update bytes, o = 0) */
function updateRow(rows: Float32Array, slot: number, grad: Float32Array, g: number, dim: number): void {
  for (let k = 0, a = slot * dim, b = g * dim; k < dim; k++) rows[a + k] -= 0.01 * grad[b + k]!;
}

/** One iteration of one table; adds its phase times to `acc` and returns the host rows fetched. */
function runTable(s: TableState, coalesce: boolean, indexBytes: number, acc: PhaseSeconds): number {
  const { dim, lookups } = s;
  let t0 = performance.now();
  let distinct: number;
  if (coalesce) distinct = dedupRows(s.batch, s.scratch, s.unique, s.inverse);
  else {
    // no coalescing: every lookup is its own "distinct" row
    distinct = lookups;
    s.unique.set(s.batch);
    for (let j = 0; j < lookups; j++) s.inverse[j] = j;
  }
  let nHost = 0;
  let nDevice = 0;
  for (let u = 0; u < distinct; u++) {
    const sl = s.slot[s.unique[u]!]!;
    if (sl < 0) {
      s.fromHost[u] = 1;
      s.where[u] = nHost;
      s.hostSlots[nHost++] = -sl - 1;
    } else {
      s.fromHost[u] = 0;
      s.where[u] = sl;
      s.deviceSlots[nDevice++] = sl;
    }
  }
  let t1 = performance.now();
  if (coalesce) acc.dedupSec += (t1 - t0) / 1e3;
  else acc.localGatherSec += (t1 - t0) / 1e3; // bookkeeping only; there is no dedup phase to charge

  // host gather of the missed rows into the staging buffer
  t0 = performance.now();
  for (let i = 0; i < nHost; i++) copyRow(s.host, s.hostSlots[i]!, s.staging, i, dim);
  t1 = performance.now();
  acc.hostGatherSec += (t1 - t0) / 1e3;

  // host link down: rows and ids
  t0 = performance.now();
  s.missOnDevice.set(s.staging.subarray(0, nHost * dim));
  s.idsDevice.set(s.idsHost.subarray(0, Math.ceil(nHost * indexBytes)));
  t1 = performance.now();
  acc.hostLinkSec += (t1 - t0) / 1e3;

  // pool: every lookup reads its row from the device cache or from the copied misses
  t0 = performance.now();
  for (let j = 0; j < lookups; j++) {
    const u = s.inverse[j]!;
    if (s.fromHost[u]) copyRow(s.missOnDevice, s.where[u]!, s.out, j, dim);
    else copyRow(s.device, s.where[u]!, s.out, j, dim);
  }
  // backward on the device: update the cached rows touched
  for (let i = 0; i < nDevice; i++) updateRow(s.device, s.deviceSlots[i]!, s.gradDevice, i, dim);
  t1 = performance.now();
  acc.localGatherSec += (t1 - t0) / 1e3;

  // host link up: gradients of the missed rows
  t0 = performance.now();
  s.gradHost.set(s.gradDevice.subarray(0, nHost * dim));
  t1 = performance.now();
  acc.hostLinkSec += (t1 - t0) / 1e3;

  // host update of the missed rows
  t0 = performance.now();
  for (let i = 0; i < nHost; i++) updateRow(s.host, s.hostSlots[i]!, s.gradHost, i, dim);
  t1 = performance.now();
  acc.hostGatherSec += (t1 - t0) / 1e3;
  return nHost;
}

const zeroPhases = (): PhaseSeconds => ({ dedupSec: 0, hostGatherSec: 0, hostLinkSec: 0, localGatherSec: 0 });
const total = (p: PhaseSeconds) => p.dedupSec + p.hostGatherSec + p.hostLinkSec + p.localGatherSec;

export interface StageOptions {
  iterations: number;
  warmup?: number;
  seed?: number;
}

/** Run the plan's embedding stage `iterations` times and compare with the calibrated model. */
export function measureStage(scenario: Scenario, plan: CheckedPlan, profile: DeviceProfile, opts: StageOptions): StageMeasurement {
  if (scenario.gpus.length !== 1)
    throw new InputError(`validate measures one worker; the scenario has ${scenario.gpus.length} GPUs (set devices.gpus to 1)`, `${scenario.file ?? 'scenario'}: devices.gpus`);
  const model = calibratedScenario(scenario, profile);
  const prediction: Evaluation = evaluate(model, plan);
  const states = scenario.tables.map((_, t) => setupTable(scenario, plan, t, opts.seed ?? 7));
  const warmup = opts.warmup ?? 2;
  const perIteration: PhaseSeconds[] = [];
  let hostRows = 0;
  let checksum = 0;
  for (let it = 0; it < warmup + opts.iterations; it++) {
    // Sampling is data loading, not part of the embedding stage: it is not timed.
    for (const s of states) {
      s.sampler.fill(s.rng, s.ranks, s.lookups);
      for (let j = 0; j < s.lookups; j++) s.batch[j] = s.ranks[j]!; // rank = row id
    }
    const acc = zeroPhases();
    let rows = 0;
    for (const s of states) {
      rows += runTable(s, plan.coalesce, scenario.training.indexBytes, acc);
      checksum += s.out[(it * 31) % s.out.length]!;
    }
    if (it >= warmup) {
      perIteration.push(acc);
      hostRows += rows;
    }
  }
  const phases: PhaseSeconds = {
    dedupSec: median(perIteration.map((p) => p.dedupSec)),
    hostGatherSec: median(perIteration.map((p) => p.hostGatherSec)),
    hostLinkSec: median(perIteration.map((p) => p.hostLinkSec)),
    localGatherSec: median(perIteration.map((p) => p.localGatherSec)),
  };
  const measuredSec = median(perIteration.map(total));
  const t = prediction.gpus[0]!.terms;
  const predictedPhases: PhaseSeconds = {
    dedupSec: t.dedupSec,
    hostGatherSec: t.hostGatherSec,
    hostLinkSec: t.hostLinkSec,
    localGatherSec: t.localGatherSec,
  };
  const predictedHostRows = scenario.tables.reduce((s, table) => {
    let rows = 0;
    const K = states[table.index]!.lookups;
    for (const r of plan.tables[table.name]!)
      if (r.at === 'host') rows += plan.coalesce ? table.distribution.touched(r.from, r.to, K).value : K * table.distribution.mass(r.from, r.to).value;
    return s + rows;
  }, 0);
  return {
    plan: plan.name ?? plan.algorithm ?? 'plan',
    iterations: opts.iterations,
    measuredSec,
    phases,
    predictedSec: prediction.iterationSec,
    predictedPhases,
    relativeError: (prediction.iterationSec - measuredSec) / measuredSec,
    hostRowsPerIteration: hostRows / opts.iterations,
    predictedHostRowsPerIteration: predictedHostRows,
    checksum,
  };
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
