/**
 * MPS as other solvers write it: fixed and free format, RANGES, negative upper bounds, MARKER integer
 * sections, OBJSENSE as a section and inline, names as netlib and MIPLIB use them. Each file's optimum is
 * worked out by hand in its comment and checked with both WebAssembly backends.
 */
import { describe, expect, it } from 'vitest';
import { lpNames, parseLp, writeLp } from '../../src/mip/lp-format.js';
import { parseMps, scanMps } from '../../src/mip/mps-read.js';
import { isSafeName, type Model } from '../../src/mip/model.js';
import { solve } from '../../src/mip/solve.js';
import { readInstance } from './instances.js';

async function optimum(m: Model): Promise<number[]> {
  const out: number[] = [];
  for (const solver of ['glpk', 'highs'] as const) {
    const r = await solve(m, { solver });
    expect(r.status, `${solver}: ${r.message}`).toBe('optimal');
    out.push(r.objective!);
  }
  return out;
}

describe('MPS reading', () => {
  it('RANGES on E (both signs), L and G rows, OBJSENSE as a section: max x + y + z - w = 7 + 4 + 5 - 2', async () => {
    const m = await parseMps(
      `NAME          RNG
OBJSENSE
    MAX
ROWS
 N  obj
 E  e1
 E  e2
 L  l1
 G  g1
COLUMNS
    x         obj          1.0         e1           1.0
    y         obj          1.0         e2           1.0
    z         obj          1.0         l1           1.0
    w         obj         -1.0         g1           1.0
RHS
    RHS       e1           4.0         e2           4.0
    RHS       l1           5.0         g1           2.0
RANGES
    RNG       e1           3.0         e2          -3.0
    RNG       l1           2.0         g1          -6.0
ENDATA
`,
      'rng.mps',
    );
    // e1: [4, 7], e2: [1, 4], l1: [3, 5], g1: [2, 8]
    for (const z of await optimum(m)) expect(z).toBeCloseTo(14, 9);
    expect(m.constraints.map((c) => c.name)).toEqual(['e1_lo', 'e1_hi', 'e2_lo', 'e2_hi', 'l1_lo', 'l1_hi', 'g1_lo', 'g1_hi']);
  });

  it('a negative UP bound without a lower bound makes the lower bound -inf (min x, x >= -10, x <= -2: -10)', async () => {
    const text = `NAME          NEGUP
ROWS
 N  COST
 G  R1
COLUMNS
    X         COST         1.0         R1           1.0
    Y         COST         1.0         R1           0.0
RHS
    RHS       R1          -10.0
BOUNDS
 UP BND       X           -2.0
 LO BND       Y           -1.0
 UP BND       Y           -0.5
ENDATA
`;
    expect([...scanMps(text).lowerMinusInf]).toEqual(['X']);
    const m = await parseMps(text, 'neg.mps');
    expect(m.variables[0]).toMatchObject({ lower: null, upper: -2 });
    // Y keeps its own lower bound -1
    expect(m.variables[1]).toMatchObject({ lower: -1, upper: -0.5 });
    for (const z of await optimum(m)) expect(z).toBeCloseTo(-11, 9);
  });

  it('OBJSENSE inline in each spelling, MARKER integers with a fractional bound: max x, x <= 2.5 integer gives 2', async () => {
    for (const sense of ['OBJSENSE MAX', 'OBJSENSE MAXIMIZE', 'OBJSENSE MAXIMISE', 'OBJSENSE\n    MAX', 'OBJSENSE\n  MAXIMIZE']) {
      const m = await parseMps(`NAME INL\n${sense}\nROWS\n N obj\n L c1\nCOLUMNS\n MARKER 'MARKER' 'INTORG'\n x obj 1 c1 1\n MARKER 'MARKER' 'INTEND'\nRHS\n rhs c1 2.5\nBOUNDS\n UP bnd x 10\nENDATA\n`, 'inl.mps');
      expect(m.sense, sense).toBe('maximize');
      expect(m.variables[0]!.type).toBe('integer');
      for (const z of await optimum(m)) expect(z).toBe(2);
    }
  });

  it('fixed format with blanks inside names: read, the blanks mapped to _', async () => {
    const m = await parseMps(
      `NAME          FIXED
ROWS
 N  COST
 L  LIM 1
 G  LIM 2
COLUMNS
    X ONE     COST         1.0         LIM 1        1.0
    X ONE     LIM 2        1.0
    Y TWO     COST         2.0         LIM 1        1.0
RHS
    RHS       LIM 1        4.0         LIM 2        1.0
BOUNDS
 UP BND       Y TWO        3.0
ENDATA
`,
      'fixed.mps',
    );
    expect(m.variables.map((v) => v.name)).toEqual(['X_ONE', 'Y_TWO']);
    expect(m.constraints.map((c) => c.name)).toEqual(['LIM_1', 'LIM_2']);
    for (const z of await optimum(m)) expect(z).toBe(1);
  });

  it('netlib names (adlittle: ...100, e226: ...000) are kept; written as LP they are mapped to legal, unique names', async () => {
    const m = await readInstance('adlittle.mps.gz');
    expect(m.variables.some((v) => v.name.startsWith('...'))).toBe(true);
    const names = lpNames(m);
    const mapped = [...names.vars.values()];
    expect(new Set(mapped).size).toBe(m.variables.length);
    for (const n of [...mapped, ...names.rows.values()]) expect(isSafeName(n), n).toBe(true);
    const lp = writeLp(m);
    expect(lp).toMatch(/names are not legal in LP and were renamed/);
    const back = parseLp(lp, 'adlittle.lp');
    const [a, b] = await optimum(back);
    expect(a).toBeCloseTo(225494.96316, 4);
    expect(b).toBeCloseTo(225494.96316, 4);
  });

  it('names that clash after mapping or are LP keywords get distinct legal names', () => {
    const model: Model = {
      name: 'clash',
      sense: 'minimize',
      objective: { terms: [] },
      variables: ['FLAV*1', 'FLAV_1', '1G0EXP', 'max', '.ETHSD', 'st', '2'].map((name) => ({ name, type: 'continuous', lower: 0, upper: null })),
      constraints: [],
    };
    const { vars } = lpNames(model);
    expect(vars.get('FLAV_1')).toBe('FLAV_1');
    expect(vars.get('FLAV*1')).toBe('FLAV_1_2');
    expect(vars.get('1G0EXP')).toBe('_1G0EXP');
    expect(vars.get('.ETHSD')).toBe('_.ETHSD');
    expect(vars.get('max')).toBe('max_2');
    expect(vars.get('2')).toBe('_2');
    const back = parseLp(writeLp(model), 'clash.lp');
    expect(back.variables.map((v) => v.name)).toEqual(model.variables.map((v) => vars.get(v.name)));
  });
});
