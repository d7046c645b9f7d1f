import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-trcli-'));
const scenario = join(dir, 's.json');
writeFileSync(
  scenario,
  JSON.stringify({
    name: 'tr-cli',
    tables: [
      { name: 'A', rows: 40, dim: 8, pooling: 2, distribution: { kind: 'zipf', alpha: 1.2 } },
      { name: 'B', rows: 4000, dim: 16, pooling: 1, distribution: { kind: 'zipf', alpha: 0.9 } },
    ],
    devices: { gpus: 2, gpuMemoryBytes: 60000, gpuGatherBytesPerSec: 1e9, hostMemoryBytes: 1e9, hostGatherBytesPerSec: 2e8 },
    links: { hostToGpuBytesPerSec: 2e7, gpuToGpuBytesPerSec: 1e8, latencySec: 1e-6 },
    training: { globalBatch: 64, denseSecondsPerSample: 1e-7, overlap: 'serial' },
  }),
);

describe('plan --space torchrec, export --format torchrec, --summary', () => {
  it('solves the space, reports the restriction against the full space, and exports JSON + a Python file that compiles', () => {
    const plan = join(dir, 'plan.json');
    const r = runCli(['plan', scenario, '--space', 'torchrec', '--out', plan, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.algorithm).toBe('exact-torchrec');
    expect(out.torchrec.status).toBe('optimal');
    expect(out.restriction.lossAtLeast).toBeGreaterThanOrEqual(0);
    expect(out.restriction.fullSpaceBestSamplesPerSec).toBeGreaterThanOrEqual(out.throughputSamplesPerSec * (1 - 1e-12));
    const json = join(dir, 'tr.json');
    const e = runCli(['export', scenario, '--plan', plan, '--format', 'torchrec', '--out', json]);
    expect(e.code, e.stderr).toBe(0);
    const exp = JSON.parse(readFileSync(json, 'utf8'));
    expect(exp.kind).toBe('scarec-torchrec-plan');
    expect(exp.tables.map((t: { name: string }) => t.name)).toEqual(['A', 'B']);
    for (const t of exp.tables) {
      expect(['data_parallel', 'table_wise', 'row_wise']).toContain(t.sharding_type);
      expect(['dense', 'fused', 'fused_uvm', 'fused_uvm_caching']).toContain(t.compute_kernel);
      expect(t.parameter_constraints.sharding_types).toEqual([t.sharding_type]);
    }
    const py = join(dir, 'tr.py');
    expect(readFileSync(py, 'utf8')).toMatch(/def parameter_constraints\(\):/);
    if (spawnSync('python3', ['--version']).status === 0) execFileSync('python3', ['-m', 'py_compile', py]);
  }, 120_000);

  it('a plan outside the space is refused with exit 2, naming the first range TorchRec cannot express', () => {
    const plan = join(dir, 'bad.json');
    writeFileSync(plan, JSON.stringify({ tables: { A: [{ from: 0, to: 40, at: 'replicated' }], B: [{ from: 0, to: 100, at: 'replicated' }, { from: 100, to: 4000, at: 'host' }] } }));
    const r = runCli(['export', scenario, '--plan', plan, '--format', 'torchrec']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: tables\.B\[0\]: TorchRec cannot express rows \[0, 100\) replicated/);
    expect(runCli(['export', scenario, '--format', 'torchrec']).code).toBe(2);
  }, 60_000);

  it('--summary prints the per-rank and per-table table; without it (not a terminal) and with --json it does not', () => {
    const a = runCli(['plan', scenario, '--algo', 'greedy', '--summary']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/plan summary/);
    expect(a.stdout).toMatch(/rank\s+HBM used/);
    expect(a.stdout).toMatch(/top 2 costliest tables/);
    expect(a.stdout).toMatch(/^\s+A\s+40\s+/m);
    const b = runCli(['plan', scenario, '--algo', 'greedy']);
    expect(b.stdout).not.toMatch(/plan summary/);
    const c = runCli(['plan', scenario, '--algo', 'greedy', '--json', '--summary']);
    expect(() => JSON.parse(c.stdout)).not.toThrow();
  }, 60_000);
});
