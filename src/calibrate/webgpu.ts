/// <reference types="@webgpu/types" />
import { type BackendOpening, type CalibrationBackend, type DeviceTable, timeKernel, windowStart } from './backend.js';
import type { StageRunner } from './stage.js';
import { webgpuStageRunner } from './webgpu-stage.js';
import { DEDUP_BINDINGS, DEDUP_ENTRY_POINTS, DEDUP_WGSL, GATHER_WGSL, STAGE_ENTRY_POINTS, STAGE_WGSL, dispatchGrid } from './wgsl.js';

/**
 * The webgpu backend: WGSL kernels through Dawn (the `webgpu` package). The object `create()` returns is
 * kept in the backend's closure for the device's whole life: if it is garbage-collected while the device
 * lives, Dawn crashes the process.
 */

type Gpu = { requestAdapter(o?: unknown): Promise<GPUAdapter | null> };

interface WebGpuModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

async function loadDawn(): Promise<WebGpuModule> {
  return (await import('webgpu')) as unknown as WebGpuModule;
}

/**
 * Compile every shader on a device and report the first compilation error (used with backend=null to
 * validate the WGSL with no driver at all). Returns the messages; empty when every shader is valid.
 */
export async function validateShaders(flags: string[] = ['backend=null']): Promise<{ adapter: boolean; errors: string[] }> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(flags);
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { adapter: false, errors: [] };
  const device = await adapter.requestDevice();
  const errors: string[] = [];
  const shaders = [
    ['gather', GATHER_WGSL, ['main']],
    ['dedup', DEDUP_WGSL, [...DEDUP_ENTRY_POINTS]],
    ['stage', STAGE_WGSL, [...STAGE_ENTRY_POINTS]],
  ] as const;
  for (const [name, code, entries] of shaders) {
    const module = device.createShaderModule({ code });
    const info = await module.getCompilationInfo();
    for (const m of info.messages) if (m.type === 'error') errors.push(`${name}:${m.lineNum}:${m.linePos}: ${m.message}`);
    // Creating the pipelines validates the entry points and bindings too.
    for (const entryPoint of entries) {
      device.pushErrorScope('validation');
      device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint } });
      const err = await device.popErrorScope();
      if (err) errors.push(`${name}.${entryPoint}: ${err.message}`);
    }
  }
  device.destroy();
  void gpu; // keep `gpu` alive until the device is gone
  return { adapter: true, errors };
}

interface GpuTable extends DeviceTable {
  buffer: GPUBuffer;
}

export async function openWebGpuBackend(flags: string[] = []): Promise<BackendOpening> {
  let dawn: WebGpuModule;
  try {
    dawn = await loadDawn();
  } catch (e) {
    return { ok: false, reason: `the webgpu native module did not load (${(e as Error).message.split('\n')[0]})` };
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(flags);
  const adapter = await gpu.requestAdapter();
  if (!adapter)
    return { ok: false, reason: 'no WebGPU adapter (no Vulkan driver: install libvulkan1 and a GPU driver, or Mesa 25 lavapipe)' };
  const info = (adapter as unknown as { info?: { vendor?: string; description?: string; architecture?: string } }).info;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const maxBufferBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const S = GPUBufferUsage.STORAGE;
  const C_SRC = GPUBufferUsage.COPY_SRC;
  const C_DST = GPUBufferUsage.COPY_DST;
  const gatherModule = device.createShaderModule({ code: GATHER_WGSL });
  const gatherPipeline = device.createComputePipeline({ layout: 'auto', compute: { module: gatherModule, entryPoint: 'main' } });
  const dedupModule = device.createShaderModule({ code: DEDUP_WGSL });
  const dedupPipelines = DEDUP_ENTRY_POINTS.map((entryPoint) =>
    device.createComputePipeline({ layout: 'auto', compute: { module: dedupModule, entryPoint } }),
  );
  const buffer = (size: number, usage: number) => device.createBuffer({ size: Math.max(16, Math.ceil(size / 4) * 4), usage });
  const upload = (data: ArrayBufferView, usage: number) => {
    const b = buffer(data.byteLength, usage | C_DST);
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const readBack = async (src: GPUBuffer, bytes: number): Promise<ArrayBuffer> => {
    const staging = buffer(bytes, GPUBufferUsage.MAP_READ | C_DST);
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return copy;
  };
  const paramsBuffer = (dim: number, lookups: number, offset: number, rowsX: number) =>
    upload(new Uint32Array([dim, lookups, offset, rowsX]), GPUBufferUsage.UNIFORM);

  const backend: CalibrationBackend & { keepAlive: unknown } = {
    keepAlive: gpu, // the strong reference Dawn needs (see the file comment)
    name: 'webgpu',
    device: `${info?.description || info?.vendor || 'WebGPU adapter'}${info?.architecture ? ` (${info.architecture})` : ''}`,
    maxBufferBytes,
    async uploadTable(data, rows, dim) {
      return { rows, dim, buffer: upload(data.subarray(0, rows * dim), S) } satisfies GpuTable;
    },
    freeTable(table) {
      (table as GpuTable).buffer.destroy();
    },
    async gather(table, stream, lookups, timing) {
      const t = table as GpuTable;
      const idx = upload(stream, S);
      const out = buffer(lookups * t.dim * 4, S | C_SRC);
      const grid = dispatchGrid(lookups * t.dim);
      // one bind group per window offset used, made once (a params buffer each)
      const groups = new Map<number, GPUBindGroup>();
      const groupAt = (offset: number) => {
        let g = groups.get(offset);
        if (!g) {
          g = device.createBindGroup({
            layout: gatherPipeline.getBindGroupLayout(0),
            entries: [
              { binding: 0, resource: { buffer: paramsBuffer(t.dim, lookups, offset, grid.rowsX) } },
              { binding: 1, resource: { buffer: t.buffer } },
              { binding: 2, resource: { buffer: idx } },
              { binding: 3, resource: { buffer: out } },
            ],
          });
          groups.set(offset, g);
        }
        return g;
      };
      let call = 0;
      const run = async (inner: number) => {
        const enc = device.createCommandEncoder();
        for (let i = 0; i < inner; i++) {
          const pass = enc.beginComputePass();
          pass.setPipeline(gatherPipeline);
          pass.setBindGroup(0, groupAt(windowStart(call++ % 64, lookups, stream.length)));
          pass.dispatchWorkgroups(grid.x, grid.y);
          pass.end();
        }
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
      };
      const seconds = await timeKernel(run, timing);
      call = 0;
      await run(1); // the first window, for the correctness check
      const result = new Float32Array(await readBack(out, lookups * t.dim * 4));
      idx.destroy();
      out.destroy();
      return { seconds, out: result };
    },
    async dedup(stream, lookups, rows, timing) {
      const idx = upload(stream, S);
      const first = upload(new Uint32Array(rows).fill(0xffffffff), S);
      const pos = buffer(rows * 4, S);
      const unique = buffer(lookups * 4, S | C_SRC);
      const inverse = buffer(lookups * 4, S | C_SRC);
      const count = buffer(16, S | C_SRC | C_DST);
      const grid = dispatchGrid(lookups);
      const groups = new Map<number, GPUBindGroup[]>();
      const groupsAt = (offset: number) => {
        let g = groups.get(offset);
        if (!g) {
          const params = paramsBuffer(1, lookups, offset, grid.rowsX);
          const all = [params, idx, first, pos, unique, inverse, count];
          g = dedupPipelines.map((pl, k) =>
            device.createBindGroup({
              layout: pl.getBindGroupLayout(0),
              // 'auto' layouts keep only the bindings an entry point uses
              entries: DEDUP_BINDINGS[DEDUP_ENTRY_POINTS[k]!]!.map((binding) => ({ binding, resource: { buffer: all[binding]! } })),
            }),
          );
          groups.set(offset, g);
        }
        return g;
      };
      let call = 0;
      const run = async (inner: number) => {
        const enc = device.createCommandEncoder();
        for (let i = 0; i < inner; i++) {
          const g = groupsAt(windowStart(call++ % 64, lookups, stream.length));
          dedupPipelines.forEach((pl, k) => {
            const pass = enc.beginComputePass();
            pass.setPipeline(pl);
            pass.setBindGroup(0, g[k]!);
            pass.dispatchWorkgroups(grid.x, grid.y);
            pass.end();
          });
        }
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
      };
      const seconds = await timeKernel(run, timing);
      // the first window once more, without the reset pass, to read the count
      call = 0;
      const g = groupsAt(0);
      const enc = device.createCommandEncoder();
      dedupPipelines.slice(0, 3).forEach((pl, k) => {
        const pass = enc.beginComputePass();
        pass.setPipeline(pl);
        pass.setBindGroup(0, g[k]!);
        pass.dispatchWorkgroups(grid.x, grid.y);
        pass.end();
      });
      device.queue.submit([enc.finish()]);
      const n = new Uint32Array(await readBack(count, 4))[0]!;
      const uniqueIds = new Uint32Array(await readBack(unique, lookups * 4)).slice(0, n);
      const inv = new Uint32Array(await readBack(inverse, lookups * 4));
      for (const b of [idx, first, pos, unique, inverse, count]) b.destroy();
      return { seconds, unique: uniqueIds, inverse: inv };
    },
    async copy(bytes, direction, timing) {
      const host = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i += 4096) host[i] = (i >>> 12) & 255;
      const dev = upload(host, S | C_SRC);
      let seconds: number;
      let ok = true;
      if (direction === 'hostToDevice') {
        seconds = await timeKernel(async (inner) => {
          for (let i = 0; i < inner; i++) device.queue.writeBuffer(dev, 0, host.buffer, 0, bytes);
          await device.queue.onSubmittedWorkDone();
        }, timing);
      } else if (direction === 'deviceToDevice') {
        const dst = buffer(bytes, S | C_DST | C_SRC);
        seconds = await timeKernel(async (inner) => {
          const enc = device.createCommandEncoder();
          for (let i = 0; i < inner; i++) enc.copyBufferToBuffer(dev, 0, dst, 0, Math.ceil(bytes / 4) * 4);
          device.queue.submit([enc.finish()]);
          await device.queue.onSubmittedWorkDone();
        }, timing);
        const back = new Uint8Array(await readBack(dst, bytes));
        for (let i = 0; i < bytes; i += 4096) if (back[i] !== host[i]) ok = false;
        dst.destroy();
      } else {
        const staging = buffer(bytes, GPUBufferUsage.MAP_READ | C_DST);
        const sink = new Uint8Array(bytes);
        seconds = await timeKernel(async (inner) => {
          for (let i = 0; i < inner; i++) {
            const enc = device.createCommandEncoder();
            enc.copyBufferToBuffer(dev, 0, staging, 0, Math.ceil(bytes / 4) * 4);
            device.queue.submit([enc.finish()]);
            await staging.mapAsync(GPUMapMode.READ);
            sink.set(new Uint8Array(staging.getMappedRange(), 0, bytes));
            staging.unmap();
          }
        }, timing);
        for (let i = 0; i < bytes; i += 4096) if (sink[i] !== host[i]) ok = false;
        staging.destroy();
      }
      dev.destroy();
      return { seconds, ok };
    },
    stageRunner: () => webgpuStageRunner(device) as StageRunner<unknown>,
    async dispose() {
      device.destroy();
      void backend.keepAlive;
    },
  };
  return { ok: true, backend };
}
