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
      const r = runCli(['export', 'test/fixtures/tiny.json', '--algo', 'exact', '--format', fmt, '--out', file, '--pattern', 'all', '--json']);
      expect(r.code).toBe(0);
      // one model per usage pattern: the bucketed optimum is the least of their optima
      const objs = (JSON.parse(r.stdout).patterns as Array<{ out: string }>).map((p) => {
        const out = `${p.out}.out`;
        const g = spawnSync('glpsol', [fmt === 'lp' ? '--lp' : '--freemps', p.out, '-o', out], { encoding: 'utf8' });
        expect(g.status).toBe(0);
        const m = /Objective:\s+\S+\s+=\s+([-+0-9.eE]+)/.exec(readFileSync(out, 'utf8'));
        return m ? Number(m[1]) : Infinity;
      });
      expect(Math.min(...objs)).toBeCloseTo(obj, 6);
    }
  });
  it.skipIf(!has('cbc'))('CBC reads the MPS and finds the same optimum (skipped without coinor-cbc)', () => {
    const obj = exactObjective();
    const file = join(dir, 'c.mps');
    const r = runCli(['export', 'test/fixtures/tiny.json', '--format', 'mps', '--out', file, '--pattern', 'all', '--json']);
    expect(r.code).toBe(0);
    const objs = (JSON.parse(r.stdout).patterns as Array<{ out: string }>).map((p) => {
      const c = spawnSync('cbc', [p.out, 'sec', '120', 'solve', 'quit'], { encoding: 'utf8' });
      expect(c.stdout).toMatch(/Optimal solution found|infeasible/i);
      const m = /Objective value:\s+([-+0-9.eE]+)/.exec(c.stdout);
      return m && /Optimal/.test(c.stdout) ? Number(m[1]) : Infinity;
    });
    expect(Math.min(...objs)).toBeCloseTo(obj, 6);
  });
  it('bad format: exit 2', () => {
    const r = runCli(['export', 'test/fixtures/tiny.json', '--format', 'xls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format/);
  });
});
