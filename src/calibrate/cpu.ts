import { cpus } from 'node:os';
import { type CalibrationBackend, type DeviceTable, type TimingOptions, timeColdKernel, timeKernel, windowStart } from './backend.js';
import { dedupRows, dedupScratch, gatherRows, updateRows } from './kernels.js';
import { cpuStageRunner, type StageRunner } from './stage.js';

/**
 * The cpu backend: "device memory" is ordinary host memory and the kernels are kernels.ts. Its constants
 * map onto the model as documented in proofs/calibration-fit.md ("the cpu mapping"): gather of cached rows
 * is the "gpu" gather, a buffer copy is the host-to-device link.
 */
interface CpuTable extends DeviceTable {
  data: Float32Array;
}

/** Copy `bytes` bytes between two buffers: the memory copy bandwidth (Buffer.copy is a memmove). */
export function copyBuffer(src: Uint8Array, dst: Uint8Array, bytes: number): void {
  dst.set(src.subarray(0, bytes));
}

/** Time a host memory copy of `bytes` and check it (spot checks every 4 KiB); shared by cpu and gpujs. */
export async function timedHostCopy(src: Uint8Array, dst: Uint8Array, bytes: number, timing: TimingOptions): Promise<{ seconds: number; ok: boolean }> {
  const seconds = await timeKernel((inner) => {
    for (let i = 0; i < inner; i++) copyBuffer(src, dst, bytes);
  }, timing);
  let ok = true;
  for (let i = 0; i < bytes; i += 4096) if (dst[i] !== src[i]) ok = false;
  return { seconds, ok };
}

/**
 * Evict the caches by reading `buf`, one 4-byte load per 64-byte line; returns the sum. A read pass, not a
 * write: after a 256 MiB memset the caches hold dirty lines whose write-back the next timed call pays, which
 * made cold dedup calls of 16 ids take 84-234 us here instead of 11-18 us (proofs/calibration-fit.md §4).
 */
export function readEvery64Bytes(buf: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < buf.length; i += 16) s += buf[i]!;
  return s;
}

export function cpuDeviceName(): string {
  const c = cpus();
  return `${c[0]?.model?.trim() ?? 'unknown CPU'} (${c.length} cores)`;
}

export function openCpuBackend(): CalibrationBackend {
  let copyBufs: { src: Uint8Array; dst: Uint8Array } | undefined;
  const buffers = (bytes: number) => {
    if (!copyBufs || copyBufs.src.length < bytes) {
      const src = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i += 4096) src[i] = (i >>> 12) & 255;
      copyBufs = { src, dst: new Uint8Array(bytes) };
    }
    return copyBufs;
  };
  // Scratch reused across calls (the calibration samples every measurement once per round: allocating a
  // fresh 64 MiB output per call would time page faults, not the kernel).
  let scratchOut = new Float32Array(0);
  let scratchGrad = new Float32Array(0);
  let junk = new Uint32Array(0);
  // one dedup scratch per row count, every page written once: a fresh typed array's pages may be mapped lazily,
  // and a first write to an unmapped page is a page fault inside the timed call (in a fresh process a cold
  // 512-id call on such a scratch took 175-265 us instead of 29-48: proofs/calibration-fit.md §8)
  const scratches = new Map<number, ReturnType<typeof dedupScratch>>();
  const scratchOf = (rows: number) => {
    let s = scratches.get(rows);
    if (!s) {
      s = dedupScratch(rows);
      s.stamp.fill(0);
      s.slot.fill(0);
      scratches.set(rows, s);
    }
    return s;
  };
  // the eviction pass's sum, kept so that the reads are not optimised away
  let evictSink = 0;
  const outOf = (floats: number) => {
    if (scratchOut.length < floats) scratchOut = new Float32Array(floats);
    return scratchOut.subarray(0, floats);
  };
  const gradOf = (floats: number) => {
    if (scratchGrad.length < floats) scratchGrad = new Float32Array(floats).fill(1e-3);
    return scratchGrad.subarray(0, floats);
  };
  return {
    name: 'cpu',
    device: cpuDeviceName(),
    maxBufferBytes: 2 ** 31 - 1,
    async uploadTable(data, rows, dim) {
      // "device" memory is host memory: the table is the caller's array (no copy of a 512 MiB table per row size)
      return { rows, dim, data: data.subarray(0, rows * dim) } satisfies CpuTable;
    },
    freeTable() {},
    async gather(table, stream, lookups, timing: TimingOptions) {
      const t = table as CpuTable;
      const out = outOf(lookups * t.dim);
      let call = 0;
      const seconds = await timeKernel((inner) => {
        for (let i = 0; i < inner; i++) {
          const o = windowStart(call++, lookups, stream.length);
          gatherRows(t.data, t.dim, stream.subarray(o, o + lookups), out);
        }
      }, timing);
      return { seconds, out: gatherRows(t.data, t.dim, stream.subarray(0, lookups)) };
    },
    async update(table, stream, lookups, timing: TimingOptions) {
      const t = table as CpuTable;
      const grad = gradOf(lookups * t.dim);
      let call = 0;
      const seconds = await timeKernel((inner) => {
        for (let i = 0; i < inner; i++) {
          const o = windowStart(call++, lookups, stream.length);
          updateRows(t.data, t.dim, stream.subarray(o, o + lookups), lookups, grad);
        }
      }, timing);
      // check one call on a small table: row i must drop by lr * grad * (times i occurs), others stay
      const rows = 64;
      const small = new Float32Array(rows * t.dim).fill(1);
      const ids = stream.subarray(0, Math.min(lookups, 256)).map((v) => v % rows);
      updateRows(small, t.dim, ids, ids.length, grad, 0.5);
      const times = new Uint32Array(rows);
      for (const id of ids) times[id]!++;
      let ok = true;
      for (let r = 0; r < rows; r++)
        for (let k = 0; k < t.dim; k++) if (Math.abs(small[r * t.dim + k]! - (1 - times[r]! * 0.5 * 1e-3)) > 1e-5) ok = false;
      return { seconds, ok };
    },
    async dedup(stream, lookups, rows, timing) {
      const scratch = scratchOf(rows);
      const unique = new Uint32Array(lookups);
      const inverse = new Uint32Array(lookups);
      let call = 0;
      const one = () => {
        const o = windowStart(call++, lookups, stream.length);
        dedupRows(stream.subarray(o, o + lookups), scratch, unique, inverse);
      };
      let seconds: number;
      if (timing.evictBytes) {
        if (junk.length * 4 < timing.evictBytes) junk = new Uint32Array(Math.ceil(timing.evictBytes / 4)).fill(1);
        seconds = await timeColdKernel(one, () => (evictSink += readEvery64Bytes(junk)), timing);
      } else
        seconds = await timeKernel((inner) => {
          for (let i = 0; i < inner; i++) one();
        }, timing);
      const count = dedupRows(stream.subarray(0, lookups), scratch, unique, inverse);
      return { seconds, unique: unique.slice(0, count), inverse: inverse.slice() };
    },
    async copy(bytes, _direction, timing) {
      const { src, dst } = buffers(bytes);
      return timedHostCopy(src, dst, bytes, timing);
    },
    stageRunner: () => cpuStageRunner as StageRunner<unknown>,
    async dispose() {
      copyBufs = undefined;
      scratchOut = new Float32Array(0);
      scratchGrad = new Float32Array(0);
      junk = new Uint32Array(0);
      scratches.clear();
      evictSink = 0;
    },
  };
}
