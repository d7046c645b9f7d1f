import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeColdKernel, type CalibrationBackend } from '../../src/calibrate/backend.js';
import { checkDedup, dedupReference, gatherRows, makeTable, sameFloats } from '../../src/calibrate/kernels.js';
import { openBackend } from '../../src/calibrate/open.js';
import { sampleIndices } from '../../src/calibrate/rng.js';
import { validateShaders } from '../../src/calibrate/webgpu.js';

const timing = { repeats: 1, minSampleSec: 0 };

/** Each backend's gather and dedup against the cpu reference on random inputs. */
function conformance(name: 'cpu' | 'gpujs' | 'webgpu', getBackend: () => CalibrationBackend | undefined) {
  it(`${name}: gather equals the cpu reference (row bytes 64..1024, uniform and Zipf)`, async () => {
    const b = getBackend();
    if (!b) return;
    for (const dim of [16, 64, 256]) {
      const rows = 3000;
      const host = makeTable(rows, dim);
      const t = await b.uploadTable(host, rows, dim);
      for (const skew of [{ kind: 'uniform' } as const, { kind: 'zipf', alpha: 1.05 } as const]) {
        const stream = sampleIndices(rows, 5000, skew, dim);
        const r = await b.gather(t, stream, 1234, timing);
        expect(sameFloats(r.out, gatherRows(host, dim, stream.subarray(0, 1234)))).toBe(true);
        expect(r.seconds).toBeGreaterThan(0);
      }
      b.freeTable(t);
    }
  });
  it(`${name}: dedup equals the cpu reference`, async () => {
    const b = getBackend();
    if (!b) return;
    for (const [rows, lookups, seed] of [[1000, 777, 1], [50, 1000, 2], [100000, 4096, 3]] as const) {
      const stream = sampleIndices(rows, lookups * 2, { kind: 'zipf', alpha: 0.9 }, seed);
      const r = await b.dedup(stream, lookups, rows, timing);
      const idx = stream.subarray(0, lookups);
      expect(checkDedup(idx, r.unique, r.inverse)).toBe(true);
      expect([...r.unique].sort((x, y) => x - y)).toEqual([...dedupReference(idx, rows).unique].sort((x, y) => x - y));
    }
  });
  it(`${name}: copies arrive intact and take positive time`, async () => {
    const b = getBackend();
    if (!b) return;
    for (const direction of ['hostToDevice', 'deviceToHost', 'deviceToDevice'] as const) {
      const r = await b.copy(1 << 20, direction, timing);
      expect(r.ok).toBe(true);
      expect(r.seconds).toBeGreaterThan(0);
    }
  });
}

describe('cpu backend', () => {
  let b: CalibrationBackend | undefined;
  beforeAll(async () => {
    const o = await openBackend('cpu');
    if (o.ok) b = o.backend;
  });
  afterAll(async () => b?.dispose());
  it('opens', () => expect(b).toBeDefined());
  conformance('cpu', () => b);
});

describe('gpujs backend (gpu.js cpu mode)', () => {
  let b: CalibrationBackend | undefined;
  beforeAll(async () => {
    const o = await openBackend('gpujs');
    if (o.ok) b = o.backend;
  });
  afterAll(async () => b?.dispose());
  it('opens', () => expect(b).toBeDefined());
  conformance('gpujs', () => b);
});

describe('WGSL shaders validate with backend=null (no driver)', () => {
  it('every shader compiles and every pipeline is valid', async () => {
    const r = await validateShaders(['backend=null']);
    expect(r.adapter).toBe(true);
    expect(r.errors).toEqual([]);
  });
});

// Runs where a WebGPU adapter exists (CI installs Mesa 25 lavapipe: .ci/system-packages.sh).
const webgpu = await openBackend('webgpu');
describe.skipIf(!webgpu.ok)(`webgpu backend${webgpu.ok ? '' : ` (skipped: ${webgpu.reason})`}`, () => {
  const b = webgpu.ok ? webgpu.backend : undefined;
  afterAll(async () => b?.dispose());
  conformance('webgpu', () => b);
});

describe('unavailable backends', () => {
  it('an unavailable webgpu backend is one line, not a crash', async () => {
    // no Dawn backend is called "nonexistent": Dawn rejects it; openBackend turns that into a reason
    const o = await openBackend('webgpu', { webgpuFlags: ['backend=nonexistent'] });
    if (!o.ok) {
      expect(o.reason.split('\n')).toHaveLength(1);
      expect(o.reason.length).toBeGreaterThan(0);
    } else await o.backend.dispose();
  });
});

describe('timeColdKernel', () => {
  it('evicts before every timed call, and once more for the warm-up unless it is skipped', async () => {
    for (const skipWarmup of [false, true]) {
      let prepares = 0;
      let runs = 0;
      let clock = 0;
      const sec = await timeColdKernel(
        () => {
          runs++;
          clock += 1e-3;
        },
        () => prepares++,
        { repeats: 3, minSampleSec: 0, skipWarmup },
        () => clock,
      );
      expect(sec).toBeCloseTo(1e-3, 12);
      expect(prepares).toBe(skipWarmup ? 3 : 4);
      expect(runs).toBe(prepares);
    }
  });
});
