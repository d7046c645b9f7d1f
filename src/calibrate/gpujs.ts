import { type BackendOpening, type CalibrationBackend, type DeviceTable, timeKernel, windowStart } from './backend.js';
import { timedHostCopy } from './cpu.js';

/**
 * The gpujs backend: gpu.js 2.24.1 kernels in its cpu mode (no native build needed). gpu.js numbers are
 * float32, so ids must stay below 2^24 to be exact; kernels are maps (no scatter, no atomics), so dedup is
 * sort-based: bitonic sort, first-of-run flags, a Hillis-Steele prefix sum, then compaction and the
 * inverse map by binary search, every step a gpu.js kernel.
 */

interface JsTable extends DeviceTable {
  data: Float32Array;
}

type Kernel = ((...args: unknown[]) => Float32Array) & { setOutput(o: number[]): void };

const ID_LIMIT = 1 << 24;

export async function openGpuJsBackend(): Promise<BackendOpening> {
  let GPU: new (o: { mode: string }) => { createKernel(fn: unknown, opts: unknown): Kernel; destroy(): void };
  try {
    ({ GPU } = (await import('gpu.js')) as unknown as { GPU: typeof GPU });
  } catch (e) {
    return { ok: false, reason: `gpu.js did not load (${(e as Error).message.split('\n')[0]})` };
  }
  const gpu = new GPU({ mode: 'cpu' });
  const opts = { output: [1], dynamicOutput: true, dynamicArguments: true, tactic: 'precision' };
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const gatherK = gpu.createKernel(function (this: any, table: number[], idx: number[], offset: number, dim: number) {
    const j = Math.floor(this.thread.x / dim);
    const c = this.thread.x - j * dim;
    return table[idx[offset + j] * dim + c];
  }, opts);
  const copyK = gpu.createKernel(function (this: any, a: number[], offset: number) {
    return a[offset + this.thread.x];
  }, opts);
  const bitonicK = gpu.createKernel(function (this: any, a: number[], j: number, k: number) {
    const i = this.thread.x;
    const l = i ^ j;
    const lo = Math.min(i, l);
    const up = (lo & k) === 0;
    const x = a[i];
    const y = a[l];
    if (l > i) return up ? Math.min(x, y) : Math.max(x, y);
    return up ? Math.max(x, y) : Math.min(x, y);
  }, opts);
  const flagK = gpu.createKernel(function (this: any, s: number[], sentinel: number) {
    const i = this.thread.x;
    if (s[i] >= sentinel) return 0;
    if (i === 0) return 1;
    return s[i] !== s[i - 1] ? 1 : 0;
  }, opts);
  const scanK = gpu.createKernel(function (this: any, a: number[], d: number) {
    const i = this.thread.x;
    return i >= d ? a[i] + a[i - d] : a[i];
  }, opts);
  const compactK = gpu.createKernel(function (this: any, s: number[], scan: number[], n: number) {
    // first i with scan[i] == thread + 1 (scan is non-decreasing)
    const want = this.thread.x + 1;
    let lo = 0;
    let hi = n - 1;
    for (let it = 0; it < 32; it++) {
      if (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (scan[mid] >= want) hi = mid;
        else lo = mid + 1;
      }
    }
    return s[lo];
  }, opts);
  const inverseK = gpu.createKernel(function (this: any, idx: number[], offset: number, uniq: number[], u: number) {
    const v = idx[offset + this.thread.x];
    let lo = 0;
    let hi = u - 1;
    for (let it = 0; it < 32; it++) {
      if (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (uniq[mid] >= v) hi = mid;
        else lo = mid + 1;
      }
    }
    return lo;
  }, opts);
  /* eslint-enable @typescript-eslint/no-explicit-any */
  const run = (k: Kernel, n: number, ...args: unknown[]) => {
    k.setOutput([n]);
    return k(...args);
  };

  const dedupOnce = (ids: Float32Array, offset: number, lookups: number, rows: number) => {
    let n = 1;
    while (n < lookups) n *= 2;
    let a = run(copyK, n, ids, offset);
    for (let j = lookups; j < n; j++) a[j] = rows; // sentinel padding (host-side init of the padded tail)
    for (let k = 2; k <= n; k *= 2) for (let j = k >> 1; j > 0; j >>= 1) a = run(bitonicK, n, a, j, k);
    let scan = run(flagK, n, a, rows);
    for (let d = 1; d < n; d *= 2) scan = run(scanK, n, scan, d);
    const u = scan[n - 1]!;
    const uniq = run(compactK, u, a, scan, n);
    const inverse = run(inverseK, lookups, ids, offset, uniq, u);
    return { uniq, inverse };
  };

  const backend: CalibrationBackend = {
    name: 'gpujs',
    device: 'gpu.js 2.24.1 (cpu mode)',
    maxBufferBytes: 256 * 1024 * 1024,
    async uploadTable(data, rows, dim) {
      return { rows, dim, data: data.slice(0, rows * dim) } satisfies JsTable;
    },
    freeTable() {},
    async gather(table, stream, lookups, timing) {
      const t = table as JsTable;
      if (t.rows > ID_LIMIT) throw new RangeError(`gpujs: ids must be below 2^24 (table has ${t.rows} rows)`);
      const ids = Float32Array.from(stream);
      let call = 0;
      const seconds = await timeKernel((inner) => {
        for (let i = 0; i < inner; i++) run(gatherK, lookups * t.dim, t.data, ids, windowStart(call++, lookups, ids.length), t.dim);
      }, timing);
      return { seconds, out: Float32Array.from(run(gatherK, lookups * t.dim, t.data, ids, 0, t.dim)) };
    },
    async dedup(stream, lookups, rows, timing) {
      if (rows >= ID_LIMIT) throw new RangeError(`gpujs: ids must be below 2^24 (got ${rows} rows)`);
      const ids = Float32Array.from(stream);
      let call = 0;
      const seconds = await timeKernel((inner) => {
        for (let i = 0; i < inner; i++) dedupOnce(ids, windowStart(call++, lookups, ids.length), lookups, rows);
      }, timing);
      const { uniq, inverse } = dedupOnce(ids, 0, lookups, rows);
      return { seconds, unique: Uint32Array.from(uniq), inverse: Uint32Array.from(inverse) };
    },
    async copy(bytes, _direction, timing) {
      // gpu.js in cpu mode has no separate device memory: a copy is a host memory copy
      const src = new Uint8Array(bytes);
      const dst = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i += 4096) src[i] = (i >>> 12) & 255;
      return timedHostCopy(src, dst, bytes, timing);
    },
    async dispose() {
      gpu.destroy();
    },
  };
  return { ok: true, backend };
}
