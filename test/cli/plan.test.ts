import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('scarec plan', () => {
  it('exact --json reports the plan, throughput and the MIP certificate; --out writes the plan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-plan-'));
    const out = join(dir, 'plan.json');
    const r = runCli(['plan', 'test/fixtures/tiny.json', '--algo', 'exact', '--solver', 'glpk', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe('optimal');
    expect(j.objective * 1e-6).toBeCloseTo(j.evaluation.iterationSec, 12);
    expect(j.throughputSamplesPerSec).toBeCloseTo(4 / j.evaluation.iterationSec, 6);
    expect(j.gap).toBe(0);
    const plan = JSON.parse(readFileSync(out, 'utf8'));
    const ev = runCli(['evaluate', 'test/fixtures/tiny.json', '--plan', out, '--json']);
    expect(JSON.parse(ev.stdout).iterationSec).toBeCloseTo(j.evaluation.iterationSec, 15);
    expect(plan.algorithm).toBe('exact');
  });
  it('unknown algorithm: exit 2 naming the option', () => {
    const r = runCli(['plan', 'test/fixtures/tiny.json', '--algo', 'magic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--algo.*unknown algorithm "magic"/);
  });
  it('tables that fit nowhere: exit 3 naming the short resource', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scarec-plan-'));
    const f = join(dir, 's.json');
    const s = JSON.parse(readFileSync('test/fixtures/tiny.json', 'utf8'));
    s.devices.hostMemoryBytes = 10;
    s.devices.gpuMemoryBytes = 10;
    writeFileSync(f, JSON.stringify(s));
    const r = runCli(['plan', f, '--algo', 'greedy']);
    expect(r.code).toBe(3);
    // 4 x 8 B + 10 x 16 B = 192 B of tables; 2 x 10 B + 10 B = 30 B
    expect(r.stderr).toMatch(/host memory \+ GPU memory short by 162 B/);
  });
});
