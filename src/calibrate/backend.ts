/**
 * The kernel harness's backend contract. A backend owns a "device" memory (real GPU memory for webgpu,
 * plain typed arrays for cpu and gpujs) and times three kernels on it: gather, dedup and copies.
 * Every timing method returns the median seconds per call and the result of one call, which the harness
 * checks against the cpu reference (src/calibrate/kernels.ts).
 */

import type { StageRunner } from './stage.js';

export type BackendName = 'cpu' | 'webgpu' | 'gpujs';
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'webgpu', 'gpujs'];

/** A table resident in the backend's device memory (opaque to the harness). */
export interface DeviceTable {
  readonly rows: number;
  readonly dim: number;
}

export interface TimingOptions {
  /** timed samples; the median is reported */
  repeats: number;
  /** each sample repeats the kernel until at least this long, to rise above timer resolution */
  minSampleSec: number;
  /**
   * When set (cpu dedup), each timed call is preceded by an untimed write of this many bytes, which evicts the
   * caches: in an iteration the dedup runs after gathers that flushed its scratch, and the calibration
   * measures it in that state (proofs/calibration-fit.md §4).
   */
  evictBytes?: number;
  /**
   * When set, every sample runs exactly this many calls (no search for the count): the harness's interleaved
   * rounds find the count once per measurement and reuse it, so a round costs one sample, not a search.
   */
  inner?: number;
  /**
   * Skip the untimed warm-up call (JIT, pipeline creation): the harness's later rounds, where the kernel ran in
   * the first round already and each sample is many calls long.
   */
  skipWarmup?: boolean;
}

export interface Timed {
  /** median seconds per kernel call */
  seconds: number;
}

export interface CalibrationBackend {
  readonly name: BackendName;
  /** the device in words, e.g. "llvmpipe (Mesa 25.0.7)" or the CPU model */
  readonly device: string;
  /** largest buffer in bytes the device takes */
  readonly maxBufferBytes: number;
  uploadTable(data: Float32Array, rows: number, dim: number): Promise<DeviceTable>;
  freeTable(table: DeviceTable): void;
  /**
   * out[j * dim + k] = table[idx[j] * dim + k] for batches of `lookups` ids. Timed calls take successive
   * windows of `stream` (window i starts at (i * lookups) mod (stream.length - lookups + 1)), so a small
   * batch is not measured with its rows left in cache by the previous call; `out` is the first window's.
   */
  gather(table: DeviceTable, stream: Uint32Array, lookups: number, timing: TimingOptions): Promise<Timed & { out: Float32Array }>;
  /**
   * Distinct ids of a batch (any order) and inverse: unique[inverse[j]] === idx[j]; ids are < rows.
   * Windows of `stream` as for gather; the result is the first window's.
   */
  dedup(stream: Uint32Array, lookups: number, rows: number, timing: TimingOptions): Promise<Timed & { unique: Uint32Array; inverse: Uint32Array }>;
  /**
   * Optional (cpu): the optimizer update table[idx[j]] -= lr * grad[j] (kernels.ts updateRows) over windows of
   * `stream` as for gather; `ok` says one call changed exactly the rows it should by the right amount.
   */
  update?(table: DeviceTable, stream: Uint32Array, lookups: number, timing: TimingOptions): Promise<Timed & { ok: boolean }>;
  /** move `bytes` between host and device memory (on cpu: a memory copy); `check` is the copied data's checksum */
  copy(bytes: number, direction: 'hostToDevice' | 'deviceToHost' | 'deviceToDevice', timing: TimingOptions): Promise<Timed & { ok: boolean }>;
  /**
   * Optional: the runner of `scarec validate`'s measured embedding stage on this backend's device (stage.ts);
   * a backend without one cannot run validate.
   */
  stageRunner?(): StageRunner<unknown>;
  dispose(): Promise<void>;
}

/** Either an open backend, or the one-line reason it is unavailable. */
export type BackendOpening = { ok: true; backend: CalibrationBackend } | { ok: false; reason: string };

/** Start of the i-th window of `lookups` ids in a stream of `length` ids. */
export function windowStart(i: number, lookups: number, length: number): number {
  const span = Math.max(1, length - lookups + 1);
  return (i * lookups) % span;
}

/** Median of a numeric array (sorted copy). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Time `run(inner)` (which performs the kernel `inner` times): the inner count doubles until one sample
 * lasts `minSampleSec` (or is `timing.inner` when given), then `repeats` samples are taken; returns the median
 * seconds per call.
 */
export async function timeKernel(run: (inner: number) => Promise<void> | void, timing: TimingOptions, now = () => performance.now() / 1e3): Promise<number> {
  let inner = timing.inner !== undefined ? Math.max(1, Math.floor(timing.inner)) : 1;
  if (!timing.skipWarmup) await run(1); // warm-up: JIT, caches, pipeline creation
  for (; timing.inner === undefined; ) {
    const t0 = now();
    await run(inner);
    const dt = now() - t0;
    if (dt >= timing.minSampleSec || inner >= 1 << 20) break;
    inner *= dt > 0 ? Math.min(16, Math.max(2, Math.ceil(timing.minSampleSec / dt))) : 16;
  }
  const samples: number[] = [];
  for (let i = 0; i < timing.repeats; i++) {
    const t0 = now();
    await run(inner);
    samples.push((now() - t0) / inner);
  }
  return median(samples);
}

/**
 * Time single calls of `run`, each after an untimed `prepare` (cache eviction): a warm-up, then at least
 * `repeats` samples and as many more as fit in `repeats * minSampleSec`; returns the median seconds per call.
 */
export async function timeColdKernel(run: () => Promise<void> | void, prepare: () => void, timing: TimingOptions, now = () => performance.now() / 1e3): Promise<number> {
  if (!timing.skipWarmup) {
    prepare();
    await run();
  }
  const samples: number[] = [];
  const t0 = now();
  while (samples.length < timing.repeats || (now() - t0 < timing.repeats * timing.minSampleSec && samples.length < 1000)) {
    prepare();
    const t = now();
    await run();
    samples.push(now() - t);
  }
  return median(samples);
}
