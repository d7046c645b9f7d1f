import { InputError } from '../errors.js';

/**
 * Hardware presets for `scarec scenario` (issue 15): every constant with its source (a data-sheet name) here and
 * in the scenario's `sources` field. Peak figures come from the data sheets; the efficiencies that turn them
 * into achieved rates (random row gathers, NCCL all-to-all, NIC) are estimates, the same for every preset, and
 * are replaced by a measured device profile (`devices.profile`, from `scarec calibrate`) when one is given.
 */

const GiB = 2 ** 30;

/** Efficiencies applied to every preset's peaks (README "Hardware presets"). */
export const EFFICIENCY = {
  /** random gathers of 256-512 B rows reach about half of streaming HBM bandwidth */
  hbmGather: 0.5,
  /** NCCL all-to-all over NVLink */
  nvlink: 0.8,
  /** RDMA over the NIC */
  nic: 0.9,
  /** CPU random row gathers against peak DRAM bandwidth */
  hostGather: 0.35,
};

export type GpuModel = 'h100-sxm' | 'h100-pcie' | 'h200' | 'a100-80gb';
export type PcieGen = 'gen4' | 'gen5';
export type NvlinkGen = 'nvlink3' | 'nvlink4' | 'none';

export interface GpuPreset {
  title: string;
  hbmBytes: number;
  hbmBytesPerSec: number;
  hbmSource: string;
  /** capacity and its data sheet */
  memorySource: string;
  defaultPcie: PcieGen;
  defaultNvlink: NvlinkGen;
  /** per-direction NVLink bandwidth of this GPU when it has NVLink of `defaultNvlink` */
  node: NodePreset;
}

export interface NodePreset {
  title: string;
  hostMemoryBytes: number;
  hostMemorySource: string;
  hostDramBytesPerSec: number;
  hostDramSource: string;
  nicBytesPerSec: number;
  nicSource: string;
}

const DGX_H100: NodePreset = {
  title: 'DGX H100-like node',
  hostMemoryBytes: 2e12,
  hostMemorySource: '2 TB DDR5 per node (DGX H100 system memory, NVIDIA DGX H100 datasheet)',
  hostDramBytesPerSec: 2 * 307.2e9,
  hostDramSource: '2 sockets x 8 channels DDR5-4800 = 2 x 307.2 GB/s peak per node',
  nicBytesPerSec: 50e9,
  nicSource: 'one 400 Gb/s ConnectX-7 NIC per GPU (DGX H100 compute fabric) = 50 GB/s',
};

const DGX_A100: NodePreset = {
  title: 'DGX A100-like node',
  hostMemoryBytes: 2e12,
  hostMemorySource: '2 TB DDR4 per node (DGX A100 with the 2 TB memory option, NVIDIA DGX A100 datasheet)',
  hostDramBytesPerSec: 2 * 204.8e9,
  hostDramSource: '2 sockets (AMD EPYC 7742) x 8 channels DDR4-3200 = 2 x 204.8 GB/s peak per node',
  nicBytesPerSec: 25e9,
  nicSource: 'one 200 Gb/s ConnectX-6 NIC per GPU (DGX A100 compute fabric) = 25 GB/s',
};

export const GPU_PRESETS: Record<GpuModel, GpuPreset> = {
  'h100-sxm': {
    title: 'H100 SXM 80GB',
    hbmBytes: 80 * GiB,
    hbmBytesPerSec: 3.35e12,
    hbmSource: 'HBM3 3.35 TB/s peak (H100 SXM datasheet)',
    memorySource: 'H100 SXM5 80 GB HBM3 (NVIDIA H100 datasheet)',
    defaultPcie: 'gen5',
    defaultNvlink: 'nvlink4',
    node: DGX_H100,
  },
  'h100-pcie': {
    title: 'H100 PCIe 80GB',
    hbmBytes: 80 * GiB,
    hbmBytesPerSec: 2.0e12,
    hbmSource: 'HBM2e 2.0 TB/s peak (H100 PCIe datasheet)',
    memorySource: 'H100 PCIe 80 GB HBM2e (NVIDIA H100 datasheet)',
    defaultPcie: 'gen5',
    defaultNvlink: 'none',
    node: { ...DGX_H100, title: 'PCIe server with 8 H100 PCIe, DGX H100-like memory and NICs' },
  },
  h200: {
    title: 'H200 SXM 141GB',
    hbmBytes: 141e9,
    hbmBytesPerSec: 4.8e12,
    hbmSource: 'HBM3e 4.8 TB/s peak (NVIDIA H200 datasheet)',
    memorySource: 'H200 SXM 141 GB HBM3e (NVIDIA H200 datasheet)',
    defaultPcie: 'gen5',
    defaultNvlink: 'nvlink4',
    node: { ...DGX_H100, title: 'DGX H200-like node', hostMemorySource: '2 TB DDR5 per node (NVIDIA DGX H200 datasheet)' },
  },
  'a100-80gb': {
    title: 'A100 SXM 80GB',
    hbmBytes: 80 * GiB,
    hbmBytesPerSec: 2.039e12,
    hbmSource: 'HBM2e 2,039 GB/s peak (NVIDIA A100 datasheet, 80GB SXM)',
    memorySource: 'A100 SXM 80 GB HBM2e (NVIDIA A100 datasheet)',
    defaultPcie: 'gen4',
    defaultNvlink: 'nvlink3',
    node: DGX_A100,
  },
};

/** Host link per direction, effective (raw x16: gen4 32 GB/s, gen5 64 GB/s per direction). */
export const PCIE: Record<PcieGen, { bytesPerSec: number; source: string }> = {
  gen4: { bytesPerSec: 25e9, source: 'PCIe Gen4 x16: 32 GB/s raw per direction, about 25 GB/s effective; 25 GB/s used' },
  gen5: { bytesPerSec: 50e9, source: 'PCIe Gen5 x16: 64 GB/s raw per direction, about 50-55 GB/s effective; 50 GB/s used' },
};

/** GPU-to-GPU per direction (peak); x EFFICIENCY.nvlink. Without NVLink, peers talk over PCIe (through the switch). */
export const NVLINK: Record<NvlinkGen, { bytesPerSec: number | null; source: string }> = {
  nvlink3: { bytesPerSec: 300e9, source: 'NVLink 3 (A100 SXM): 600 GB/s total = 300 GB/s per direction' },
  nvlink4: { bytesPerSec: 450e9, source: 'NVLink 4 (H100 SXM): 900 GB/s total = 450 GB/s per direction' },
  none: { bytesPerSec: null, source: 'no NVLink: peer traffic over PCIe at the host link rate' },
};

/** Reserved per GPU: CUDA context, NCCL buffers, allocator slack, the dense model with its optimizer state, TBE workspace. */
export const RESERVED_BYTES = 8 * GiB;
export const LATENCY_SEC = 10e-6;
export const DEDUP_SECONDS_PER_LOOKUP = 1e-9;

export interface PresetChoice {
  gpu: GpuModel;
  pcie?: PcieGen;
  nvlink?: NvlinkGen;
  gpusPerNode?: number;
  nodes?: number;
}

export interface ResolvedPreset {
  title: string;
  gpus: number;
  nodes: number;
  gpusPerNode: number;
  devices: { gpuMemoryBytes: number; gpuGatherBytesPerSec: number; hostMemoryBytes: number; hostGatherBytesPerSec: number; dedupSecondsPerLookup: number };
  links: { hostToGpuBytesPerSec: number; gpuToGpuBytesPerSec: number; latencySec: number; gpusPerNode?: number; interNodeBytesPerSec?: number };
  sources: Record<string, string>;
}

export function parseGpuModel(name: string, where = 'option --gpu'): GpuModel {
  if (name in GPU_PRESETS) return name as GpuModel;
  throw new InputError(`unknown GPU preset "${name}" (one of ${Object.keys(GPU_PRESETS).join(', ')})`, where);
}

/** The device and link fields of a preset (the host tier is the nodes' DRAM taken together). */
export function resolvePreset(c: PresetChoice): ResolvedPreset {
  const g = GPU_PRESETS[c.gpu];
  const pcie = PCIE[c.pcie ?? g.defaultPcie];
  const nv = NVLINK[c.nvlink ?? g.defaultNvlink];
  const gpusPerNode = c.gpusPerNode ?? 8;
  const nodes = c.nodes ?? 1;
  if (!Number.isInteger(nodes) || nodes < 1) throw new InputError(`must be a positive integer (got ${nodes})`, 'option --nodes');
  if (!Number.isInteger(gpusPerNode) || gpusPerNode < 1) throw new InputError(`must be a positive integer (got ${gpusPerNode})`, 'option --gpus-per-node');
  const gpuToGpu = nv.bytesPerSec !== null ? nv.bytesPerSec * EFFICIENCY.nvlink : pcie.bytesPerSec;
  const links: ResolvedPreset['links'] = { hostToGpuBytesPerSec: pcie.bytesPerSec, gpuToGpuBytesPerSec: gpuToGpu, latencySec: LATENCY_SEC };
  if (nodes > 1) {
    links.gpusPerNode = gpusPerNode;
    links.interNodeBytesPerSec = g.node.nicBytesPerSec * EFFICIENCY.nic;
  }
  const sources: Record<string, string> = {
    gpuMemoryBytes: `${g.memorySource} less 8 GiB reserved for the CUDA context, NCCL buffers, allocator slack, the dense MLPs with their optimizer state and the embedding kernels workspace; activations are reserved separately through training.activationBytesPerSample`,
    gpuGatherBytesPerSec: `${g.hbmSource} x ${EFFICIENCY.hbmGather}: random gathers of 256-512 B rows reach about half of streaming bandwidth; replace by \`scarec calibrate\``,
    hostMemoryBytes: g.node.hostMemorySource,
    hostGatherBytesPerSec: `${g.node.hostDramSource}, x ${EFFICIENCY.hostGather} for random row gathers by the CPU`,
    hostToGpuBytesPerSec: pcie.source,
    gpuToGpuBytesPerSec: nv.bytesPerSec !== null ? `${nv.source}, x ${EFFICIENCY.nvlink} achieved by NCCL all-to-all` : nv.source,
    ...(nodes > 1 ? { interNodeBytesPerSec: `${g.node.nicSource}, x ${EFFICIENCY.nic} achieved` } : {}),
    latencySec: '10 us per transfer: kernel launch plus NCCL/PCIe setup, an order-of-magnitude figure',
    dedupSecondsPerLookup: 'GPU unique/sort of int64 ids at about 1e9 ids/s (order of magnitude; calibrate)',
  };
  return {
    title: g.title,
    gpus: gpusPerNode * nodes,
    nodes,
    gpusPerNode,
    devices: {
      gpuMemoryBytes: g.hbmBytes - RESERVED_BYTES,
      gpuGatherBytesPerSec: g.hbmBytesPerSec * EFFICIENCY.hbmGather,
      hostMemoryBytes: g.node.hostMemoryBytes * nodes,
      hostGatherBytesPerSec: g.node.hostDramBytesPerSec * EFFICIENCY.hostGather * nodes,
      dedupSecondsPerLookup: DEDUP_SECONDS_PER_LOOKUP,
    },
    links,
    sources,
  };
}

/** The preset table of the README ("Hardware presets"): one row per GPU model with its defaults. */
export function presetTable(): string[][] {
  return (Object.keys(GPU_PRESETS) as GpuModel[]).map((k) => {
    const r = resolvePreset({ gpu: k });
    const g = GPU_PRESETS[k];
    return [k, g.title, `${(g.hbmBytes / 1e9).toFixed(1)} GB`, `${g.hbmBytesPerSec / 1e12} TB/s`, g.defaultPcie, g.defaultNvlink, `${r.links.gpuToGpuBytesPerSec / 1e9} GB/s`, g.hbmSource];
  });
}
