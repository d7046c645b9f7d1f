/**
 * WGSL compute shaders of the webgpu backend. Rows are copied as u32 words, so a gather is bit-exact and
 * its output can be compared with the cpu reference for equality. Dispatches are 2-D (x up to 65535
 * workgroups) so a kernel covers more than 65535 * 256 elements.
 */
export const WORKGROUP = 256;

const params = /* wgsl */ `
struct Params { dim: u32, lookups: u32, offset: u32, rowsX: u32 }
@group(0) @binding(0) var<uniform> p: Params;
fn linear(gid: vec3<u32>) -> u32 { return gid.x + gid.y * p.rowsX; }
`;

/** out[j * dim + k] = table[idx[offset + j] * dim + k] */
export const GATHER_WGSL = /* wgsl */ `${params}
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = linear(gid);
  if (e >= p.lookups * p.dim) { return; }
  let j = e / p.dim;
  let k = e - j * p.dim;
  out[e] = table[idx[p.offset + j] * p.dim + k];
}
`;

/**
 * Dedup in four passes over the batch (not the table), O(lookups) work:
 *  1 first[id] = min j with idx[j] = id          (atomicMin; `first` starts at 0xffffffff)
 *  2 the lookup that is first for its id takes a slot: unique[slot] = id, pos[id] = slot
 *  3 inverse[j] = pos[idx[j]]
 *  4 reset first[id] for the next batch
 */
export const DEDUP_WGSL = /* wgsl */ `${params}
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> first: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> pos: array<u32>;
@group(0) @binding(4) var<storage, read_write> unique: array<u32>;
@group(0) @binding(5) var<storage, read_write> inverse: array<u32>;
@group(0) @binding(6) var<storage, read_write> count: array<atomic<u32>>;
@compute @workgroup_size(${WORKGROUP})
fn markFirst(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = linear(gid);
  if (j >= p.lookups) { return; }
  atomicMin(&first[idx[p.offset + j]], j);
}
@compute @workgroup_size(${WORKGROUP})
fn takeSlot(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = linear(gid);
  if (j >= p.lookups) { return; }
  let id = idx[p.offset + j];
  if (atomicLoad(&first[id]) == j) {
    let slot = atomicAdd(&count[0], 1u);
    unique[slot] = id;
    pos[id] = slot;
  }
}
@compute @workgroup_size(${WORKGROUP})
fn writeInverse(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = linear(gid);
  if (j >= p.lookups) { return; }
  inverse[j] = pos[idx[p.offset + j]];
}
@compute @workgroup_size(${WORKGROUP})
fn reset(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = linear(gid);
  if (j >= p.lookups) { return; }
  atomicStore(&first[idx[p.offset + j]], 0xffffffffu);
  if (j == 0u) { atomicStore(&count[0], 0u); }
}
`;

export const DEDUP_ENTRY_POINTS = ['markFirst', 'takeSlot', 'writeInverse', 'reset'] as const;

/** Which bindings of the dedup shader each entry point uses ('auto' layouts drop the others). */
export const DEDUP_BINDINGS: Record<(typeof DEDUP_ENTRY_POINTS)[number], number[]> = {
  markFirst: [0, 1, 2],
  takeSlot: [0, 1, 2, 3, 4, 6],
  writeInverse: [0, 1, 3, 5],
  reset: [0, 1, 2, 6],
};

/** Workgroup grid for n invocations: [x, y] with x <= 65535. */
export function dispatchGrid(n: number): { x: number; y: number; rowsX: number } {
  const groups = Math.max(1, Math.ceil(n / WORKGROUP));
  const x = Math.min(groups, 65535);
  const y = Math.ceil(groups / x);
  return { x, y, rowsX: x * WORKGROUP };
}

/**
 * The measured embedding stage's device kernels (src/calibrate/webgpu-stage.ts; proofs/calibration-fit.md §5).
 * `counts` holds [distinct ids of the batch (from dedup), misses, cached rows touched, unused].
 *  classify    each distinct id: binary search of the plan's ranges; a host row takes the next miss slot
 *              (hostSlots: its slot in host memory; where: cachedRows + miss slot), a cached row is recorded in
 *              devSlots for the update (where: its cache slot)
 *  poolIndex   poolIdx[j] = where[inverse[j]]: the device-memory row every lookup pools
 *  update      table[devSlots[u]] -= lr * grad[u] for the cached rows touched (distinct: no write conflicts)
 */
export const STAGE_WGSL = /* wgsl */ `
struct StageParams { dim: u32, lookups: u32, ranges: u32, cachedRows: u32, rowsX: u32, lr: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> q: StageParams;
fn at(gid: vec3<u32>) -> u32 { return gid.x + gid.y * q.rowsX; }

@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> unique: array<u32>;
@group(0) @binding(3) var<storage, read> rangeFrom: array<u32>;
@group(0) @binding(4) var<storage, read> rangeHost: array<u32>;
@group(0) @binding(5) var<storage, read> rangeSlot: array<u32>;
@group(0) @binding(6) var<storage, read_write> where_: array<u32>;
@group(0) @binding(7) var<storage, read_write> hostSlots: array<u32>;
@group(0) @binding(8) var<storage, read_write> devSlots: array<u32>;
@group(0) @binding(9) var<storage, read> inverse: array<u32>;
@group(0) @binding(10) var<storage, read_write> poolIdx: array<u32>;
@group(0) @binding(11) var<storage, read_write> table: array<f32>;
@group(0) @binding(12) var<storage, read> grad: array<f32>;

@compute @workgroup_size(${WORKGROUP})
fn classify(@builtin(global_invocation_id) gid: vec3<u32>) {
  let u = at(gid);
  if (u >= atomicLoad(&counts[0])) { return; }
  let id = unique[u];
  var lo = 0u;
  var hi = q.ranges - 1u;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (rangeFrom[mid] <= id) { lo = mid; } else { hi = mid - 1u; }
  }
  let slot = rangeSlot[lo] + (id - rangeFrom[lo]);
  if (rangeHost[lo] != 0u) {
    let m = atomicAdd(&counts[1], 1u);
    hostSlots[m] = slot;
    where_[u] = q.cachedRows + m;
  } else {
    let d = atomicAdd(&counts[2], 1u);
    devSlots[d] = slot;
    where_[u] = slot;
  }
}

@compute @workgroup_size(${WORKGROUP})
fn poolIndex(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = at(gid);
  if (j >= q.lookups) { return; }
  poolIdx[j] = where_[inverse[j]];
}

@compute @workgroup_size(${WORKGROUP})
fn update(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = at(gid);
  let u = e / q.dim;
  if (u >= atomicLoad(&counts[2])) { return; }
  let k = e - u * q.dim;
  let i = devSlots[u] * q.dim + k;
  table[i] = table[i] - q.lr * grad[e];
}
`;

export const STAGE_ENTRY_POINTS = ['classify', 'poolIndex', 'update'] as const;

/** The bindings each stage entry point uses ('auto' layouts keep only those). */
export const STAGE_BINDINGS: Record<(typeof STAGE_ENTRY_POINTS)[number], number[]> = {
  classify: [0, 1, 2, 3, 4, 5, 6, 7, 8],
  poolIndex: [0, 6, 9, 10],
  update: [0, 1, 8, 11, 12],
};
