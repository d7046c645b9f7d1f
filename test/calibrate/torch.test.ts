import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceProfileSchema } from '../../src/model/schema.js';

const bench = join(__dirname, '..', '..', 'bench');
const python = spawnSync('python3', ['--version']);

/** Run `body` after importing the script, and parse the profile it prints. */
function profileFrom(body: string) {
  const code = `import sys, json; sys.path.insert(0, ${JSON.stringify(bench)})\nimport calibrate_torch as ct\n${body}\nprint(json.dumps(ct.make_profile('fake', fits, [])))`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const parsed = deviceProfileSchema.safeParse(JSON.parse(r.stdout));
  expect(parsed.success).toBe(true);
  return parsed.data!;
}

describe.skipIf(python.status !== 0)('bench/calibrate_torch.py without torch (fit and profile format)', () => {
  it('compiles, fits exact constants, and writes a profile the toolkit accepts', () => {
    const c = profileFrom(`pts = lambda lat, bw: [(b, lat + b / bw) for b in (1e6, 1e7, 1e8)]
spec = dict(gpuGather=(1e-5, 2e12), hostGather=(0, 5e9), hostToDevice=(5e-6, 25e9), deviceToHost=(5e-6, 24e9), deviceToDevice=(1e-6, 3e12), allToAll=(2e-5, 3e11))
fits = {k: ct.fit_bandwidth(pts(l, b)) for k, (l, b) in spec.items()}
# dedup: 1e-5 s per call, 1 ns per lookup, 3 ns per distinct id, over skewed to uniform streams
fits["dedup"] = ct.fit_dedup([(k, u * k, 1e-5 + k * 1e-9 + u * k * 3e-9) for k in (2048, 8192, 32768) for u in (0.1, 0.4, 0.97)])`).constants;
    expect(c.gpuGatherBytesPerSec! / 2e12).toBeCloseTo(1, 9);
    expect(c.hostToGpuBytesPerSec! / 25e9).toBeCloseTo(1, 9);
    expect(c.latencySec!).toBeCloseTo(5e-6, 12);
    expect(c.gpuToGpuBytesPerSec! / 3e11).toBeCloseTo(1, 9);
    expect(c.dedupSecondsPerLookup! / 1e-9).toBeCloseTo(1, 9);
    expect(c.dedupSecondsPerDistinctRow! / 3e-9).toBeCloseTo(1, 9);
    expect(c.dedupLatencySec! / 1e-5).toBeCloseTo(1, 9);
  });
  it('fits per-row costs like fitRowCost (non-negative, exact on noiseless data) and writes them into the profile', () => {
    const profile = profileFrom(`law = lambda lat, per_row, bw: [(r, r * b, lat + r * per_row + r * b / bw) for b in (64, 256, 1024) for r in (1000, 8000, 64000)]
fits = dict(gpuGather=ct.fit_row_cost(law(2e-6, 60e-9, 7e9)), hostGather=ct.fit_row_cost(law(0, 150e-9, 3e9)),
            bufferGather=ct.fit_row_cost(law(1e-6, 0, 20e9)))
for k, (l, b) in dict(hostToDevice=(5e-6, 25e9), deviceToDevice=(1e-6, 3e12)).items():
    fits[k] = ct.fit_bandwidth([(x, l + x / b) for x in (1e6, 1e7, 1e8)])
fits["dedup"] = ct.fit_dedup([(k, k, 1e-5 + k * 1e-9) for k in (1000, 8000, 64000)])`);
    const c = profile.constants;
    expect(c.gpuGatherSecondsPerRow! / 60e-9).toBeCloseTo(1, 9);
    expect(c.gpuGatherBytesPerSec! / 7e9).toBeCloseTo(1, 9);
    expect(c.hostGatherSecondsPerRow! / 150e-9).toBeCloseTo(1, 9);
    expect(c.hostGatherBytesPerSec! / 3e9).toBeCloseTo(1, 9);
    // a per-row cost of 0 is found exactly (the non-negative subset), not as a small negative number
    expect(c.gpuBufferGatherSecondsPerRow).toBe(0);
    expect((c.gpuBufferGatherBytesPerSec as number) / 20e9).toBeCloseTo(1, 9);
    // gather efficiency: the law's throughput at 1024-byte rows over the copy bandwidth
    expect((profile as unknown as { gatherEfficiency: number }).gatherEfficiency).toBeCloseTo(1024 / (60e-9 + 1024 / 7e9) / 3e12, 9);
  });
  it('without torch, running it says so in one line and exits 4', () => {
    const r = spawnSync('python3', [join(bench, 'calibrate_torch.py'), '--out', '/dev/null'], { encoding: 'utf8' });
    if (r.status === 0) return; // torch is installed here: nothing to check
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
