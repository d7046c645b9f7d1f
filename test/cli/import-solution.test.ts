import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-import-'));
const has = (bin: string) => spawnSync(bin, ['--version'], { encoding: 'utf8', input: '' }).error === undefined;
const glpsol = has('glpsol');
const cbc = spawnSync('cbc', ['-quit'], { encoding: 'utf8' }).error === undefined;
const json = (args: string[]) => {
  const r = runCli([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
};
const run = (bin: string, args: string[]) => {
  const r = spawnSync(bin, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, `${bin} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
};

// tiny: every bucket is one row (exact sums), so the MIP objective is the row-level iteration time
const TINY = 'test/fixtures/tiny.json';

describe('export writes a variable map and the gap options', () => {
  it('the map names every placement variable once (table, bucket, class) and lists every column in file order', () => {
    const out = join(dir, 'm.mps');
    const r = runCli(['export', TINY, '--format', 'mps', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--mipgap 1e-4/);
    expect(r.stderr).toMatch(/ratioGap 1e-4 sec 600/);
    expect(r.stderr).toMatch(/import-solution/);
    const map = JSON.parse(readFileSync(`${out}.map.json`, 'utf8'));
    expect(map).toMatchObject({ kind: 'scarec-model-map', version: 1, scenario: 'tiny', batch: 4, format: 'mps', gpus: 2 });
    const mps = readFileSync(out, 'utf8');
    const declared = mps.split('COLUMNS\n')[1]!.split('\nRHS')[0]!.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter((n) => !n.startsWith('MARKER'));
    expect(map.columns).toEqual([...new Set(declared)]);
    // every bucket of every table is covered: its classes' variables (W + 2 = 4 classes, rows 4 + 10)
    const byBucket = new Map<string, { n: number; rows: number }>();
    for (const e of map.placement) {
      const k = `${e.table}:${e.from}`;
      byBucket.set(k, { n: (byBucket.get(k)?.n ?? 0) + 1, rows: e.to - e.from });
    }
    expect([...byBucket.values()].every((b) => b.n === 4)).toBe(true);
    expect([...byBucket.values()].reduce((s, b) => s + b.rows, 0)).toBe(14);
    expect(new Set(map.placement.map((e: { var: string }) => e.var)).size).toBe(map.placement.length);
    for (const e of map.placement) expect(map.columns).toContain(e.var);
  }, 120_000);
});

for (const [solver, available] of [['glpsol', glpsol], ['cbc', cbc]] as const) {
  for (const format of ['mps', 'lp'] as const) {
    const title = `${solver} solves the exported ${format}; import-solution turns it into the exact optimum`;
    if (!available) {
      it.skip(`${title} (skipped: no ${solver} binary on PATH)`, () => {});
      continue;
    }
    it(title, () => {
      const model = join(dir, `t-${solver}.${format}`);
      expect(runCli(['export', TINY, '--format', format, '--out', model]).code).toBe(0);
      const sol = join(dir, `t-${solver}-${format}.sol`);
      if (solver === 'glpsol') run('glpsol', [format === 'mps' ? '--freemps' : '--lp', model, '--mipgap', '1e-9', '-w', sol]);
      else run('cbc', [model, 'ratioGap', '0', 'sec', '60', 'solve', 'solu', sol]);
      const planFile = join(dir, `t-${solver}-${format}.plan.json`);
      const imported = json(['import-solution', TINY, '--model-map', `${model}.map.json`, '--solution', sol, '--out', planFile]);
      expect(imported.solver.format).toBe(solver);
      expect(imported.solver.status).toBe('optimal');
      // the solver's objective (microseconds) is evaluate's iteration time on this one-row-per-bucket model
      expect(imported.evaluation.iterationSec * 1e6).toBeCloseTo(imported.solver.objectiveUs, 5);
      // and the optimum our own exact solve proves, at the same batch
      const exact = json(['plan', TINY, '--algo', 'exact', '--batch', '4', '--gap', '1e-9']);
      expect(imported.throughputSamplesPerSec / exact.throughputSamplesPerSec).toBeCloseTo(1, 6);
      // the plan file evaluates to the same number
      const evaluated = json(['evaluate', TINY, '--plan', planFile]);
      expect(evaluated.throughputSamplesPerSec).toBe(imported.throughputSamplesPerSec);
      expect(JSON.parse(readFileSync(planFile, 'utf8')).batch).toBe(4);
    }, 300_000);
  }
}

(glpsol ? it : it.skip)(`Terabyte (8 GPUs, 4 buckets): glpsol with the printed gap options finishes; the plan is within the certified interval${glpsol ? '' : ' (skipped: no glpsol)'}`, () => {
  const TB = 'models/criteo-terabyte-8gpu.json';
  const model = join(dir, 'tb.mps');
  expect(runCli(['export', TB, '--format', 'mps', '--buckets', '4', '--out', model]).code).toBe(0);
  const sol = join(dir, 'tb.sol');
  run('glpsol', ['--freemps', model, '--mipgap', '1e-4', '--tmlim', '100', '-w', sol]);
  const imported = json(['import-solution', TB, '--model-map', `${model}.map.json`, '--solution', sol]);
  expect(imported.evaluation.feasible).toBe(true);
  expect(imported.evaluation.globalBatch).toBe(65536);
  // stopped at the gap: never reported optimal
  expect(imported.solver.status).not.toBe('optimal');
  // no plan beats the certified row-level bound at this batch
  const exact = json(['plan', TB, '--algo', 'exact', '--batch', '65536', '--buckets', '4']);
  expect(imported.throughputSamplesPerSec).toBeLessThanOrEqual(exact.interval.throughputUpperSamplesPerSec * (1 + 1e-9));
  expect(imported.throughputSamplesPerSec).toBeGreaterThan(0.8 * exact.throughputSamplesPerSec);
}, 300_000);

describe('import-solution: bad input', () => {
  it('a map of another scenario: exit 2 naming the map field; an infeasible solution: exit 3', () => {
    const model = join(dir, 'bad.mps');
    expect(runCli(['export', TINY, '--format', 'mps', '--out', model]).code).toBe(0);
    const map = JSON.parse(readFileSync(`${model}.map.json`, 'utf8'));
    map.tables[0].rows = 5;
    const badMap = join(dir, 'bad.map.json');
    writeFileSync(badMap, JSON.stringify(map));
    const sol = join(dir, 'inf.sol');
    writeFileSync(sol, 'Infeasible - objective value 0\n');
    const r1 = runCli(['import-solution', TINY, '--model-map', badMap, '--solution', sol]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/bad\.map\.json: tables\[0\]\.rows: table "A" has 5 rows in the map, 4 in the scenario/);
    const r2 = runCli(['import-solution', TINY, '--model-map', `${model}.map.json`, '--solution', sol]);
    expect(r2.code).toBe(3);
    expect(r2.stderr).toMatch(/infeasible/);
    const wrong = join(dir, 'wrong.sol');
    writeFileSync(wrong, 'Optimal - objective value 1\n 0 x0_r 7 0\n');
    const r3 = runCli(['import-solution', TINY, '--model-map', `${model}.map.json`, '--solution', wrong]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/wrong\.sol: ranks \[0, 1\) of table A get 7 rows/);
    expect(r3.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);
});
