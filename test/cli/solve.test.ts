import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLp } from '../../src/mip/lp-format.js';
import { writeMps } from '../../src/mip/mps-format.js';
import { knapsack, bruteForce } from '../mip/helpers.js';

import { run as runScarec } from '../../src/cli/program.js';

/**
 * Runs `scarec solve ...` in-process (a child process per case costs seconds of transpiling on a shared
 * machine) through the CLI's entry function, the one src/cli/main.ts calls, with stdout/stderr captured.
 */
async function run(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runScarec(['solve', ...args], { stdout: { write: (c: string) => (stdout += c) }, stderr: { write: (c: string) => (stderr += c) } });
  return { status, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'scarec-solve-'));
const model = knapsack(14, 2);
const optimum = bruteForce(model)!.objective;
const lpFile = join(dir, 'k.lp');
writeFileSync(lpFile, writeLp(model));
writeFileSync(join(dir, 'k.mps'), writeMps(model));
writeFileSync(join(dir, 'k.json'), JSON.stringify(model));

describe('scarec solve', () => {
  it('solves LP, MPS and JSON files to the enumerated optimum (--json)', async () => {
    for (const f of ['k.lp', 'k.mps', 'k.json']) {
      const r = await run(join(dir, f), '--json', '--solver', 'highs');
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toBe('optimal');
      expect(out.objective).toBeCloseTo(optimum, 9);
    }
  });

  it('--solver all reports agreement and prints non-zero variables', async () => {
    const r = await run(lpFile, '--solver', 'all');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/solvers agree: optimal, objective/);
    expect(r.stdout).toMatch(/glpk .*optimal/);
    expect(r.stdout).toMatch(/highs .*optimal/);
    expect(r.stdout).toMatch(/jslp .*optimal/);
    expect(r.stdout).toMatch(/non-zero variables/);
  });

  it('exit 3 with the status printed for infeasible and unbounded models', async () => {
    const inf = join(dir, 'inf.lp');
    writeFileSync(inf, 'Minimize\n obj: x\nSubject To\n c1: x >= 3\n c2: x <= 2\nEnd\n');
    const unb = join(dir, 'unb.lp');
    writeFileSync(unb, 'Maximize\n obj: x + y\nSubject To\n c1: x - y <= 1\nGeneral\n x\nEnd\n');
    for (const [file, status] of [[inf, 'infeasible'], [unb, 'unbounded']] as const) {
      for (const solver of ['glpk', 'highs', 'jslp']) {
        const r = await run(file, '--solver', solver);
        expect(r.status, `${solver} ${status}`).toBe(3);
        expect(r.stdout).toContain(status);
      }
    }
  });

  it('exit 2 with file, line and column for an LP syntax error; no stack trace', async () => {
    const bad = join(dir, 'bad.lp');
    writeFileSync(bad, 'Minimize\n obj: x + y\nSubject To\n c1: x + y <= \n c2: x >= 1\nEnd\n');
    const r = await run(bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:5:2`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exit 2 for bad options and unknown file types', async () => {
    expect((await run(lpFile, '--solver', 'cplex')).status).toBe(2);
    expect((await run(lpFile, '--time-limit', 'soon')).status).toBe(2);
    const txt = join(dir, 'k.txt');
    writeFileSync(txt, 'x');
    expect((await run(txt)).status).toBe(2);
    expect((await run(join(dir, 'missing.lp'))).status).toBe(2);
  });

  it('reads .mps.gz and .lp.gz; a truncated .gz is exit 2 naming the file', async () => {
    const mpsGz = join(import.meta.dirname, '../mip/instances/afiro.mps.gz');
    const r = await run(mpsGz, '--json', '--solver', 'glpk');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).objective).toBeCloseTo(-464.75314286, 6);
    const lpGz = join(dir, 'k.lp.gz');
    writeFileSync(lpGz, gzipSync(writeLp(model)));
    const l = await run(lpGz, '--json', '--solver', 'highs');
    expect(l.status, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout).objective).toBeCloseTo(optimum, 9);
    const cut = join(dir, 'cut.mps.gz');
    const whole = readFileSync(mpsGz);
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const c = await run(cut);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain(cut);
    expect(c.stderr).toMatch(/not a valid gzip file/);
  });

  it('issue 14: an integer column with a fractional bound is optimal 3 with every solver, exit 0', async () => {
    const f = join(dir, 'frac.lp');
    writeFileSync(f, 'Maximize\n obj: x + y\nSubject To\n c: x + y <= 3\nBounds\n 0 <= x <= 1.5\nGeneral\n x y\nEnd\n');
    const r = await run(f, '--solver', 'all', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.agree).toBe(true);
    for (const x of out.results) expect([x.solver, x.status, x.objective]).toEqual([x.solver, 'optimal', 3]);
  });

  it('a semi-continuous column without an upper bound: exit 2 naming it for glpk, solved natively by highs', async () => {
    const f = join(dir, 'semi.mps');
    writeFileSync(f, ['NAME SEMI', 'OBJSENSE MAX', 'ROWS', ' N obj', ' L c1', 'COLUMNS', ' x obj 1 c1 1', 'RHS', ' rhs c1 5', 'BOUNDS', ' SC bnd x 0', ' LO bnd x 2', 'ENDATA', ''].join('\n'));
    const g = await run(f, '--solver', 'glpk');
    expect(g.status).toBe(2);
    expect(g.stderr).toMatch(/semi-continuous column "x" has no finite upper bound/);
    expect(g.stderr).toContain(f);
    const h = await run(f, '--solver', 'highs', '--json');
    expect(h.status, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout).objective).toBe(5);
    const all = await run(f, '--solver', 'all', '--json');
    expect(all.status, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout).skipped).toEqual(['glpk', 'jslp']);
  });

  it('a row without terms that 0 violates: exit 3, the row named', async () => {
    const f = join(dir, 'empty.lp');
    writeFileSync(f, 'Minimize\n obj: x\nSubject To\n c: 0 x >= 1\nEnd\n');
    const r = await run(f, '--solver', 'highs');
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('row "c" has no terms and requires 0 >= 1');
  });
});
