import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictFromCoefficients, predictionCoefficients } from '../../src/calibrate/torch.js';
import { loadPlans } from '../../src/model/plan.js';
import { buildScenario } from '../../src/model/scenario.js';
import { deviceProfileSchema } from '../../src/model/schema.js';
import { repoRoot } from '../helpers/cli.js';

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

describe.skipIf(python.status !== 0)('bench/calibrate_torch.py fit_stage: the stage sweep fitted with the model\'s own loads', () => {
  it('recovers the constants from phase times that evaluate() predicts for the sweep\'s all-host and all-replicated plans', () => {
    // Known constants; every phase time of the sweep is what the model predicts with them (the coefficients are
    // evaluate's, src/calibrate/torch.ts), the counts K, U, H read off the same coefficients. fit_stage's columns
    // must be the model's loads (K + U rows and K r + 2 U r bytes for replicated tables, 2 H rows and 3 H r bytes
    // on the host, H (2 r + 8) link bytes, 2 latencies): a wrong factor anywhere misses these to 1e-9.
    const k = { gpuGatherSecondsPerRow: 40e-9, gpuGatherBytesPerSec: 3e9, gpuBufferGatherSecondsPerRow: 25e-9, gpuBufferGatherBytesPerSec: 4e9,
      hostGatherSecondsPerRow: 45e-9, hostGatherBytesPerSec: 6e9, hostToGpuBytesPerSec: 5e9, latencySec: 3e-6 };
    const consts = { ...k, gpuToGpuBytesPerSec: 1e11, dedupSecondsPerLookup: 0, dedupLatencySec: 0, dedupSecondsPerDistinctRow: 0 };
    const runs: object[] = [];
    for (const rowBytes of [64, 256, 1024]) {
      const rows = (128 << 20) / rowBytes;
      for (const batch of [1024, 4096, 16384]) {
        const scenario = buildScenario(
          {
            name: 'sweep',
            tables: [
              { name: 'z', rows, dim: rowBytes / 4, pooling: 2, distribution: { kind: 'zipf', alpha: 1.05 } },
              { name: 'u', rows, dim: rowBytes / 4, pooling: 2, distribution: { kind: 'uniform' } },
            ],
            devices: { gpus: 1, gpuMemoryBytes: 1e12, gpuGatherBytesPerSec: 1e12, hostMemoryBytes: 1e12, hostGatherBytesPerSec: 1e11 },
            links: { hostToGpuBytesPerSec: 2e10 },
            training: { globalBatch: batch },
          },
          { file: 'sweep.json', baseDir: repoRoot },
        );
        for (const at of ['host', 'replicated'] as const) {
          const plan = planOf(scenario, { name: at, coalesce: true, tables: { z: [{ from: 0, to: rows, at }], u: [{ from: 0, to: rows, at }] } });
          const coefs = predictionCoefficients(scenario, plan);
          const terms = predictFromCoefficients(coefs, consts)[0]!;
          const c = coefs.gpus[0]!.terms;
          const lookups = 2 * 2 * batch;
          const hostRows = at === 'host' ? c.hostGatherSec.hostGatherSecondsPerRow! / 2 : 0;
          const distinct = at === 'host' ? hostRows : c.localGatherSec.gpuGatherSecondsPerRow! - lookups;
          const phases = { deviceGather: 0, pooling: terms.localGatherSec, backward: 0, update: 0, hostGather: terms.hostGatherSec, hostLink: terms.hostLinkSec };
          runs.push({ at, rowBytes, indexBytes: 8, phases, counts: { lookups, distinct, hostRows } });
        }
      }
    }
    const code = `import sys, json; sys.path.insert(0, ${JSON.stringify(bench)})\nimport calibrate_torch as ct\nprint(json.dumps(ct.fit_stage(json.load(sys.stdin))))`;
    const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', input: JSON.stringify(runs) });
    expect(r.stderr).toBe('');
    const f = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
    expect(f.gpuGather!.secondsPerRow! / k.gpuGatherSecondsPerRow).toBeCloseTo(1, 9);
    expect(f.gpuGather!.bytesPerSec! / k.gpuGatherBytesPerSec).toBeCloseTo(1, 9);
    expect(f.bufferGather!.secondsPerRow! / k.gpuBufferGatherSecondsPerRow).toBeCloseTo(1, 9);
    expect(f.bufferGather!.bytesPerSec! / k.gpuBufferGatherBytesPerSec).toBeCloseTo(1, 9);
    expect(f.hostGather!.secondsPerRow! / k.hostGatherSecondsPerRow).toBeCloseTo(1, 9);
    expect(f.hostGather!.bytesPerSec! / k.hostGatherBytesPerSec).toBeCloseTo(1, 9);
    expect(f.hostToDevice!.bytesPerSec! / k.hostToGpuBytesPerSec).toBeCloseTo(1, 9);
    expect(f.hostToDevice!.latencySec! / k.latencySec).toBeCloseTo(1, 9);
    for (const g of ['gpuGather', 'bufferGather', 'hostGather']) expect(f[g]!.latencySec).toBeCloseTo(0, 12);
  });
});

function planOf(scenario: ReturnType<typeof buildScenario>, plan: object) {
  const dir = mkdtempSync(join(tmpdir(), 'scarec-plan-'));
  writeFileSync(join(dir, 'p.json'), JSON.stringify(plan));
  return loadPlans(join(dir, 'p.json'), scenario).plans[0]!;
}
