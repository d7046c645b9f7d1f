import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { RankDistribution } from '../stats/distribution.js';
import { countsDistribution, countsDistributionFromHistogram } from '../stats/counts.js';
import { uniformDistribution } from '../stats/uniform.js';
import { zipfDistribution } from '../stats/zipf.js';
import {
  deviceProfileSchema,
  frequencyProfileSchema,
  scenarioSchema,
  type DistributionSpec,
  type ScenarioSpec,
} from './schema.js';
import { parseWithSchema, readJsonFile } from './validate.js';

/** One embedding table, normalised. */
export interface Table {
  index: number;
  name: string;
  rows: number;
  dim: number;
  bytesPerElement: number;
  /** r_t = dim * bytesPerElement */
  rowBytes: number;
  optimizerBytesPerRow: number;
  /** L_t: lookups per sample */
  pooling: number;
  distribution: RankDistribution;
  distributionSpec: DistributionSpec;
}

/** One GPU (worker), normalised: every field resolved from gpuList, the scenario and the device profile. */
export interface Gpu {
  index: number;
  name: string;
  node: number;
  memoryBytes: number;
  gatherBytesPerSec: number;
  /** fixed cost of one random row access in this GPU's memory (proofs/cost-model.md §7) */
  gatherSecondsPerRow: number;
  /**
   * the same two constants for pooling reads of rows just received from the host or a peer, read from the
   * small receive buffer they were written to (proofs/cost-model.md §1); default: gatherBytesPerSec and
   * gatherSecondsPerRow
   */
  bufferGatherBytesPerSec: number;
  bufferGatherSecondsPerRow: number;
  hostToGpuBytesPerSec: number;
  denseSecondsPerSample: number;
  batchShare: number;
  /** b_w: samples of the global batch this worker takes (integers summing to globalBatch) */
  batchSamples: number;
}

export interface Scenario {
  name: string;
  /** file it was read from, if any */
  file?: string;
  tables: Table[];
  gpus: Gpu[];
  host: { memoryBytes: number; gatherBytesPerSec: number; gatherSecondsPerRow: number };
  links: { gpuToGpuBytesPerSec: number; interNodeBytesPerSec: number; latencySec: number; gpusPerNode: number };
  training: {
    globalBatch: number;
    overlap: 'serial' | 'full';
    indexBytes: number;
    activationBytesPerSample: number;
    dedupSecondsPerLookup: number;
    /** fixed dedup seconds per table and iteration (proofs/cost-model.md §2) */
    dedupLatencySec: number;
    /** seconds per distinct id the dedup emits (sort output, inverse, routing; proofs/cost-model.md §2) */
    dedupSecondsPerDistinctRow: number;
    candidateBatches: number[];
  };
  /** the validated input, for round trips and reports */
  spec: ScenarioSpec;
}

/**
 * Split B samples over workers in proportion to their shares, as integers summing to B
 * (largest-remainder rounding; ties to the lower index so the split is deterministic).
 */
export function splitBatch(globalBatch: number, shares: readonly number[]): number[] {
  const total = shares.reduce((s, x) => s + x, 0);
  const exactShares = shares.map((s) => (globalBatch * s) / total);
  const out = exactShares.map(Math.floor);
  let left = globalBatch - out.reduce((s, x) => s + x, 0);
  const order = exactShares.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]!.i]! += 1;
  return out;
}

/** The same scenario with another global batch (batch-size search): worker batches are re-split. */
export function withGlobalBatch(scenario: Scenario, globalBatch: number): Scenario {
  const samples = splitBatch(globalBatch, scenario.gpus.map((g) => g.batchShare));
  return {
    ...scenario,
    gpus: scenario.gpus.map((g, i) => ({ ...g, batchSamples: samples[i]! })),
    training: { ...scenario.training, globalBatch },
    spec: { ...scenario.spec, training: { ...scenario.spec.training, globalBatch } },
  };
}

/** Bandwidth of the link between two GPUs: NVLink-class within a node, NIC-class across nodes. */
export function gpuPairBytesPerSec(scenario: Scenario, a: number, b: number): number {
  return scenario.gpus[a]!.node === scenario.gpus[b]!.node
    ? scenario.links.gpuToGpuBytesPerSec
    : scenario.links.interNodeBytesPerSec;
}

interface BuildOptions {
  /** directory against which relative file paths resolve */
  baseDir: string;
  /** name used in error messages */
  file: string;
}

function buildDistribution(spec: DistributionSpec, rows: number, path: string, opts: BuildOptions): RankDistribution {
  const where = `${opts.file}: ${path}`;
  try {
    if (spec.kind === 'zipf') return zipfDistribution(spec.alpha, rows);
    if (spec.kind === 'uniform') return uniformDistribution(rows);
    if (spec.counts) {
      if (spec.counts.length > rows)
        throw new InputError(`${spec.counts.length} counts given but the table has ${rows} rows`, `${where}.counts`);
      if (!spec.counts.some((c) => c > 0)) throw new InputError('all counts are zero', `${where}.counts`);
      return countsDistribution(spec.counts, rows);
    }
    const countsFile = resolve(opts.baseDir, spec.file!);
    const data = readJsonFile(countsFile, 'counts file');
    if (Array.isArray(data)) {
      const counts = parseWithSchema(frequencyCountsArray, data, countsFile);
      if (counts.length > rows)
        throw new InputError(`${counts.length} counts in ${spec.file} but the table has ${rows} rows`, `${where}.file`);
      if (!counts.some((c) => c > 0)) throw new InputError(`all counts in ${spec.file} are zero`, `${where}.file`);
      return countsDistribution(counts, rows);
    }
    const profile = parseWithSchema(frequencyProfileSchema, data, countsFile);
    const names = Object.keys(profile.features);
    const feature = spec.feature ?? (names.length === 1 ? names[0] : undefined);
    if (feature === undefined)
      throw new InputError(`the profile has ${names.length} features; name one with "feature"`, `${where}.feature`);
    const f = profile.features[feature];
    if (!f) throw new InputError(`feature "${feature}" is not in ${spec.file} (it has ${names.join(', ')})`, `${where}.feature`);
    const runs = f.countHistogram.map(([count, n]) => ({ count, rows: n }));
    const counted = runs.reduce((s, r) => s + r.rows, 0);
    if (counted > rows)
      throw new InputError(`feature "${feature}" has ${counted} distinct rows but the table has ${rows}`, `${where}.feature`);
    if (counted === 0) throw new InputError(`feature "${feature}" has no accesses`, `${where}.feature`);
    return countsDistributionFromHistogram(runs, rows);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError((e as Error).message, where);
  }
}

const frequencyCountsArray = z.array(z.number().finite().nonnegative()).min(1);

/** Validate a parsed scenario object and normalise it. Throws InputError naming file and field. */
export function buildScenario(data: unknown, opts: BuildOptions): Scenario {
  const spec = parseWithSchema(scenarioSchema, data, opts.file);
  const devicesIn = spec.devices;
  const linksIn = spec.links;

  // A device profile fills in the constants the scenario leaves out (the scenario's own values win).
  let constants: Record<string, unknown> = {};
  if (devicesIn.profile) {
    const profileFile = resolve(opts.baseDir, devicesIn.profile);
    constants = parseWithSchema(deviceProfileSchema, readJsonFile(profileFile, 'device profile'), profileFile).constants;
  }
  const pick = (own: number | undefined, key: string, field: string, fallback?: number): number => {
    const v = own ?? (constants[key] as number | undefined) ?? fallback;
    if (v === undefined)
      throw new InputError(
        `required (give it in the scenario or through devices.profile)`,
        `${opts.file}: ${field}`,
      );
    return v;
  };
  const W = devicesIn.gpus;
  if (devicesIn.gpuList && devicesIn.gpuList.length !== W)
    throw new InputError(`has ${devicesIn.gpuList.length} entries but devices.gpus is ${W}`, `${opts.file}: devices.gpuList`);
  const gpusPerNode = linksIn.gpusPerNode ?? W;
  const list = devicesIn.gpuList ?? Array.from({ length: W }, () => ({}) as NonNullable<typeof devicesIn.gpuList>[number]);
  const shares = list.map((g) => g.batchShare ?? 1);
  const samples = splitBatch(spec.training.globalBatch, shares);
  // A gpuList entry's own value wins, then the scenario-wide value, then the device profile.
  const field = (i: number) => (devicesIn.gpuList ? `devices.gpuList[${i}].` : 'devices.');
  const gpus: Gpu[] = list.map((g, i) => {
    const gatherBytesPerSec =
      g.gatherBytesPerSec ??
      pick(devicesIn.gpuGatherBytesPerSec, 'gpuGatherBytesPerSec', `${field(i)}${devicesIn.gpuList ? 'gatherBytesPerSec' : 'gpuGatherBytesPerSec'}`);
    const gatherSecondsPerRow =
      g.gatherSecondsPerRow ?? devicesIn.gpuGatherSecondsPerRow ?? (constants.gpuGatherSecondsPerRow as number | undefined) ?? 0;
    return {
      index: i,
      name: g.name ?? `gpu${i}`,
      node: g.node ?? Math.floor(i / gpusPerNode),
      memoryBytes: g.memoryBytes ?? pick(devicesIn.gpuMemoryBytes, 'gpuMemoryBytes', `${field(i)}${devicesIn.gpuList ? 'memoryBytes' : 'gpuMemoryBytes'}`),
      gatherBytesPerSec,
      gatherSecondsPerRow,
      // An explicit gather constant (per GPU or scenario-wide) describes this GPU; a profile's buffer constant
      // then belongs to another device and must not override it.
      bufferGatherBytesPerSec:
        g.bufferGatherBytesPerSec ??
        devicesIn.gpuBufferGatherBytesPerSec ??
        ((g.gatherBytesPerSec ?? devicesIn.gpuGatherBytesPerSec) !== undefined ? undefined : (constants.gpuBufferGatherBytesPerSec as number | undefined)) ??
        gatherBytesPerSec,
      bufferGatherSecondsPerRow:
        g.bufferGatherSecondsPerRow ??
        devicesIn.gpuBufferGatherSecondsPerRow ??
        ((g.gatherSecondsPerRow ?? devicesIn.gpuGatherSecondsPerRow) !== undefined ? undefined : (constants.gpuBufferGatherSecondsPerRow as number | undefined)) ??
        gatherSecondsPerRow,
      hostToGpuBytesPerSec: g.hostToGpuBytesPerSec ?? pick(linksIn.hostToGpuBytesPerSec, 'hostToGpuBytesPerSec', 'links.hostToGpuBytesPerSec'),
      denseSecondsPerSample: g.denseSecondsPerSample ?? spec.training.denseSecondsPerSample,
      batchShare: shares[i]!,
      batchSamples: samples[i]!,
    };
  });
  const nodes = new Set(gpus.map((g) => g.node)).size;
  const gpuToGpu = W > 1 ? pick(linksIn.gpuToGpuBytesPerSec, 'gpuToGpuBytesPerSec', 'links.gpuToGpuBytesPerSec') : (linksIn.gpuToGpuBytesPerSec ?? (constants.gpuToGpuBytesPerSec as number | undefined) ?? 1);
  if (nodes > 1 && linksIn.interNodeBytesPerSec === undefined)
    throw new InputError(`required when the GPUs span ${nodes} nodes`, `${opts.file}: links.interNodeBytesPerSec`);

  const names = new Set<string>();
  const tables: Table[] = spec.tables.map((t, i) => {
    if (names.has(t.name)) throw new InputError(`duplicate table name "${t.name}"`, `${opts.file}: tables[${i}].name`);
    names.add(t.name);
    return {
      index: i,
      name: t.name,
      rows: t.rows,
      dim: t.dim,
      bytesPerElement: t.bytesPerElement,
      rowBytes: t.dim * t.bytesPerElement,
      optimizerBytesPerRow: t.optimizerBytesPerRow,
      pooling: t.pooling,
      distribution: buildDistribution(t.distribution, t.rows, `tables[${i}].distribution`, opts),
      distributionSpec: t.distribution,
    };
  });

  return {
    name: spec.name,
    file: opts.file,
    tables,
    gpus,
    host: {
      memoryBytes: pick(devicesIn.hostMemoryBytes, 'hostMemoryBytes', 'devices.hostMemoryBytes'),
      gatherBytesPerSec: pick(devicesIn.hostGatherBytesPerSec, 'hostGatherBytesPerSec', 'devices.hostGatherBytesPerSec'),
      gatherSecondsPerRow: devicesIn.hostGatherSecondsPerRow ?? (constants.hostGatherSecondsPerRow as number | undefined) ?? 0,
    },
    links: {
      gpuToGpuBytesPerSec: gpuToGpu,
      interNodeBytesPerSec: linksIn.interNodeBytesPerSec ?? gpuToGpu,
      latencySec: linksIn.latencySec ?? (constants.latencySec as number | undefined) ?? 0,
      gpusPerNode,
    },
    training: {
      globalBatch: spec.training.globalBatch,
      overlap: spec.training.overlap,
      indexBytes: spec.training.indexBytes,
      activationBytesPerSample: spec.training.activationBytesPerSample,
      dedupSecondsPerLookup: devicesIn.dedupSecondsPerLookup ?? (constants.dedupSecondsPerLookup as number | undefined) ?? 0,
      dedupLatencySec: devicesIn.dedupLatencySec ?? (constants.dedupLatencySec as number | undefined) ?? 0,
      dedupSecondsPerDistinctRow:
        devicesIn.dedupSecondsPerDistinctRow ?? (constants.dedupSecondsPerDistinctRow as number | undefined) ?? 0,
      candidateBatches: spec.training.candidateBatches ?? [spec.training.globalBatch],
    },
    spec,
  };
}

/** Read, validate and normalise a scenario file. */
export function loadScenario(file: string): Scenario {
  return buildScenario(readJsonFile(file, 'scenario file'), { baseDir: dirname(resolve(file)), file });
}
