import { readFileSync } from 'node:fs';
import type { DeviceProfile } from '../model/schema.js';
import { median, type CalibrationBackend, type DeviceTable, type TimingOptions } from './backend.js';
import { fitBandwidth, fitLatencyGivenBandwidth, fitPooledRowCost, type BandwidthFit, type RowCostPoint } from './fit.js';
import { checkDedup, gatherRows, makeTable, sameFloats } from './kernels.js';
import { sampleIndices, seededRandom } from './rng.js';

/**
 * The calibration sweep: gather, dedup and copy measurements on one backend, every result checked
 * against the cpu reference, then least-squares fits of latency + bytes / bandwidth per family and the
 * device profile's constants (proofs/calibration-fit.md).
 */

export type Skew = { kind: 'uniform' } | { kind: 'zipf'; alpha: number };
export const skewName = (s: Skew): string => (s.kind === 'uniform' ? 'uniform' : `zipf${s.alpha}`);

export interface SweepPlan {
  rowBytes: number[];
  tableBytes: number[];
  skews: Skew[];
  /**
   * Skews measured on the smallest table when there are several (default: all of `skews`). That table is
   * cache-resident, where the skew changes nothing (proofs/calibration-fit.md §7): `--quick` measures it once.
   */
  residentSkews?: Skew[];
  lookups: number[];
  /** length of the index stream that timed calls cycle through */
  streamLookups: number;
  dedupRows: number;
  dedupLookups: number[];
  /** bytes written before each timed dedup call (cold caches, as in an iteration); 0: warm */
  dedupEvictBytes: number;
  copyBytes: number[];
  /** per sample: at least this long (`minSampleSec`); `repeats` is the cold dedup's samples per round */
  timing: TimingOptions;
  /**
   * Cold dedup calls per round for the batches of at most `maxLookups` ids (default: `timing.repeats`): those
   * points carry the dedup law's intercept, whose spread over runs was the largest of any constant.
   */
  dedupSmallBatches?: { maxLookups: number; repeats: number };
  /**
   * Interleaved rounds: every measurement is sampled once per round, and a measurement's time is the median
   * over the rounds. A round visits the groups (one table's gathers and updates, the dedups, the copies) in a
   * shuffled order, each group contiguously with its measurements shuffled: drift of a shared machine then hits
   * every row size alike instead of tilting the per-row against the per-byte term, and a table's gathers start
   * from that table's cache state, not from whatever a 512 MiB copy left (proofs/calibration-fit.md §8).
   */
  rounds: number;
  seed: number;
}

/** Last-level cache size from sysfs (Linux), or 32 MiB when unknown. */
export function lastLevelCacheBytes(): number {
  for (const index of [3, 2]) {
    try {
      const text = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${index}/size`, 'utf8').trim();
      const m = /^(\d+)([KMG]?)/.exec(text);
      if (m) return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!]!;
    } catch {
      // not Linux or no sysfs: fall through to the default
    }
  }
  return 32 * 1024 ** 2;
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** The most `--quick` writes to evict the caches before a cold dedup call. */
export const QUICK_EVICT_BYTES = 256 * MiB;

/**
 * Copy sizes: three small ones for the latency (64 KiB to 1 MiB) and five from top / 16 to top. The three from
 * top / 4 up carry the bandwidth past the caches (COPY_FIT_FRACTION), so each of the two fits always has three
 * points whatever the cache size; top / 16 and top / 8 give the receive buffer's copy bandwidth at the sizes of
 * its outputs (proofs/calibration-fit.md §4, §7a).
 */
export function copySizes(topBytes: number): number[] {
  const top = Math.max(16 * MiB, Math.floor(topBytes / 4096) * 4096);
  const sizes = [64 * 1024, 256 * 1024, MiB, top / 16, top / 8, top / 4, top / 2, top].map((b) => Math.floor(b / 4096) * 4096);
  return [...new Set(sizes)].sort((x, y) => x - y);
}

/**
 * The sizes measured. Tables go from cache-resident (256 KiB) to 16x the last-level cache (far enough past it
 * that the page walks of random accesses miss too, as in tables of many GB: proofs/calibration-fit.md §7),
 * at most 1 GiB (512 MiB with `quick`) and capped by the device's largest buffer. Row sizes span 64 B to 2 KiB (a factor 32), which
 * separates the per-row from the per-byte term (§8). `quick` keeps the extremes, fewer points and fifteen rounds.
 */
export function sweepPlan(opts: { quick: boolean; llcBytes: number; maxBufferBytes: number; seed?: number }): SweepPlan {
  const cap = (b: number) => Math.min(b, opts.maxBufferBytes);
  // quick stops at 512 MiB: a virtual machine can report its host's whole last-level cache (480 MiB on the
  // Intel Xeon of issue 14), which made the quick sweep gather from and copy 1 GiB buffers (50 s, target 30 s);
  // the full sweep keeps 1 GiB
  const ceiling = opts.quick ? 512 * MiB : GiB;
  const big = cap(Math.min(16 * opts.llcBytes, ceiling));
  const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  const copyTop = cap(Math.min(Math.max(32 * MiB, 4 * opts.llcBytes), ceiling));
  if (opts.quick)
    return {
      rowBytes: [64, 128, 512, 2048],
      tableBytes: uniq([cap(256 * 1024), big]),
      skews: [{ kind: 'uniform' }, { kind: 'zipf', alpha: 1.05 }],
      residentSkews: [{ kind: 'uniform' }],
      lookups: [1024, 8192, 32768],
      streamLookups: 1 << 20,
      dedupRows: 1 << 20,
      // the 2048-id batches pin the dedup law's intercept (its per-call latency), the larger ones its slope; no
      // 512-id batch: the intercept read off it spread 14% over three quick runs, off the 2048-id ones 5.5%
      // (proofs/calibration-fit.md §8)
      dedupLookups: [2048, 16384, 131072],
      // quick evicts with at most 256 MiB: the cold dedup's scratch (8 B per row, 8 MiB here) and stream are
      // what must leave the caches, and writing 2 x 480 MiB (a VM's reported L3) before each cold call was
      // half of the quick run (proofs/calibration-fit.md §4)
      dedupEvictBytes: Math.min(2 * opts.llcBytes, QUICK_EVICT_BYTES),
      copyBytes: copySizes(copyTop),
      // one cold dedup call per round (after a read pass): the rounds are its repeats; nine for the small
      // batches that pin the intercept (their median per round, then the median over rounds): with three, the
      // intercept spread 14.8% over three quick runs on the AMD EPYC here (12-04), with nine 2.0%, for about 1 s
      timing: { repeats: 1, minSampleSec: 0.008 },
      dedupSmallBatches: { maxLookups: DEDUP_LATENCY_MAX_LOOKUPS, repeats: 9 },
      rounds: 15,
      seed: opts.seed ?? 1,
    };
  return {
    rowBytes: [64, 128, 256, 512, 1024, 2048],
    tableBytes: uniq([cap(256 * 1024), cap(4 * MiB), cap(opts.llcBytes), big]),
    skews: [{ kind: 'uniform' }, { kind: 'zipf', alpha: 0.8 }, { kind: 'zipf', alpha: 1.05 }],
    lookups: [1024, 4096, 16384, 65536, 262144],
    streamLookups: 1 << 21,
    dedupRows: 1 << 22,
    dedupLookups: [2048, 16384, 65536, 262144],
    dedupEvictBytes: 2 * opts.llcBytes,
    copyBytes: copySizes(copyTop),
    timing: { repeats: 3, minSampleSec: 0.01 },
    dedupSmallBatches: { maxLookups: DEDUP_LATENCY_MAX_LOOKUPS, repeats: 5 },
    rounds: 15,
    seed: opts.seed ?? 1,
  };
}

export interface GatherMeasurement {
  family: 'gather';
  rowBytes: number;
  tableBytes: number;
  rows: number;
  skew: string;
  lookups: number;
  bytes: number;
  seconds: number;
  bytesPerSec: number;
  correct: boolean;
  /** seconds per call measured in each round (round order); `seconds` is their median */
  roundSeconds?: number[];
}
export interface DedupMeasurement {
  family: 'dedup';
  rows: number;
  skew: string;
  lookups: number;
  distinct: number;
  seconds: number;
  lookupsPerSec: number;
  correct: boolean;
  roundSeconds?: number[];
}
export type CopyDirection = 'hostToDevice' | 'deviceToHost' | 'deviceToDevice';
export interface CopyMeasurement {
  family: 'copy';
  direction: CopyDirection;
  bytes: number;
  seconds: number;
  bytesPerSec: number;
  correct: boolean;
  roundSeconds?: number[];
}
/**
 * The optimizer update (kernels.ts updateRows) of `lookups` rows: one read-modify-write access each; the same
 * fields as a gather, with `bytes` = bytes read and written (2 lookups rowBytes).
 */
export interface UpdateMeasurement extends Omit<GatherMeasurement, 'family'> {
  family: 'update';
}
export type Measurement = GatherMeasurement | DedupMeasurement | CopyMeasurement | UpdateMeasurement;

export interface Progress {
  (done: number, total: number, label: string): void;
}

/** The skews measured on a table of `tableBytes` (the smallest of several may take fewer: `residentSkews`). */
export function skewsFor(plan: Pick<SweepPlan, 'tableBytes' | 'skews' | 'residentSkews'>, tableBytes: number): Skew[] {
  return plan.residentSkews && plan.tableBytes.length > 1 && tableBytes === Math.min(...plan.tableBytes) ? plan.residentSkews : plan.skews;
}

/** Count the steps of a sweep (for a progress bar): every measurement once per round. */
export function sweepSteps(plan: SweepPlan, copyDirections: readonly CopyDirection[], withUpdates = false): number {
  const bigTables = plan.tableBytes.length > 0 ? 1 : 0;
  const lookupCount = plan.rowBytes.reduce((n, r) => n + lookupsFor(plan, r).length, 0);
  const tableSkews = plan.tableBytes.reduce((n, b) => n + skewsFor(plan, b).length, 0);
  return (
    plan.rounds *
    (tableSkews * lookupCount +
      (withUpdates ? bigTables * plan.skews.length * lookupCount : 0) +
      plan.skews.length * plan.dedupLookups.length +
      copyDirections.length * plan.copyBytes.length)
  );
}

/**
 * The lookups measured at a row size: the plan's lookups for rows up to 256 B, scaled down in proportion above
 * (at least 64), so one call moves at most the bytes of 256-byte rows and a sample stays a few calls long. The
 * fit needs rows and bytes to vary independently, which the row sizes give; the lookup counts per row size
 * need not be the same (proofs/calibration-fit.md §8).
 */
export function lookupsFor(plan: Pick<SweepPlan, 'lookups'>, rowBytes: number): number[] {
  const scale = Math.min(1, 256 / rowBytes);
  return [...new Set(plan.lookups.map((k) => Math.max(64, Math.round(k * scale))))];
}

/** One measurement of the sweep: how to take one round's sample, and what to record. */
interface Task {
  /** one round's seconds per call; the first call also returns the correctness check */
  sample(timing: TimingOptions, first: boolean): Promise<{ seconds: number; correct?: boolean }>;
  label: string;
  /** the measurement, at `seconds` (the median of `roundSeconds`) */
  record(roundSeconds: number[], seconds: number, correct: boolean): Measurement;
  /** the dedup's cold single calls: sampled `coldRepeats` times per round, not by an inner count */
  cold?: boolean;
  coldRepeats?: number;
  /** tasks of one group share memory (one table's views and its updates): a round visits a group contiguously */
  group: string;
}

/** A seeded shuffle (Fisher-Yates) of the task order of one round. */
function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** A round's order: the groups in a shuffled order, each visited contiguously, its tasks shuffled. */
function groupedOrder(tasks: readonly Task[], rand: () => number): number[] {
  const groups = new Map<string, number[]>();
  tasks.forEach((t, i) => {
    const group = groups.get(t.group);
    if (group) group.push(i);
    else groups.set(t.group, [i]);
  });
  return shuffled([...groups.values()], rand).flatMap((g) => shuffled(g, rand));
}

/**
 * Run the sweep on a backend. Every kernel result of the first round is compared with the cpu reference. The
 * first round visits the measurements in order (gathers before the updates that change the tables' values)
 * and finds each one's inner call count; the other rounds reuse that count and visit the measurements in a
 * seeded shuffled order (proofs/calibration-fit.md §8).
 */
export async function runSweep(
  backend: CalibrationBackend,
  plan: SweepPlan,
  opts: { copyDirections?: readonly CopyDirection[]; onProgress?: Progress } = {},
): Promise<Measurement[]> {
  const directions = opts.copyDirections ?? (['hostToDevice', 'deviceToHost', 'deviceToDevice'] as const);
  const total = sweepSteps(plan, directions, backend.update !== undefined);
  const largestTable = Math.max(...plan.tableBytes);
  let done = 0;
  const step = (label: string) => opts.onProgress?.(++done, total, label);
  let seed = plan.seed;
  const gathers: Task[] = [];
  const updates: Task[] = [];
  const tables: DeviceTable[] = [];
  try {
    for (const tableBytes of plan.tableBytes) {
      // One host table per size, viewed at every row size (makeTable's entries are distinct by position, so
      // a wrong row is caught at any row size): one fill instead of one per row size.
      const hostAll = makeTable(Math.floor(tableBytes / 4), 1);
      for (const rowBytes of plan.rowBytes) {
        const dim = rowBytes / 4;
        const rows = Math.max(1, Math.floor(tableBytes / rowBytes));
        const host = hostAll.subarray(0, rows * dim);
        const table = await backend.uploadTable(host, rows, dim);
        tables.push(table);
        for (const skew of skewsFor(plan, tableBytes)) {
          // One index stream per (table, skew), long enough that cycling through it touches more rows than
          // the caches hold (see CalibrationBackend.gather).
          const stream = sampleIndices(rows, Math.max(plan.streamLookups, 2 * Math.max(...plan.lookups)), skew, seed++);
          const where = `${rowBytes} B rows, ${(rows * rowBytes / MiB).toFixed(1)} MiB table, ${skewName(skew)}`;
          for (const lookups of lookupsFor(plan, rowBytes)) {
            const bytes = lookups * rowBytes;
            gathers.push({
              group: `table ${tableBytes}`,
              label: `gather ${where}, ${lookups} lookups`,
              async sample(timing, first) {
                const r = await backend.gather(table, stream, lookups, timing);
                return { seconds: r.seconds, correct: first ? sameFloats(r.out, gatherRows(host, dim, stream.subarray(0, lookups))) : undefined };
              },
              record: (roundSeconds, seconds, correct) => ({ family: 'gather', rowBytes, tableBytes: rows * rowBytes, rows, skew: skewName(skew), lookups, bytes, seconds, bytesPerSec: bytes / seconds, correct, roundSeconds }),
            });
            // The optimizer update, on the largest table only (random access past the caches: the per-row
            // fits, proofs/calibration-fit.md §6).
            if (backend.update && tableBytes === largestTable) {
              const update = backend.update.bind(backend);
              const ub = 2 * bytes;
              updates.push({
                group: `table ${tableBytes}`,
                label: `update ${where}, ${lookups} rows`,
                async sample(timing) {
                  const r = await update(table, stream, lookups, timing);
                  return { seconds: r.seconds, correct: r.ok };
                },
                record: (roundSeconds, seconds, correct) => ({ family: 'update', rowBytes, tableBytes: rows * rowBytes, rows, skew: skewName(skew), lookups, bytes: ub, seconds, bytesPerSec: ub / seconds, correct, roundSeconds }),
              });
            }
          }
        }
      }
    }
    const others: Task[] = [];
    for (const skew of plan.skews) {
      const stream = plan.dedupLookups.length ? sampleIndices(plan.dedupRows, Math.max(plan.streamLookups, 2 * Math.max(...plan.dedupLookups)), skew, seed++) : new Uint32Array(0);
      for (const lookups of plan.dedupLookups) {
        const idx = stream.subarray(0, lookups);
        let distinct = 0;
        others.push({
          group: 'dedup',
          label: `dedup ${skewName(skew)}, ${lookups} lookups`,
          cold: plan.dedupEvictBytes > 0,
          coldRepeats: plan.dedupSmallBatches && lookups <= plan.dedupSmallBatches.maxLookups ? plan.dedupSmallBatches.repeats : plan.timing.repeats,
          async sample(timing, first) {
            const r = await backend.dedup(stream, lookups, plan.dedupRows, { ...timing, evictBytes: plan.dedupEvictBytes });
            if (first) distinct = r.unique.length;
            return { seconds: r.seconds, correct: first ? checkDedup(idx, r.unique, r.inverse) : undefined };
          },
          record: (roundSeconds, seconds, correct) => ({ family: 'dedup', rows: plan.dedupRows, skew: skewName(skew), lookups, distinct, seconds, lookupsPerSec: lookups / seconds, correct, roundSeconds }),
        });
      }
    }
    // largest copy first: round 0 then allocates the copy buffers once (on a VM a first touch of 1 GiB of
    // fresh pages took seconds when every larger size allocated anew)
    const copyOrder = [...plan.copyBytes].sort((a, b) => b - a);
    for (const direction of directions)
      for (const bytes of copyOrder)
        others.push({
          group: 'copy',
          label: `copy ${direction} ${(bytes / MiB).toFixed(2)} MiB`,
          async sample(timing) {
            const r = await backend.copy(bytes, direction, timing);
            return { seconds: r.seconds, correct: r.ok };
          },
          record: (roundSeconds, seconds, correct) => ({ family: 'copy', direction, bytes, seconds, bytesPerSec: bytes / seconds, correct, roundSeconds }),
        });

    const tasks = [...gathers, ...updates, ...others];
    const rounds = tasks.map(() => [] as number[]);
    const correct = tasks.map(() => true);
    const inner = tasks.map(() => 1);
    const rand = seededRandom(plan.seed ^ 0x5eed);
    const coldTiming = (round: number, repeats: number): TimingOptions => ({ repeats, minSampleSec: 0, skipWarmup: round > 0 });
    for (let round = 0; round < Math.max(1, plan.rounds); round++) {
      const order = round === 0 ? tasks.map((_, i) => i) : groupedOrder(tasks, rand);
      for (const i of order) {
        const task = tasks[i]!;
        const timing: TimingOptions = task.cold
          ? coldTiming(round, task.coldRepeats ?? plan.timing.repeats)
          : round === 0
            ? { repeats: 1, minSampleSec: plan.timing.minSampleSec }
            : { repeats: 1, minSampleSec: plan.timing.minSampleSec, inner: inner[i], skipWarmup: true };
        const r = await task.sample(timing, round === 0);
        if (round === 0) {
          correct[i] = r.correct !== false;
          // the call count that makes one sample last minSampleSec, found once (the search of timeKernel)
          inner[i] = Math.max(1, Math.ceil(plan.timing.minSampleSec / Math.max(r.seconds, 1e-9)));
        } else if (r.correct === false) correct[i] = false;
        rounds[i]!.push(r.seconds);
        step(`${task.label} (round ${round + 1} of ${plan.rounds})`);
      }
    }
    return tasks.map((t, i) => t.record(rounds[i]!, median(rounds[i]!), correct[i]!));
  } finally {
    for (const t of tables) backend.freeTable(t);
  }
}

export interface FamilyFit extends BandwidthFit {
  family: string;
  /** the per-byte term sits on its physical lower bound (the copy bandwidth): `bytesPerSec` is that bound */
  bytesPerSecAtBound?: boolean;
  /** per-tier fits (§6): fixed seconds per random row access */
  secondsPerRow?: number;
  /** the fitted bandwidth as a fraction of the device-to-device copy bandwidth */
  efficiency?: number;
}

export interface CalibrationResult {
  profile: DeviceProfile & {
    fits: Record<string, FamilyFit>;
    families: FamilyFit[];
    gatherEfficiency: number;
    /** bootstrap confidence intervals over rounds (absent for measurements without rounds) */
    confidence?: ProfileConfidence;
    /** constants that are stated bounds (per-byte term at the copy bandwidth), not fitted values */
    boundedConstants: string[];
    measurements: Measurement[];
    mapping: Record<string, string>;
    incorrect: number;
  };
}

const where = <T extends Measurement>(ms: readonly Measurement[], f: (m: Measurement) => m is T) => ms.filter(f);
const isGather = (m: Measurement): m is GatherMeasurement => m.family === 'gather';
const isDedup = (m: Measurement): m is DedupMeasurement => m.family === 'dedup';
const isCopy = (m: Measurement): m is CopyMeasurement => m.family === 'copy';
const isUpdate = (m: Measurement): m is UpdateMeasurement => m.family === 'update';

/** Relative weighting: every point's error counts as a fraction of its time (proofs/calibration-fit.md §3). */
const RELATIVE = { weighting: 'relative' } as const;

/** How each backend's measurements map to the model's constants (written into the profile). */
export function constantMapping(backend: string): Record<string, string> {
  if (backend === 'cpu')
    return {
      gpuGatherBytesPerSec: 'per-byte term of gathers and updates of Zipf-skewed rows, all row sizes, largest table (the rows a cache serves live in "device" = host memory)',
      gpuGatherSecondsPerRow: 'per-row term of the same fit',
      gpuBufferGatherBytesPerSec: 'per-byte term of gathers on the smallest (cache-resident) table, all skews (pooled reads of rows just fetched into the receive buffer)',
      gpuBufferGatherSecondsPerRow: 'per-row term of the same fit',
      hostGatherBytesPerSec: 'per-byte term of gathers and updates of uniform rows, all row sizes, largest table (the cold rows the host serves)',
      hostGatherSecondsPerRow: 'per-row term of the same fit',
      hostToGpuBytesPerSec: 'memory copy between two host buffers (the host-to-device link of a cpu "device")',
      gpuToGpuBytesPerSec: 'memory copy between two host buffers (one memory holds every "device")',
      latencySec: 'intercept of the copy fit',
      dedupSecondsPerLookup: 'slope of cold dedup seconds against lookups, batches of more than 2048 ids',
      dedupLatencySec: 'intercept given that slope, from batches of at most 2048 ids (per call: one per table and iteration)',
    };
  return {
    gpuGatherBytesPerSec: 'per-byte term of the device gather, Zipf-skewed lookups, all row sizes, largest table',
    gpuGatherSecondsPerRow: 'per-row term of the same fit',
    gpuBufferGatherBytesPerSec: 'per-byte term of the device gather on the smallest (cache-resident) table, all skews (pooled reads of the receive buffer)',
    gpuBufferGatherSecondsPerRow: 'per-row term of the same fit',
    hostGatherBytesPerSec: 'per-byte term of the cpu gather of uniform lookups, all row sizes, largest table, measured on the host',
    hostGatherSecondsPerRow: 'per-row term of the same fit',
    hostToGpuBytesPerSec: 'host-to-device buffer writes',
    latencySec: 'intercept of the host-to-device copy fit',
    dedupSecondsPerLookup: 'slope of device dedup seconds against lookups',
    dedupLatencySec: 'intercept of the same fit (per call: one per table and iteration)',
    gpuToGpuBytesPerSec: 'not measured (one device; use bench/calibrate_torch.py for NCCL links)',
  };
}

/** A constant's confidence interval from the bootstrap over rounds (proofs/calibration-fit.md §8). */
export interface ConstantInterval {
  low: number;
  high: number;
  /** (high - low) / the fitted value: the relative width */
  relativeWidth: number;
}

export interface ProfileConfidence {
  /** the two-sided level, e.g. 0.9 for the 5th to 95th percentile */
  level: number;
  /** bootstrap resamples that gave a fit (out of those drawn) */
  resamples: number;
  rounds: number;
  intervals: Record<string, ConstantInterval>;
  /** constants whose per-byte term sits on its physical bound: stated bounds, not identified by the data */
  atBound: string[];
}

export interface FitProfileOptions {
  hostGather?: GatherMeasurement[];
  /** the host memory's copy bandwidth when the host gathers were measured on the cpu (device backends) */
  hostCopyBytesPerSec?: number;
  date?: Date;
  /** bootstrap resamples over rounds (default 200; 0: no confidence intervals) */
  resamples?: number;
  confidenceLevel?: number;
  seed?: number;
}

/**
 * Copy sizes at or above this fraction of the largest are past the caches: the bandwidth fit's points (§4). With
 * top = max(32 MiB, 4 x LLC), top / 4 is at least the LLC, so source and destination (2 x bytes) are at least twice
 * it; at 1/16 the fit took top / 16 and top / 8 too, copies of LLC / 4 and LLC / 2 that ran from cache (60.8 and
 * 30.3 GB/s against 20-22 GB/s from 32 MiB up on a 32 MiB L3 here), which put the fitted bandwidth at 35-41 GB/s
 * and spread it 14% over three runs.
 */
export const COPY_FIT_FRACTION = 1 / 4;
/**
 * Dedup batches of at most this many ids carry the dedup law's intercept, the larger ones its slope (§8). The
 * sweeps' smallest batch is this size, so the law holds from 2048 ids per call up: below it the cold time grows
 * faster per id than the large batches' slope, an intercept read off 512-id calls varied between processes by
 * 14% against 5.5% off 2048-id ones, and the law overestimates a call of fewer ids.
 */
export const DEDUP_LATENCY_MAX_LOOKUPS = 2048;
/** Copies at most this large carry the latency fit (§4). */
const LATENCY_FIT_MAX_BYTES = MiB;

/**
 * One copy law from copy measurements: the bandwidth fitted on the transfers past the caches (at least 1/4 of
 * the largest), the latency from the small ones given that bandwidth (proofs/calibration-fit.md §4); undefined
 * with fewer than two large transfers.
 */
export function fitCopyLaw(copies: readonly CopyMeasurement[], family: string): FamilyFit | undefined {
  const top = Math.max(0, ...copies.map((c) => c.bytes));
  const big = copies.filter((c) => c.bytes >= top * COPY_FIT_FRACTION);
  if (big.length < 2) return undefined;
  const f = fitBandwidth(big, RELATIVE);
  const small = copies.filter((c) => c.bytes <= LATENCY_FIT_MAX_BYTES);
  const latencySec = small.length >= 2 ? fitLatencyGivenBandwidth(small, f.bytesPerSec) : f.latencySec;
  return { family, ...f, latencySec };
}

interface FittedConstants {
  constants: DeviceProfile['constants'];
  fits: Record<string, FamilyFit>;
  tiers: FamilyFit[];
  gatherEfficiency: number;
  atBound: string[];
}

/**
 * The constants from one set of measurements (each at its median over the rounds): per-tier row-cost fits with
 * the per-byte term bounded below by the copy bandwidth, copy bandwidths past the caches with the latency from
 * small copies, and the dedup law (proofs/calibration-fit.md §4, §6, §8). Pure.
 */
function fitConstants(backendName: string, measurements: readonly Measurement[], opts: FitProfileOptions): FittedConstants {
  const gathers = where(measurements, isGather);
  const dedups = where(measurements, isDedup);
  const copies = where(measurements, isCopy);
  const updates = where(measurements, isUpdate);

  // the copies that measure one direction: on the cpu backend all of them (one operation, see copyFit)
  const copiesOf = (dir: CopyDirection) => (backendName === 'cpu' ? copies : copies.filter((c) => c.direction === dir));
  const copyFit = (dir: CopyDirection): FamilyFit | undefined => {
    // The copy bandwidth is the physical limit of memory traffic: fit it on transfers past the caches, where
    // the linear law holds; smaller copies run from cache. The latency is what small copies add (§4). On the
    // cpu backend the three directions are one operation (a memory copy between two host buffers), so their
    // measurements are pooled into one law (§8: three times the samples of one memory's copy bandwidth).
    const ms = copiesOf(dir);
    return ms.length ? fitCopyLaw(ms, `copy/${dir}`) : undefined;
  };
  const h2d = copyFit('hostToDevice');
  const d2h = copyFit('deviceToHost');
  const d2d = copyFit('deviceToDevice');
  const copyLimit = d2d?.bytesPerSec ?? h2d?.bytesPerSec;
  // The fastest any copy moved bytes (a cache-resident one): the bound for the receive buffer's gathers, which
  // run from cache too.
  const fastestCopy = copies.length ? Math.max(...copies.map((c) => c.bytesPerSec)) : undefined;
  /** without any copy measured, the schema's ceiling 1e15 B/s is the bound */
  const lowerSecondsPerByte = (bw: number | undefined) => 1 / Math.min(bw ?? 1e15, 1e15);

  const largest = <T extends GatherMeasurement | UpdateMeasurement>(ms: T[]): T[] => {
    const top = Math.max(...ms.map((m) => m.tableBytes));
    return ms.filter((m) => m.tableBytes === top);
  };
  const rowPoints = (ms: Array<GatherMeasurement | UpdateMeasurement>): RowCostPoint[] => ms.map((m) => ({ rows: m.lookups, bytes: m.bytes, seconds: m.seconds }));
  const tierFit = (family: string, ms: Array<GatherMeasurement | UpdateMeasurement>, boundBytesPerSec: number | undefined, fixedSecondsPerByte = false) => {
    // gathers and updates are fitted each on its own, then one law to both (§6a)
    const byFamily = ['gather', 'update'].map((k) => rowPoints(ms.filter((m) => m.family === k))).filter((pts) => pts.length > 0);
    const f = fitPooledRowCost(byFamily, { ...RELATIVE, minSecondsPerByte: lowerSecondsPerByte(boundBytesPerSec), fixedSecondsPerByte });
    const fit: FamilyFit = {
      family,
      latencySec: f.latencySec,
      secondsPerRow: f.secondsPerRow,
      bytesPerSec: f.bytesPerSec,
      bytesPerSecAtBound: f.bytesPerSecAtBound,
      rSquared: f.rSquared,
      worstRelativeResidual: f.worstRelativeResidual,
      points: f.points,
    };
    return { fit, law: f };
  };
  const bigGathers = largest(gathers);
  const bigUpdates = updates.length ? largest(updates) : [];
  const tierPoints = (ms: Array<GatherMeasurement | UpdateMeasurement>, pick: (skew: string) => boolean) => {
    const chosen = ms.filter((m) => pick(m.skew));
    return chosen.length >= 3 ? chosen : ms;
  };
  // Cached rows are the hot ones (Zipf); the host serves the cold ones (uniform): proofs/calibration-fit.md §4.
  const gpu = tierFit('gather+update/largest-table/skewed', tierPoints([...bigGathers, ...bigUpdates], (k) => k !== 'uniform'), copyLimit);
  const hostMeasured = opts.hostGather && opts.hostGather.length > 0;
  const host = tierFit(
    hostMeasured ? 'hostGather/largest-table/uniform' : 'gather+update/largest-table/uniform',
    tierPoints(hostMeasured ? largest(opts.hostGather!) : [...bigGathers, ...bigUpdates], (k) => k === 'uniform'),
    hostMeasured ? opts.hostCopyBytesPerSec : copyLimit,
  );
  // The receive buffer (rows fetched from the host this iteration, pooled right after: cost-model.md §1) is a
  // small buffer that was just written: its law is the gathers' law on the smallest, cache-resident table, all
  // skews (in a cache-resident table skew changes nothing): proofs/calibration-fit.md §7.
  const smallest = Math.min(...gathers.map((m) => m.tableBytes));
  const bufferPoints = smallest < Math.max(...gathers.map((m) => m.tableBytes)) ? gathers.filter((m) => m.tableBytes === smallest) : [];
  // Its per-byte term is the copy bandwidth at the size of the gathers' output (the copy sweep measures it; the
  // source is cache-resident, the output is what costs bytes): fitting it jointly with the per-row term left it
  // to the noise of the largest rows alone (6.3e10 to 1.0e11 B/s over eight quick runs here, 35% apart on three
  // settled ones), proofs/calibration-fit.md §7a. Without a copy of the device's memory measured, the joint fit.
  const bufferCopyBytesPerSec = copyBandwidthAtOutputSize(copiesOf('deviceToDevice'), bufferPoints);
  const buffer =
    bufferPoints.length < 3
      ? undefined
      : bufferCopyBytesPerSec !== undefined
        ? tierFit('gather/smallest-table/all-skews/per-byte-from-copy', bufferPoints, bufferCopyBytesPerSec, true)
        : tierFit('gather/smallest-table/all-skews', bufferPoints, fastestCopy);

  // dedup: seconds = latency + lookups * secondsPerLookup, both >= 0. With at least two batches above
  // DEDUP_LATENCY_MAX_LOOKUPS the slope is fitted on those and the intercept on the small ones given the slope
  // (as the copy law, §4): the small cold calls vary between processes by more than the large ones (§8), and a
  // joint fit passed that variation into the slope (an intercept below zero refits through the origin, §2).
  let dedupLaw: BandwidthFit | undefined;
  if (dedups.length >= 2) {
    const pts = dedups.map((d) => ({ bytes: d.lookups, seconds: d.seconds }));
    const large = pts.filter((p) => p.bytes > DEDUP_LATENCY_MAX_LOOKUPS);
    const small = pts.filter((p) => p.bytes <= DEDUP_LATENCY_MAX_LOOKUPS);
    const split = small.length >= 1 && new Set(large.map((p) => p.bytes)).size >= 2;
    try {
      const law = fitBandwidth(split ? large : pts, RELATIVE);
      dedupLaw = split ? { ...law, latencySec: fitLatencyGivenBandwidth(small, law.bytesPerSec) } : law;
    } catch {
      throw new RangeError('calibration: dedup time does not grow with the lookups in these measurements (a machine too busy to measure); run again on an idle machine');
    }
  }
  const dedup: FamilyFit | undefined = dedupLaw && { family: 'dedup', ...dedupLaw };

  const constants: DeviceProfile['constants'] = {
    gpuGatherBytesPerSec: gpu.law.bytesPerSec,
    gpuGatherSecondsPerRow: gpu.law.secondsPerRow,
    hostGatherBytesPerSec: host.law.bytesPerSec,
    hostGatherSecondsPerRow: host.law.secondsPerRow,
  };
  const atBound: string[] = [];
  if (gpu.law.bytesPerSecAtBound) atBound.push('gpuGatherBytesPerSec');
  if (host.law.bytesPerSecAtBound) atBound.push('hostGatherBytesPerSec');
  if (buffer) {
    constants.gpuBufferGatherBytesPerSec = buffer.law.bytesPerSec;
    constants.gpuBufferGatherSecondsPerRow = buffer.law.secondsPerRow;
    if (buffer.law.bytesPerSecAtBound) atBound.push('gpuBufferGatherBytesPerSec');
  }
  if (h2d) {
    constants.hostToGpuBytesPerSec = h2d.bytesPerSec;
    constants.latencySec = h2d.latencySec;
  }
  if (d2h) constants.gpuToHostBytesPerSec = d2h.bytesPerSec;
  if (backendName === 'cpu' && d2d) constants.gpuToGpuBytesPerSec = d2d.bytesPerSec;
  if (d2d) constants.deviceCopyBytesPerSec = d2d.bytesPerSec;
  if (dedupLaw) {
    constants.dedupSecondsPerLookup = 1 / dedupLaw.bytesPerSec;
    // the intercept: a fixed cost per dedup call (one per table and iteration), cold start or kernel launch
    constants.dedupLatencySec = dedupLaw.latencySec;
  }
  // Gather efficiency: the fitted law's throughput for the largest row size measured (per-row cost included),
  // as a fraction of the copy bandwidth.
  const topRow = Math.max(...bigGathers.map((m) => m.rowBytes));
  const effectiveGather = topRow / (gpu.law.secondsPerRow + topRow / gpu.law.bytesPerSec);
  const gatherEfficiency = copyLimit ? effectiveGather / copyLimit : 0;
  const fits: Record<string, FamilyFit> = {
    gpuGather: gpu.fit,
    hostGather: host.fit,
    ...(buffer ? { bufferGather: buffer.fit } : {}),
    ...(dedup ? { dedup } : {}),
    ...(h2d ? { hostToDevice: h2d } : {}),
    ...(d2h ? { deviceToHost: d2h } : {}),
    ...(d2d ? { deviceToDevice: d2d } : {}),
  };
  return { constants, fits, tiers: [gpu.fit, host.fit, ...(dedup ? [dedup] : []), ...(buffer ? [buffer.fit] : []), ...[h2d, d2h, d2d].filter((f): f is FamilyFit => f !== undefined)], gatherEfficiency, atBound };
}

/**
 * The bandwidth of the copy whose size is nearest (in log scale) the median output bytes of the given gathers
 * (the median in log scale: the geometric mean of the middle two for an even count), or undefined without
 * copies or gathers: the per-byte cost of a gather from a cache-resident buffer (proofs/calibration-fit.md §7a).
 */
export function copyBandwidthAtOutputSize(copies: readonly CopyMeasurement[], gathers: readonly GatherMeasurement[]): number | undefined {
  if (copies.length === 0 || gathers.length === 0) return undefined;
  const medianOutput = Math.exp(median(gathers.map((g) => Math.log(g.bytes))));
  const distance = (c: CopyMeasurement) => Math.abs(Math.log(c.bytes / medianOutput));
  // several copies of one size (the cpu backend pools its three directions): the median of their bandwidths
  const nearest = Math.min(...copies.map(distance));
  return median(copies.filter((c) => distance(c) === nearest).map((c) => c.bytesPerSec));
}

/**
 * Percentile of a sorted array (linear interpolation), non-decreasing in q and exact where neighbours are equal:
 * the form a (1 - f) + b f put a 90% interval's low end one ulp above its high end when every resample gave the
 * same constant (a receive-buffer bandwidth fixed by the copy), so it is a + f (b - a), clamped to [a, b].
 */
export function percentile(sorted: readonly number[], q: number): number {
  const x = q * (sorted.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  if (i + 1 >= sorted.length) return sorted[i]!;
  const a = sorted[i]!;
  const b = sorted[i + 1]!;
  return Math.min(b, Math.max(a, a + f * (b - a)));
}

/**
 * Bootstrap over rounds (proofs/calibration-fit.md §8): draw `rounds` round indices with replacement, take every
 * measurement's median over the drawn rounds (the same draw for all, so what one round did to the machine stays
 * together), refit, and read the constants' percentiles.
 */
function bootstrapConstants(
  backendName: string,
  measurements: readonly Measurement[],
  opts: FitProfileOptions,
  fitted: DeviceProfile['constants'],
): ProfileConfidence | undefined {
  const resamples = opts.resamples ?? 200;
  const all = [...measurements, ...(opts.hostGather ?? [])];
  const rounds = Math.min(...all.map((m) => m.roundSeconds?.length ?? 0));
  if (resamples <= 0 || rounds < 3) return undefined;
  const rand = seededRandom(opts.seed ?? 7);
  const level = opts.confidenceLevel ?? 0.9;
  const draws = new Map<string, number[]>();
  let ok = 0;
  for (let b = 0; b < resamples; b++) {
    const pick = Array.from({ length: rounds }, () => Math.floor(rand() * rounds));
    const redo = <T extends Measurement>(m: T): T => ({ ...m, seconds: median(pick.map((r) => m.roundSeconds![r]!)) });
    try {
      const f = fitConstants(backendName, measurements.map(redo), { ...opts, hostGather: opts.hostGather?.map(redo) });
      for (const [k, v] of Object.entries(f.constants)) if (typeof v === 'number' && Number.isFinite(v)) draws.set(k, [...(draws.get(k) ?? []), v]);
      ok++;
    } catch {
      // a resample whose fit refuses (e.g. collinear): not counted
    }
  }
  const intervals: Record<string, ConstantInterval> = {};
  for (const [k, v] of draws) {
    const sorted = [...v].sort((x, y) => x - y);
    const low = percentile(sorted, (1 - level) / 2);
    const high = percentile(sorted, 1 - (1 - level) / 2);
    const value = fitted[k];
    intervals[k] = { low, high, relativeWidth: typeof value === 'number' && value > 0 ? (high - low) / value : 0 };
  }
  return { level, resamples: ok, rounds, intervals, atBound: [] };
}

/**
 * Fit the constants. `hostGather` holds measurements of the host (cpu) gather when the backend is a
 * real device; on the cpu backend the host gather is the backend's own gather. With measurements taken in
 * rounds (`roundSeconds`), the profile carries bootstrap confidence intervals of every constant.
 */
export function fitProfile(backend: { name: string; device: string }, measurements: Measurement[], opts: FitProfileOptions = {}): CalibrationResult {
  const gathers = where(measurements, isGather);
  const updates = where(measurements, isUpdate);
  const fitted = fitConstants(backend.name, measurements, opts);
  const copyLimit = fitted.fits.deviceToDevice?.bytesPerSec ?? fitted.fits.hostToDevice?.bytesPerSec;
  const families: FamilyFit[] = [];
  const key = (m: GatherMeasurement) => `gather/${m.rowBytes}B/${m.tableBytes}B/${m.skew}`;
  const groups = new Map<string, GatherMeasurement[]>();
  for (const m of gathers) groups.set(key(m), [...(groups.get(key(m)) ?? []), m]);
  const groupFit = (family: string, pts: Array<{ bytes: number; seconds: number }>): FamilyFit | undefined => {
    try {
      return { family, ...fitBandwidth(pts, RELATIVE) };
    } catch {
      return undefined; // a family whose time does not grow with its size (noise): shown by the tier fits
    }
  };
  for (const [family, pts] of groups)
    if (pts.length >= 2) {
      const f = groupFit(family, pts);
      if (f) families.push({ ...f, efficiency: copyLimit ? f.bytesPerSec / copyLimit : undefined });
    }
  const updateGroups = new Map<string, UpdateMeasurement[]>();
  for (const u of updates) {
    const k = `update/${u.rowBytes}B/${u.tableBytes}B/${u.skew}`;
    updateGroups.set(k, [...(updateGroups.get(k) ?? []), u]);
  }
  for (const [family, pts] of updateGroups)
    if (pts.length >= 2) {
      const f = groupFit(family, pts);
      if (f) families.push(f);
    }
  families.push(...fitted.tiers);
  const confidence = bootstrapConstants(backend.name, measurements, opts, fitted.constants);
  if (confidence) confidence.atBound = fitted.atBound;
  return {
    profile: {
      kind: 'scarec-device-profile',
      version: 1,
      backend: backend.name,
      device: backend.device,
      date: (opts.date ?? new Date()).toISOString(),
      constants: fitted.constants,
      gatherEfficiency: fitted.gatherEfficiency,
      ...(confidence ? { confidence } : {}),
      boundedConstants: fitted.atBound,
      fits: fitted.fits,
      families,
      mapping: constantMapping(backend.name),
      incorrect: measurements.filter((m) => !m.correct).length + (opts.hostGather ?? []).filter((m) => !m.correct).length,
      measurements: [...measurements, ...(opts.hostGather ?? []).map((m) => ({ ...m, host: true }))],
    },
  };
}
