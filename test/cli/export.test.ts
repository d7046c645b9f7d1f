import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function exactObjective(): number {
  const r = runCli(['plan', 'test/fixtures/tiny.json', '--algo', 'exact', '--json']);
  return JSON.parse(r.stdout).objective;
}

describe('scarec export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scarec-export-'));
  it.skipIf(!has('glpsol'))('glpsol reads the LP and the MPS and finds the same optimum (skipped without glpk-utils)', () => {
    const obj = exactObjective();
    for (const fmt of ['lp', 'mps'] as const) {
      const file = join(dir, `m.${fmt}`);
      expect(runCli(['export', 'test/fixtures/tiny.json', '--algo', 'exact', '--format', fmt, '--out', file]).code).toBe(0);
      const out = join(dir, `m.${fmt}.out`);
      const g = spawnSync('glpsol', [fmt === 'lp' ? '--lp' : '--freemps', file, '-o', out], { encoding: 'utf8' });
      expect(g.status).toBe(0);
      const m = /Objective:\s+\S+\s+=\s+([-+0-9.eE]+)/.exec(readFileSync(out, 'utf8'));
      expect(Number(m![1])).toBeCloseTo(obj, 6);
    }
  });
  it.skipIf(!has('cbc'))('CBC reads the MPS and finds the same optimum (skipped without coinor-cbc)', () => {
    const obj = exactObjective();
    const file = join(dir, 'c.mps');
    expect(runCli(['export', 'test/fixtures/tiny.json', '--format', 'mps', '--out', file]).code).toBe(0);
    const c = spawnSync('cbc', [file, 'solve', 'quit'], { encoding: 'utf8' });
    const m = /Objective value:\s+([-+0-9.eE]+)/.exec(c.stdout);
    expect(Number(m![1])).toBeCloseTo(obj, 6);
  });
  it('bad format: exit 2', () => {
    const r = runCli(['export', 'test/fixtures/tiny.json', '--format', 'xls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format/);
  });
});
