/**
 * proofs/mip-semi.md: semi-variables (native in HiGHS, the binary reformulation elsewhere) against
 * exhaustive enumeration; integer columns with fractional bounds; rows without terms; the second opinion
 * on infeasible and unbounded answers; jslp under the watchdog.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseLp, writeLp } from '../../src/mip/lp-format.js';
import { writeMps } from '../../src/mip/mps-format.js';
import { parseMps } from '../../src/mip/mps-read.js';
import { effectiveBounds, maxViolation, reformulateSemi, type Model, type Variable } from '../../src/mip/model.js';
import { SOLVERS } from '../../src/mip/result.js';
import { solve } from '../../src/mip/solve.js';
import { rng } from './helpers.js';
import { readInstance } from './instances.js';

/** Enumerates every integer point of a pure-integer model whose semi-integer columns take 0 or [lo, up]. */
function enumerate(model: Model): number | null {
  const doms = model.variables.map((v) => {
    const lo = Math.ceil(v.lower!);
    const up = Math.floor(v.upper!);
    const xs: number[] = [];
    for (let x = lo; x <= up; x++) xs.push(x);
    if (v.type === 'semiinteger' && !xs.includes(0)) xs.unshift(0);
    return xs;
  });
  let best: number | null = null;
  const x = new Array<number>(doms.length).fill(0);
  const rec = (j: number) => {
    if (j === doms.length) {
      const vals = Object.fromEntries(model.variables.map((v, i) => [v.name, x[i]!]));
      if (maxViolation(model, vals) > 1e-9) return;
      const z = model.objective.terms.reduce((s, t) => s + t.coef * vals[t.var]!, 0);
      if (best === null || (model.sense === 'maximize' ? z > best : z < best)) best = z;
      return;
    }
    for (const v of doms[j]!) {
      x[j] = v;
      rec(j + 1);
    }
  };
  rec(0);
  return best;
}

/** Random models: 4 columns, 2 of them semi-integer with lower bounds 2..4, fractional bounds on the others. */
function randomSemiModel(seed: number): Model {
  const r = rng(seed);
  const vars: Variable[] = Array.from({ length: 4 }, (_, j) =>
    j < 2 ? { name: `s${j}`, type: 'semiinteger', lower: 2 + Math.floor(r() * 3), upper: 6 + Math.floor(r() * 3) } : { name: `x${j}`, type: 'integer', lower: -0.5 - r(), upper: 3 + r() * 2 },
  );
  return {
    name: `semi${seed}`,
    sense: 'maximize',
    objective: { terms: vars.map((v) => ({ var: v.name, coef: Math.round((r() * 10 - 3) * 10) / 10 })) },
    variables: vars,
    constraints: [
      { name: 'cap', terms: vars.map((v) => ({ var: v.name, coef: 1 + Math.floor(r() * 4) })), sense: '<=', rhs: 10 + Math.floor(r() * 10) },
      { name: 'mix', terms: [{ var: 's0', coef: 1 }, { var: 's1', coef: -1 }, { var: 'x2', coef: 2 }], sense: '>=', rhs: -3 },
    ],
  };
}

describe('semi-integer columns against exhaustive enumeration', () => {
  for (const solver of SOLVERS) {
    it(`${solver}: 6 random models with two semi-integer columns`, async () => {
      for (let seed = 1; seed <= 6; seed++) {
        const m = randomSemiModel(seed);
        const ref = enumerate(m);
        const r = await solve(m, { solver });
        if (ref === null) expect(r.status).toBe('infeasible');
        else {
          expect(r.status, r.message).toBe('optimal');
          expect(r.objective).toBeCloseTo(ref, 6);
          // the returned point is in the semi domain: 0 or within [lower, upper]
          for (const v of m.variables.filter((x) => x.type === 'semiinteger')) {
            const x = r.values[v.name]!;
            expect(Math.abs(x) < 1e-6 || (x >= v.lower! - 1e-6 && x <= v.upper! + 1e-6)).toBe(true);
          }
          expect(Object.keys(r.values).sort()).toEqual(m.variables.map((v) => v.name).sort());
        }
      }
    });
  }

  it('the reformulation adds one binary and two rows per semi column and keeps names unique', () => {
    const m = randomSemiModel(1);
    m.variables.push({ name: 's0_on', type: 'continuous', lower: 0, upper: 1 });
    const { model, aux } = reformulateSemi(m);
    expect(aux).toEqual(['s0_on_2', 's1_on']);
    expect(model.variables.length).toBe(m.variables.length + 2);
    expect(model.constraints.length).toBe(m.constraints.length + 4);
    expect(model.variables.find((v) => v.name === 's0')!.type).toBe('integer');
  });

  it("HiGHS's semi-integer and semi-continuous examples: 8.13333 and 8.22333 (not 8.2233 for both)", async () => {
    for (const [file, z] of [['semi-integer.mps.gz', 122 / 15], ['semi-continuous.mps.gz', 8.22333]] as const) {
      const m = await readInstance(file);
      expect(m.variables.find((v) => v.name === 'x3')!.type).toBe(file.startsWith('semi-integer') ? 'semiinteger' : 'semicontinuous');
      for (const solver of SOLVERS) {
        const r = await solve(m, { solver });
        expect(r.status).toBe('optimal');
        expect(r.objective!).toBeCloseTo(z, 4);
      }
    }
  });

  it('a semi column without a finite upper bound: HiGHS solves it, the others refuse naming the column', async () => {
    const m = await parseMps(
      ['NAME SEMI', 'OBJSENSE', ' MAX', 'ROWS', ' N obj', ' L c1', 'COLUMNS', ' x obj 1 c1 1', ' y obj -1 c1 -1', 'RHS', ' rhs c1 5', 'BOUNDS', ' SC bnd x 0', ' LO bnd x 2', ' UP bnd y 3', 'ENDATA', ''].join('\n'),
      'semi.mps',
    );
    expect(m.variables[0]).toMatchObject({ name: 'x', type: 'semicontinuous', lower: 2, upper: null });
    const h = await solve(m, { solver: 'highs' });
    expect(h.status).toBe('optimal');
    expect(h.objective).toBeCloseTo(5, 9);
    for (const solver of ['glpk', 'jslp'] as const) await expect(solve(m, { solver })).rejects.toThrow(/semi-continuous column "x" has no finite upper bound/);
    await expect(solve(m, { solver: 'glpk' })).rejects.toBeInstanceOf(InputError);
  });

  it('LP and MPS writers carry semi columns: the files read back to the same optimum', async () => {
    const m = randomSemiModel(3);
    const ref = enumerate(m)!;
    const fromLp = parseLp(writeLp(m), 'semi.lp');
    expect(fromLp.variables.slice(0, 2).map((v) => v.type)).toEqual(['semiinteger', 'semiinteger']);
    const fromMps = await parseMps(writeMps(m), 'semi.mps');
    expect(fromMps.variables.slice(0, 2).map((v) => v.type)).toEqual(['semiinteger', 'semiinteger']);
    for (const mm of [fromLp, fromMps]) expect((await solve(mm, { solver: 'highs' })).objective).toBeCloseTo(ref, 6);
  });
});

describe('integer columns with fractional bounds (issue 14: GLPK said infeasible)', () => {
  const model: Model = {
    name: 'frac',
    sense: 'maximize',
    objective: { terms: [{ var: 'x', coef: 1 }, { var: 'y', coef: 1 }] },
    variables: [
      { name: 'x', type: 'integer', lower: 0, upper: 1.5 },
      { name: 'y', type: 'integer', lower: 0, upper: null },
    ],
    constraints: [{ name: 'c', terms: [{ var: 'x', coef: 1 }, { var: 'y', coef: 1 }], sense: '<=', rhs: 3 }],
  };
  for (const solver of SOLVERS) {
    it(`${solver}: max x + y, x + y <= 3, 0 <= x <= 1.5 integer is optimal 3`, async () => {
      const r = await solve(model, { solver });
      expect(r.status, r.message).toBe('optimal');
      expect(r.objective).toBe(3);
      expect(r.values.x).toBeLessThanOrEqual(1);
    });
  }

  it('bounds round inward with a 1e-9 relative tolerance; an empty integer range is infeasible without a solver', async () => {
    expect(effectiveBounds({ name: 'a', type: 'integer', lower: -0.5, upper: 2.0000000001 })).toEqual({ lower: 0, upper: 2 });
    expect(effectiveBounds({ name: 'a', type: 'integer', lower: 0.2, upper: 0.8 })).toEqual({ lower: 1, upper: 0 });
    expect(effectiveBounds({ name: 'a', type: 'continuous', lower: 0.2, upper: 0.8 })).toEqual({ lower: 0.2, upper: 0.8 });
    const m: Model = { ...model, variables: [{ name: 'x', type: 'integer', lower: 0.2, upper: 0.8 }, model.variables[1]!] };
    for (const solver of SOLVERS) {
      const r = await solve(m, { solver });
      expect(r.status).toBe('infeasible');
      expect(r.message).toMatch(/"x" has no integer value within \[0.2, 0.8\]/);
    }
  });

  it('random fractional bounds: every backend matches enumeration (8 models)', async () => {
    for (let seed = 11; seed <= 18; seed++) {
      const m = randomSemiModel(seed);
      const plain: Model = { ...m, variables: m.variables.map((v) => (v.type === 'semiinteger' ? { ...v, type: 'integer', lower: v.lower! - 0.7, upper: v.upper! + 0.6 } : v)) };
      const ref = enumerate(plain);
      for (const solver of SOLVERS) {
        const r = await solve(plain, { solver });
        if (ref === null) expect(r.status).toBe('infeasible');
        else expect(r.objective, `${solver} seed ${seed}`).toBeCloseTo(ref, 6);
      }
    }
  });
});

describe('rows without terms', () => {
  it('`c: = 0` is valid LP and constrains nothing; `c: 0 x >= 1` is infeasible, reported with the row', async () => {
    const ok = parseLp('Maximize\n obj: x\nSubject To\n c: = 0\n d: x <= 4\nEnd\n', 'ok.lp');
    expect(ok.constraints[0]).toMatchObject({ name: 'c', terms: [], sense: '=', rhs: 0 });
    const bad = parseLp('Maximize\n obj: x\nSubject To\n c: 0 x >= 1\n d: x <= 4\nEnd\n', 'bad.lp');
    expect(bad.constraints[0]!.terms).toEqual([]);
    for (const solver of SOLVERS) {
      const r = await solve(ok, { solver });
      expect(r.status).toBe('optimal');
      expect(r.objective).toBe(4);
      const s = await solve(bad, { solver });
      expect(s.status).toBe('infeasible');
      expect(s.message).toContain('row "c" has no terms and requires 0 >= 1');
    }
  });
});

describe('a second opinion before infeasible or unbounded is final', () => {
  it('a proven infeasibility is confirmed by the other backend', async () => {
    const m = parseLp('Minimize\n obj: x\nSubject To\n c1: x + y >= 3\n c2: x + y <= 2\nEnd\n', 'inf.lp');
    for (const [solver, other] of [['glpk', 'highs'], ['highs', 'glpk'], ['jslp', 'highs']] as const) {
      const r = await solve(m, { solver });
      expect(r.status).toBe('infeasible');
      expect(r.message).toBe(`infeasible, confirmed by ${other}`);
    }
    const u = parseLp('Maximize\n obj: x\nSubject To\n c1: x - y <= 1\nEnd\n', 'unb.lp');
    expect((await solve(u, { solver: 'glpk' })).message).toBe('unbounded, confirmed by highs');
  });

  it("jslp's wrong infeasible on HiGHS's 2122 instance is caught: not infeasible, an error naming the disagreement", async () => {
    const m = await readInstance('2122.lp.gz');
    const r = await solve(m, { solver: 'jslp' });
    // jslp 1.0.3 calls this model infeasible; HiGHS finds a feasible point of it
    expect(r.status).not.toBe('infeasible');
    if (r.status === 'error') expect(r.message).toMatch(/jslp reported infeasible, but highs found a feasible point/);
    else expect(r.objective).toBeCloseTo(-187612.944194, 0);
  }, 180_000);

  it('jslp runs under the worker watchdog when a time limit is set: it returns near the limit', async () => {
    const m = await readInstance('2122.lp.gz');
    const t0 = performance.now();
    const r = await solve(m, { solver: 'jslp', timeLimitSec: 1 });
    const sec = (performance.now() - t0) / 1e3;
    expect(['timelimit', 'error']).toContain(r.status);
    expect(r.status === 'timelimit' ? r.objective : null).toBeNull();
    // the watchdog stops it at 1.25 x 1 s + 2 s; the margin covers starting a worker on a loaded machine
    expect(sec).toBeLessThan(60);
  }, 120_000);
});
