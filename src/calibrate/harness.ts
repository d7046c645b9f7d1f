import { readFileSync } from 'node:fs';
import type { DeviceProfile } from '../model/schema.js';
import type { CalibrationBackend, TimingOptions } from './backend.js';
import { fitBandwidth, fitLinear, fitRowCost, type BandwidthFit, type RowCostFit, type RowCostPoint } from './fit.js';
import { checkDedup, gatherRows, makeTable, sameFloats } from './kernels.js';
import { sampleIndices } from './rng.js';

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
  lookups: number[];
  /** length of the index stream that timed calls cycle through */
  streamLookups: number;
  dedupRows: number;
  dedupLookups: number[];
  /** bytes written before each timed dedup call (cold caches, as in an iteration); 0: warm */
  dedupEvictBytes: number;
  copyBytes: number[];
  timing: TimingOptions;
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

/**
 * The sizes measured. Tables go from cache-resident (256 KiB) to 16x the last-level cache (far enough past it
 * that the page walks of random accesses miss too, as in tables of many GB: proofs/calibration-fit.md §7), capped by the
 * device's largest buffer; `quick` keeps the extremes and fewer points (under a minute on 2 cores).
 */
export function sweepPlan(opts: { quick: boolean; llcBytes: number; maxBufferBytes: number; seed?: number }): SweepPlan {
  const cap = (b: number) => Math.min(b, opts.maxBufferBytes);
  const big = cap(16 * opts.llcBytes);
  const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  if (opts.quick)
    return {
      rowBytes: [64, 128, 256, 1024],
      tableBytes: uniq([cap(256 * 1024), big]),
      skews: [{ kind: 'uniform' }, { kind: 'zipf', alpha: 1.05 }],
      lookups: [1024, 8192, 32768],
      streamLookups: 1 << 20,
      dedupRows: 1 << 20,
      dedupLookups: [4096, 32768, 131072],
      dedupEvictBytes: 2 * opts.llcBytes,
      copyBytes: uniq([64 * 1024, MiB, 8 * MiB, cap(32 * MiB), cap(4 * opts.llcBytes)]),
      timing: { repeats: 7, minSampleSec: 0.01 },
      seed: opts.seed ?? 1,
    };
  return {
    rowBytes: [64, 128, 256, 512, 1024],
    tableBytes: uniq([cap(256 * 1024), cap(4 * MiB), cap(opts.llcBytes), big]),
    skews: [{ kind: 'uniform' }, { kind: 'zipf', alpha: 0.8 }, { kind: 'zipf', alpha: 1.05 }],
    lookups: [1024, 4096, 16384, 65536, 262144],
    streamLookups: 1 << 21,
    dedupRows: 1 << 22,
    dedupLookups: [4096, 16384, 65536, 262144],
    dedupEvictBytes: 2 * opts.llcBytes,
    copyBytes: uniq([64 * 1024, 256 * 1024, MiB, 4 * MiB, 16 * MiB, cap(opts.llcBytes), cap(4 * opts.llcBytes)]),
    timing: { repeats: 5, minSampleSec: 0.01 },
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
}
export type CopyDirection = 'hostToDevice' | 'deviceToHost' | 'deviceToDevice';
export interface CopyMeasurement {
  family: 'copy';
  direction: CopyDirection;
  bytes: number;
  seconds: number;
  bytesPerSec: number;
  correct: boolean;
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

/** Count the steps of a sweep (for a progress bar). */
export function sweepSteps(plan: SweepPlan, copyDirections: readonly CopyDirection[], withUpdates = false): number {
  return (
    plan.rowBytes.length * plan.tableBytes.length * plan.skews.length * plan.lookups.length +
    (withUpdates ? plan.rowBytes.length * plan.skews.length * plan.lookups.length : 0) +
    plan.skews.length * plan.dedupLookups.length +
    copyDirections.length * plan.copyBytes.length
  );
}

/** Run the sweep on a backend. Every kernel result is compared with the cpu reference. */
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
  const out: Measurement[] = [];
  let seed = plan.seed;
  for (const tableBytes of plan.tableBytes) {
    for (const rowBytes of plan.rowBytes) {
      const dim = rowBytes / 4;
      const rows = Math.max(1, Math.floor(tableBytes / rowBytes));
      const host = makeTable(rows, dim);
      const table = await backend.uploadTable(host, rows, dim);
      const streams: Array<[Skew, Uint32Array]> = [];
      try {
        for (const skew of plan.skews) {
          // One index stream per (table, skew), long enough that cycling through it touches more rows than
          // the caches hold (see CalibrationBackend.gather).
          const stream = sampleIndices(rows, Math.max(plan.streamLookups, 2 * Math.max(...plan.lookups)), skew, seed++);
          streams.push([skew, stream]);
          for (const lookups of plan.lookups) {
            const idx = stream.subarray(0, lookups);
            const r = await backend.gather(table, stream, lookups, plan.timing);
            const bytes = lookups * rowBytes;
            out.push({
              family: 'gather',
              rowBytes,
              tableBytes: rows * rowBytes,
              rows,
              skew: skewName(skew),
              lookups,
              bytes,
              seconds: r.seconds,
              bytesPerSec: bytes / r.seconds,
              correct: sameFloats(r.out, gatherRows(host, dim, idx)),
            });
            step(`gather ${rowBytes} B rows, ${(rows * rowBytes / MiB).toFixed(1)} MiB table, ${skewName(skew)}, ${lookups} lookups`);
          }
        }
        // The optimizer update, on the largest table only (random access past the caches: the per-row fits,
        // proofs/calibration-fit.md §6). After the gathers, since it changes the table's values.
        if (backend.update && tableBytes === largestTable)
          for (const [skew, stream] of streams)
            for (const lookups of plan.lookups) {
              const r = await backend.update(table, stream, lookups, plan.timing);
              const bytes = 2 * lookups * rowBytes;
              out.push({ family: 'update', rowBytes, tableBytes: rows * rowBytes, rows, skew: skewName(skew), lookups, bytes, seconds: r.seconds, bytesPerSec: bytes / r.seconds, correct: r.ok });
              step(`update ${rowBytes} B rows, ${(rows * rowBytes / MiB).toFixed(1)} MiB table, ${skewName(skew)}, ${lookups} rows`);
            }
      } finally {
        backend.freeTable(table);
      }
    }
  }
  for (const skew of plan.skews) {
    const stream = plan.dedupLookups.length ? sampleIndices(plan.dedupRows, Math.max(plan.streamLookups, 2 * Math.max(...plan.dedupLookups)), skew, seed++) : new Uint32Array(0);
    for (const lookups of plan.dedupLookups) {
      const idx = stream.subarray(0, lookups);
      const r = await backend.dedup(stream, lookups, plan.dedupRows, { ...plan.timing, evictBytes: plan.dedupEvictBytes });
      out.push({
        family: 'dedup',
        rows: plan.dedupRows,
        skew: skewName(skew),
        lookups,
        distinct: r.unique.length,
        seconds: r.seconds,
        lookupsPerSec: lookups / r.seconds,
        correct: checkDedup(idx, r.unique, r.inverse),
      });
      step(`dedup ${skewName(skew)}, ${lookups} lookups`);
    }
  }
  for (const direction of directions) {
    for (const bytes of plan.copyBytes) {
      const r = await backend.copy(bytes, direction, plan.timing);
      out.push({ family: 'copy', direction, bytes, seconds: r.seconds, bytesPerSec: bytes / r.seconds, correct: r.ok });
      step(`copy ${direction} ${(bytes / MiB).toFixed(2)} MiB`);
    }
  }
  return out;
}

export interface FamilyFit extends BandwidthFit {
  family: string;
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
    measurements: Measurement[];
    mapping: Record<string, string>;
    incorrect: number;
  };
}

const where = <T extends Measurement>(ms: Measurement[], f: (m: Measurement) => m is T) => ms.filter(f);
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
      dedupSecondsPerLookup: 'slope of dedup seconds against lookups',
      dedupLatencySec: 'intercept of the same fit (per call: one per table and iteration)',
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

/**
 * Fit the constants. `hostGather` holds measurements of the host (cpu) gather when the backend is a
 * real device; on the cpu backend the host gather is the backend's own gather.
 */
export function fitProfile(
  backend: { name: string; device: string },
  measurements: Measurement[],
  opts: { hostGather?: GatherMeasurement[]; date?: Date } = {},
): CalibrationResult {
  const gathers = where(measurements, isGather);
  const dedups = where(measurements, isDedup);
  const copies = where(measurements, isCopy);
  const families: FamilyFit[] = [];
  const key = (m: GatherMeasurement) => `gather/${m.rowBytes}B/${m.tableBytes}B/${m.skew}`;
  const groups = new Map<string, GatherMeasurement[]>();
  for (const m of gathers) groups.set(key(m), [...(groups.get(key(m)) ?? []), m]);

  const copyFit = (dir: CopyDirection) => {
    // The copy bandwidth is the physical limit of memory traffic: fit it on transfers past the caches
    // (at least a quarter of the largest size), where the linear law holds; smaller copies run from cache.
    const all = copies.filter((c) => c.direction === dir);
    const top = Math.max(0, ...all.map((c) => c.bytes));
    const pts = all.filter((c) => c.bytes >= top / 16);
    return pts.length >= 2 ? { family: `copy/${dir}`, ...fitBandwidth(pts, RELATIVE) } : undefined;
  };
  const h2d = copyFit('hostToDevice');
  const d2h = copyFit('deviceToHost');
  const d2d = copyFit('deviceToDevice');
  const copyLimit = d2d?.bytesPerSec ?? h2d?.bytesPerSec;
  for (const [family, pts] of groups)
    if (pts.length >= 2) {
      const f = fitBandwidth(pts, RELATIVE);
      families.push({ family, ...f, efficiency: copyLimit ? f.bytesPerSec / copyLimit : undefined });
    }
  for (const f of [h2d, d2h, d2d]) if (f) families.push(f);

  // Per-tier row-cost fits (proofs/calibration-fit.md §6): gathers (one access and r bytes per lookup) and
  // updates (one access and 2 r bytes per row) of every row size, on the largest table (past the last-level
  // cache, so accesses are random DRAM accesses), fitted jointly as latency + rows s + bytes / B.
  const updates = where(measurements, isUpdate);
  const largest = <T extends GatherMeasurement | UpdateMeasurement>(ms: T[]): T[] => {
    const top = Math.max(...ms.map((m) => m.tableBytes));
    return ms.filter((m) => m.tableBytes === top);
  };
  const rowPoints = (ms: Array<GatherMeasurement | UpdateMeasurement>): RowCostPoint[] => ms.map((m) => ({ rows: m.lookups, bytes: m.bytes, seconds: m.seconds }));
  const tierFit = (family: string, ms: Array<GatherMeasurement | UpdateMeasurement>): FamilyFit & { fit: RowCostFit } => {
    const f = fitRowCost(rowPoints(ms), RELATIVE);
    return {
      family,
      latencySec: f.latencySec,
      secondsPerRow: f.secondsPerRow,
      bytesPerSec: f.bytesPerSec,
      rSquared: f.rSquared,
      worstRelativeResidual: f.worstRelativeResidual,
      points: f.points,
      fit: f,
    };
  };
  const bigGathers = largest(gathers);
  const bigUpdates = updates.length ? largest(updates) : [];
  const tierPoints = (ms: Array<GatherMeasurement | UpdateMeasurement>, pick: (skew: string) => boolean) => {
    const chosen = ms.filter((m) => pick(m.skew));
    return chosen.length >= 3 ? chosen : ms;
  };
  // Cached rows are the hot ones (Zipf); the host serves the cold ones (uniform): proofs/calibration-fit.md §4.
  const { fit: gpuRowFit, ...gpuGather } = tierFit('gather+update/largest-table/skewed', tierPoints([...bigGathers, ...bigUpdates], (k) => k !== 'uniform'));
  const hostSource = opts.hostGather && opts.hostGather.length > 0 ? largest(opts.hostGather) : [...bigGathers, ...bigUpdates];
  const { fit: hostRowFit, ...hostGather } = tierFit(
    opts.hostGather && opts.hostGather.length > 0 ? 'hostGather/largest-table/uniform' : 'gather+update/largest-table/uniform',
    tierPoints(hostSource, (k) => k === 'uniform'),
  );
  // The receive buffer (rows fetched from the host this iteration, pooled right after: cost-model.md §1) is a
  // small buffer that was just written: its law is the gathers' law on the smallest, cache-resident table, all
  // skews (in a cache-resident table skew changes nothing): proofs/calibration-fit.md §7.
  const smallest = Math.min(...gathers.map((m) => m.tableBytes));
  const bufferPoints = smallest < Math.max(...gathers.map((m) => m.tableBytes)) ? gathers.filter((m) => m.tableBytes === smallest) : [];
  const { fit: bufferRowFit, ...bufferGather } = bufferPoints.length >= 3 ? tierFit('gather/smallest-table/all-skews', bufferPoints) : { fit: undefined };
  for (const [key, pts] of new Map([...updates.reduce((m, u) => m.set(`update/${u.rowBytes}B/${u.tableBytes}B/${u.skew}`, [...(m.get(`update/${u.rowBytes}B/${u.tableBytes}B/${u.skew}`) ?? []), u]), new Map<string, UpdateMeasurement[]>())]))
    if (pts.length >= 2) families.push({ family: key, ...fitBandwidth(pts, RELATIVE) });
  // A bandwidth term of exactly 0 (all time per row) is written as an unreachable bandwidth, since the profile
  // takes finite numbers only.
  const finiteBandwidth = (b: number) => (Number.isFinite(b) ? b : 1e15);
  const dedupFit = fitLinear(dedups.map((d) => ({ x: [d.lookups], seconds: d.seconds })), RELATIVE);
  const dedup: FamilyFit = {
    family: 'dedup',
    latencySec: dedupFit.latencySec,
    bytesPerSec: 1 / dedupFit.slopes[0]!,
    rSquared: dedupFit.rSquared,
    worstRelativeResidual: dedupFit.worstRelativeResidual,
    points: dedupFit.points,
  };
  families.push(gpuGather, hostGather, dedup);
  if (bufferRowFit) families.push(bufferGather as FamilyFit);

  const constants: DeviceProfile['constants'] = {
    gpuGatherBytesPerSec: finiteBandwidth(gpuRowFit.bytesPerSec),
    gpuGatherSecondsPerRow: gpuRowFit.secondsPerRow,
    hostGatherBytesPerSec: finiteBandwidth(hostRowFit.bytesPerSec),
    hostGatherSecondsPerRow: hostRowFit.secondsPerRow,
  };
  if (bufferRowFit) {
    constants.gpuBufferGatherBytesPerSec = finiteBandwidth(bufferRowFit.bytesPerSec);
    constants.gpuBufferGatherSecondsPerRow = bufferRowFit.secondsPerRow;
  }
  if (h2d) {
    constants.hostToGpuBytesPerSec = h2d.bytesPerSec;
    // A fitted intercept can come out slightly negative when the latency is below the timer's noise.
    constants.latencySec = Math.max(0, h2d.latencySec);
  }
  if (d2h) constants.gpuToHostBytesPerSec = d2h.bytesPerSec;
  if (backend.name === 'cpu' && d2d) constants.gpuToGpuBytesPerSec = d2d.bytesPerSec;
  if (d2d) constants.deviceCopyBytesPerSec = d2d.bytesPerSec;
  constants.dedupSecondsPerLookup = Math.max(0, dedupFit.slopes[0]!);
  // the intercept: a fixed cost per dedup call (one per table and iteration), cold start or kernel launch
  constants.dedupLatencySec = Math.max(0, dedupFit.latencySec);
  // Gather efficiency: the fitted law's throughput for the largest row size measured (per-row cost included),
  // as a fraction of the copy bandwidth.
  const topRow = Math.max(...bigGathers.map((m) => m.rowBytes));
  const effectiveGather = topRow / (gpuRowFit.secondsPerRow + topRow / gpuRowFit.bytesPerSec);
  const gatherEfficiency = copyLimit ? effectiveGather / copyLimit : 0;
  return {
    profile: {
      kind: 'scarec-device-profile',
      version: 1,
      backend: backend.name,
      device: backend.device,
      date: (opts.date ?? new Date()).toISOString(),
      constants,
      gatherEfficiency,
      fits: { gpuGather, hostGather, ...(bufferRowFit ? { bufferGather: bufferGather as FamilyFit } : {}), dedup, ...(h2d ? { hostToDevice: h2d } : {}), ...(d2h ? { deviceToHost: d2h } : {}), ...(d2d ? { deviceToDevice: d2d } : {}) },
      families,
      mapping: constantMapping(backend.name),
      incorrect: measurements.filter((m) => !m.correct).length + (opts.hostGather ?? []).filter((m) => !m.correct).length,
      measurements: [...measurements, ...(opts.hostGather ?? []).map((m) => ({ ...m, host: true }))],
    },
  };
}
