/// <reference types="@webgpu/types" />
import { gatherRows, updateRows } from './kernels.js';
import { addStageCounts, type IterationTimes, type StageCounts, type StageRunner, type TableState } from './stage.js';
import { DEDUP_BINDINGS, DEDUP_ENTRY_POINTS, DEDUP_WGSL, GATHER_WGSL, STAGE_BINDINGS, STAGE_ENTRY_POINTS, STAGE_WGSL, dispatchGrid } from './wgsl.js';

/**
 * The measured embedding stage on a WebGPU device, phase by phase as on the cpu runner (stage.ts) and as the
 * model charges it (proofs/calibration-fit.md §5):
 *   dedup        the dedup shader's three passes over the batch, on the device          -> K dedupSecondsPerLookup + dedupLatencySec
 *   bookkeeping  classify each distinct id by the plan's ranges, build the pool's index
 *                list (two small device passes; timed, not modelled)
 *   hostLink     ids of the missed rows up (read back), their rows down (writeBuffer
 *                into the miss area), their gradients up after backward (read back)      -> U_host (2 r + indexBytes) bytes
 *   hostGather   cpu gatherRows of the missed rows into a staging buffer, and cpu
 *                updateRows of the same rows                                              -> 2 U_host accesses, 3 U_host r bytes
 *   localGather  the gather shader over all K lookups (cache and miss area are one
 *                buffer), then the update shader over the U_dev cached rows touched      -> K + U_dev accesses
 * Each timed phase waits for the device (onSubmittedWorkDone or a mapped read), so its time is its own.
 */

interface Buffers {
  ids: GPUBuffer;
  first: GPUBuffer;
  pos: GPUBuffer;
  unique: GPUBuffer;
  inverse: GPUBuffer;
  counts: GPUBuffer;
  rangeFrom: GPUBuffer;
  rangeHost: GPUBuffer;
  rangeSlot: GPUBuffer;
  where: GPUBuffer;
  hostSlots: GPUBuffer;
  devSlots: GPUBuffer;
  poolIdx: GPUBuffer;
  table: GPUBuffer;
  out: GPUBuffer;
  grad: GPUBuffer;
  dedupParams: GPUBuffer;
  gatherParams: GPUBuffer;
  /** the stage kernels' parameters on the grid of `lookups` invocations and on that of `lookups * dim` */
  stageParamsIds: GPUBuffer;
  stageParamsRows: GPUBuffer;
  readCounts: GPUBuffer;
  readSlots: GPUBuffer;
  readGrad: GPUBuffer;
}

export interface WebGpuTableDevice {
  buffers: Buffers;
  dedupGroups: GPUBindGroup[];
  stageGroups: GPUBindGroup[];
  gatherGroup: GPUBindGroup;
  gradHost: Float32Array;
}

const now = () => performance.now() / 1e3;

export function webgpuStageRunner(device: GPUDevice): StageRunner<WebGpuTableDevice> {
  const S = GPUBufferUsage.STORAGE;
  const C_SRC = GPUBufferUsage.COPY_SRC;
  const C_DST = GPUBufferUsage.COPY_DST;
  const MAP = GPUBufferUsage.MAP_READ | C_DST;
  const make = (bytes: number, usage: number) => device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
  const upload = (data: ArrayBufferView, usage: number) => {
    const b = make(data.byteLength, usage | C_DST);
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const pipelines = (code: string, entries: readonly string[]) => {
    const module = device.createShaderModule({ code });
    return entries.map((entryPoint) => device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint } }));
  };
  const dedupPipelines = pipelines(DEDUP_WGSL, DEDUP_ENTRY_POINTS);
  const stagePipelines = pipelines(STAGE_WGSL, STAGE_ENTRY_POINTS);
  const [gatherPipeline] = pipelines(GATHER_WGSL, ['main']);

  const pass = (enc: GPUCommandEncoder, pipeline: GPUComputePipeline, group: GPUBindGroup, n: number) => {
    const p = enc.beginComputePass();
    p.setPipeline(pipeline);
    p.setBindGroup(0, group);
    const grid = dispatchGrid(n);
    p.dispatchWorkgroups(grid.x, grid.y);
    p.end();
  };
  const submit = async (fill: (enc: GPUCommandEncoder) => void) => {
    const enc = device.createCommandEncoder();
    fill(enc);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  /** Copy `bytes` of `src` into the mapped staging buffer and return a copy of them. */
  const readBack = async (src: GPUBuffer, staging: GPUBuffer, bytes: number): Promise<ArrayBuffer> => {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    const copy = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    return copy;
  };

  return {
    prepare(s: TableState, coalesce: boolean): WebGpuTableDevice {
      const { dim, lookups } = s;
      const ranges = s.rangeFrom.length;
      // every kernel covers lookups (x dim) invocations: one rowsX for the grid of the largest dispatch
      const gridIds = dispatchGrid(lookups);
      const gridRows = dispatchGrid(lookups * dim);
      const params = (words: number[]) => upload(new Uint32Array(words), GPUBufferUsage.UNIFORM);
      const stageParams = (rowsX: number) => {
        const words = new Uint32Array([dim, lookups, ranges, s.cachedRows, rowsX, 0, 0, 0]);
        new Float32Array(words.buffer, 20, 1)[0] = 0.01; // lr, as updateRows
        return upload(words, GPUBufferUsage.UNIFORM);
      };
      const b: Buffers = {
        ids: make(lookups * 4, S | C_DST),
        first: upload(new Uint32Array(s.rows).fill(0xffffffff), S),
        pos: make(s.rows * 4, S),
        unique: make(lookups * 4, S | C_DST),
        inverse: coalesce ? make(lookups * 4, S) : upload(Uint32Array.from({ length: lookups }, (_, j) => j), S),
        counts: make(16, S | C_SRC | C_DST),
        rangeFrom: upload(Uint32Array.from(s.rangeFrom), S),
        rangeHost: upload(Uint32Array.from(s.rangeHost), S),
        rangeSlot: upload(Uint32Array.from(s.rangeSlot), S),
        where: make(lookups * 4, S),
        hostSlots: make(lookups * 4, S | C_SRC),
        devSlots: make(lookups * 4, S),
        poolIdx: make(lookups * 4, S),
        table: upload(s.device, S | C_SRC),
        out: make(lookups * dim * 4, S | C_SRC),
        grad: upload(s.grad, S | C_SRC),
        dedupParams: params([1, lookups, 0, gridIds.rowsX]),
        gatherParams: params([dim, lookups, 0, gridRows.rowsX]),
        stageParamsIds: stageParams(gridIds.rowsX),
        stageParamsRows: stageParams(gridRows.rowsX),
        readCounts: make(16, MAP),
        readSlots: make(lookups * 4, MAP),
        readGrad: make(lookups * dim * 4, MAP),
      };
      const dedupAll = [b.dedupParams, b.ids, b.first, b.pos, b.unique, b.inverse, b.counts];
      const dedupGroups = dedupPipelines.map((pl, k) =>
        device.createBindGroup({
          layout: pl.getBindGroupLayout(0),
          entries: DEDUP_BINDINGS[DEDUP_ENTRY_POINTS[k]!]!.map((binding) => ({ binding, resource: { buffer: dedupAll[binding]! } })),
        }),
      );
      const stageAll = (paramsBuf: GPUBuffer) => [
        paramsBuf, b.counts, b.unique, b.rangeFrom, b.rangeHost, b.rangeSlot, b.where, b.hostSlots, b.devSlots, b.inverse, b.poolIdx, b.table, b.grad,
      ];
      const stageGroups = stagePipelines.map((pl, k) => {
        const entry = STAGE_ENTRY_POINTS[k]!;
        // classify and poolIndex run over the ids, update over rows x dim
        const all = stageAll(entry === 'update' ? b.stageParamsRows : b.stageParamsIds);
        return device.createBindGroup({ layout: pl.getBindGroupLayout(0), entries: STAGE_BINDINGS[entry].map((binding) => ({ binding, resource: { buffer: all[binding]! } })) });
      });
      const gatherGroup = device.createBindGroup({
        layout: gatherPipeline!.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: b.gatherParams } },
          { binding: 1, resource: { buffer: b.table } },
          { binding: 2, resource: { buffer: b.poolIdx } },
          { binding: 3, resource: { buffer: b.out } },
        ],
      });
      return { buffers: b, dedupGroups, stageGroups, gatherGroup, gradHost: new Float32Array(lookups * dim) };
    },

    async run(s: TableState, d: WebGpuTableDevice, coalesce: boolean, indexBytes: number, acc: IterationTimes, n: StageCounts): Promise<void> {
      const { dim, lookups } = s;
      const r = dim * 4;
      const b = d.buffers;
      const [markFirst, takeSlot, writeInverse, reset] = dedupPipelines;
      const [classify, poolIndex, update] = stagePipelines;
      // Untimed (data loading and the previous batch's cleanup): clear `first` at the previous batch's ids,
      // zero the counters, upload this batch's ids.
      await submit((enc) => pass(enc, reset!, d.dedupGroups[3]!, lookups));
      device.queue.writeBuffer(b.counts, 0, new Uint32Array(4));
      device.queue.writeBuffer(b.ids, 0, s.batch.buffer, s.batch.byteOffset, lookups * 4);
      if (!coalesce) {
        // without coalescing every lookup is its own "distinct" id
        device.queue.writeBuffer(b.unique, 0, s.batch.buffer, s.batch.byteOffset, lookups * 4);
        device.queue.writeBuffer(b.counts, 0, new Uint32Array([lookups]));
      }
      await device.queue.onSubmittedWorkDone();

      let t0 = now();
      if (coalesce) {
        await submit((enc) => {
          pass(enc, markFirst!, d.dedupGroups[0]!, lookups);
          pass(enc, takeSlot!, d.dedupGroups[1]!, lookups);
          pass(enc, writeInverse!, d.dedupGroups[2]!, lookups);
        });
        acc.dedupSec += now() - t0;
        n.dedupLookups += lookups;
        n.dedupCalls += 1;
      }

      t0 = now();
      await submit((enc) => {
        pass(enc, classify!, d.stageGroups[0]!, lookups);
        pass(enc, poolIndex!, d.stageGroups[1]!, lookups);
      });
      acc.bookkeepingSec += now() - t0;

      // host link up: how many rows missed, and their ids
      t0 = now();
      const counts = new Uint32Array(await readBack(b.counts, b.readCounts, 16));
      const nHost = counts[1]!;
      const nDevice = counts[2]!;
      if (coalesce) n.dedupDistinctRows += counts[0]!; // the distinct ids the dedup emitted
      const hostSlots = nHost > 0 ? new Uint32Array(await readBack(b.hostSlots, b.readSlots, nHost * 4)) : new Uint32Array(0);
      acc.hostLinkSec += now() - t0;

      // host gather of the missed rows into the staging buffer
      t0 = now();
      gatherRows(s.host, dim, hostSlots, s.staging);
      acc.hostGatherSec += now() - t0;

      // host link down: the rows into the miss area of device memory
      t0 = now();
      if (nHost > 0) device.queue.writeBuffer(b.table, s.cachedRows * r, s.staging.buffer, s.staging.byteOffset, nHost * r);
      await device.queue.onSubmittedWorkDone();
      acc.hostLinkSec += now() - t0;

      // pool every lookup from device memory; backward updates the cached rows touched
      t0 = now();
      await submit((enc) => {
        pass(enc, gatherPipeline!, d.gatherGroup, lookups * dim);
        pass(enc, update!, d.stageGroups[2]!, lookups * dim);
      });
      acc.localGatherSec += now() - t0;

      // host link up: the missed rows' gradients
      t0 = now();
      if (nHost > 0) d.gradHost.set(new Float32Array(await readBack(b.grad, b.readGrad, nHost * r)));
      acc.hostLinkSec += now() - t0;

      // host update of the missed rows
      t0 = now();
      updateRows(s.host, dim, hostSlots, nHost, d.gradHost);
      acc.hostGatherSec += now() - t0;

      addStageCounts(n, s, indexBytes, nHost, nDevice);
    },

    async checksum(s: TableState, d: WebGpuTableDevice): Promise<number> {
      return new Float32Array(await readBack(d.buffers.out, d.buffers.readGrad, 4))[0]!;
    },

    release(d: WebGpuTableDevice): void {
      for (const buf of Object.values(d.buffers)) buf.destroy();
    },
  };
}
