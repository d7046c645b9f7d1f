import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import highsLoader from 'highs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseLp, writeLp } from '../../src/mip/lp-format.js';
import { modelFromJson, type Model } from '../../src/mip/model.js';
import { writeMps } from '../../src/mip/mps-format.js';
import { parseMps } from '../../src/mip/mps-read.js';
import { solve } from '../../src/mip/solve.js';
import { knapsack } from './helpers.js';

/** A model with every feature: binaries, bounded and free integers, free and negative-bounded continuous, all row senses, a constant. */
const mixed: Model = {
  name: 'mixed',
  sense: 'maximize',
  objective: { terms: [{ var: 'x0', coef: 24 }, { var: 'x1', coef: 13 }, { var: 'y', coef: 1.5 }, { var: 'z', coef: 0.5 }, { var: 'w', coef: -0.25 }], constant: 10 },
  variables: [
    { name: 'x0', type: 'binary', lower: 0, upper: 1 },
    { name: 'x1', type: 'binary', lower: 0, upper: 1 },
    { name: 'y', type: 'integer', lower: -3, upper: 7 },
    { name: 'z', type: 'continuous', lower: null, upper: null },
    { name: 'w', type: 'continuous', lower: -2.5, upper: null },
    { name: 'unused', type: 'continuous', lower: 1, upper: 2 },
  ],
  constraints: [
    { name: 'cap', terms: [{ var: 'x0', coef: 12 }, { var: 'x1', coef: 7 }], sense: '<=', rhs: 15 },
    { name: 'c2', terms: [{ var: 'y', coef: 2 }, { var: 'z', coef: -1 }], sense: '>=', rhs: -4.5 },
    { name: 'c3', terms: [{ var: 'y', coef: 1 }, { var: 'z', coef: 1 }, { var: 'w', coef: 1e-3 }], sense: '<=', rhs: 3.25 },
    { name: 'eq', terms: [{ var: 'w', coef: 1 }, { var: 'x1', coef: 1 }], sense: '=', rhs: 0.5 },
  ],
};
// Optimum by hand: x0 = 1 (cap 12 <= 15 leaves x1 = 0: 12 + 7 > 15), so w = 0.5 (eq), z <= 2y + 4.5 and
// y + z <= 3.25 - 0.0005; 1.5y + 0.5z is maximised at y = 7 with z = 3.2495 - 7 = -3.7505.
const mixedOptimum = 10 + 24 + 1.5 * 7 + 0.5 * (3.25 - 0.0005 - 7) - 0.25 * 0.5;

describe('CPLEX LP writer and reader', () => {
  it('round trip LP -> model -> LP is exact and keeps the optimum', async () => {
    const text = writeLp(mixed);
    const back = parseLp(text, 'mixed.lp');
    expect(back).toEqual(mixed);
    expect(writeLp(back)).toBe(text);
    const r = await solve(back, { solver: 'highs' });
    expect(r.objective).toBeCloseTo(mixedOptimum, 9);
  });

  it('HiGHS reads our LP and MPS files natively and finds the same optimum', async () => {
    const h = await highsLoader({});
    for (const m of [mixed, knapsack(20, 5)]) {
      const ours = await solve(m, { solver: 'glpk' });
      for (const [format, data] of [['lp', writeLp(m)], ['mps', writeMps(m)]] as const) {
        const hm = h.createModel({ format, data });
        try {
          hm.options.set({ output_flag: false, mip_rel_gap: 0 });
          hm.run();
          expect(hm.getModelStatus(), `${m.name} ${format}`).toBe(h.constants.modelStatus.optimal);
          expect(hm.getObjectiveValue(), `${m.name} ${format}`).toBeCloseTo(ours.objective!, 7);
        } finally {
          hm.dispose();
        }
      }
    }
  });

  it('MPS read back through HiGHS gives the same model up to row order', async () => {
    const back = await parseMps(writeMps(mixed), 'mixed.mps');
    expect(back.sense).toBe('maximize');
    expect(back.objective.constant).toBe(10);
    expect(back.variables).toEqual(mixed.variables);
    expect((await solve(back, { solver: 'glpk' })).objective).toBeCloseTo(mixedOptimum, 9);
  });

  it('reads hand-written LP: unnamed rows, constants on the left, reversed bounds, comments, keyword variants', () => {
    const m = parseLp(
      [
        '\\ a comment',
        'MAXIMISE',
        ' profit: 2 a + 3b - c + 4',
        'ST',
        ' a + b + 1 =< 5   \\ constant moves to the rhs',
        ' -2 a + c => -3',
        ' c: b - c = 0.5e0',
        'BOUNDS',
        ' 3 >= a',
        ' -inf <= c <= 10',
        ' b <= 4',
        'GENERALS',
        ' a',
        'END',
      ].join('\n'),
      'hand.lp',
    );
    expect(m.sense).toBe('maximize');
    expect(m.objective).toEqual({ terms: [{ var: 'a', coef: 2 }, { var: 'b', coef: 3 }, { var: 'c', coef: -1 }], constant: 4 });
    expect(m.constraints.map((c) => [c.name, c.sense, c.rhs])).toEqual([
      ['R1', '<=', 4],
      ['R2', '>=', -3],
      ['c', '=', 0.5],
    ]);
    expect(m.variables).toEqual([
      { name: 'a', type: 'integer', lower: 0, upper: 3 },
      { name: 'b', type: 'continuous', lower: 0, upper: 4 },
      { name: 'c', type: 'continuous', lower: null, upper: 10 },
    ]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['Minimize\n obj: x + y\nSubject To\n c1: x + y <=\nEnd\n', 'bad.lp:5:1', /right-hand side/],
    ['Minimize\n obj: 2 x y\nEnd\n', 'bad.lp:2:11', /expected \+ or -/],
    ['Minimize\n obj: x\nSubject To\n c1: x + y * 3\nEnd\n', 'bad.lp:4:12', /unexpected character/],
    ['Subject To\n c1: x <= 3\nEnd\n', 'bad.lp:1:1', /Minimize or Maximize/],
    ['Minimize\n obj: x\nSubject To\n c1: x + [ x ^ 2 ] <= 3\nEnd\n', 'bad.lp:4:10', /quadratic/],
    ['Minimize\n obj: x\nBounds\n x <= y\nEnd\n', 'bad.lp:4:7', /expected a number/],
    ['Minimize\n obj: x\nSubject To\n c1: -1 <= x <= 3\nEnd\n', 'bad.lp:4:12', /ranged rows/],
  ];
  for (const [text, where, msg] of bad) {
    it(`syntax error at ${where}: ${msg.source}`, () => {
      let err: unknown;
      try {
        parseLp(text, 'bad.lp');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).where).toBe(where);
      expect((err as Error).message).toMatch(msg);
    });
  }

  it('JSON models: null bounds mean infinite; bad fields are named', () => {
    const m = modelFromJson(JSON.parse(JSON.stringify(mixed)), 'mixed.json');
    expect(m).toEqual(mixed);
    expect(() => modelFromJson({ ...mixed, variables: [...mixed.variables, { name: 'x0', type: 'binary' }] }, 'f.json')).toThrow(/f\.json: variables\[6\]\.name: duplicate/);
    expect(() => modelFromJson({ ...mixed, constraints: [{ name: 'r', terms: [{ var: 'q', coef: 1 }], sense: '<=', rhs: 1 }] }, 'f.json')).toThrow(/constraints\[0\]\.terms\[0\]\.var: unknown variable/);
    expect(() => modelFromJson({ ...mixed, variables: [{ name: 'bad name', type: 'continuous', lower: 0, upper: 1 }] }, 'f.json')).toThrow(/not a valid name/);
  });
});

/** External solvers: glpsol (GLPK) and cbc (COIN-OR) read our files when they are installed. */
function has(bin: string): boolean {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

describe('external readers (glpsol, cbc)', () => {
  // GLPK's LP reader rejects an objective constant and its MPS reader rejects OBJSENSE; cbc ignores
  // OBJSENSE. The files they get are therefore minimisations without a constant.
  const m = knapsack(18, 9);
  const minModel: Model = { ...m, sense: 'minimize', objective: { terms: m.objective.terms.map((t) => ({ ...t, coef: -t.coef })) } };
  const dir = mkdtempSync(join(tmpdir(), 'scarec-mip-'));
  const lpFile = join(dir, 'k.lp');
  const mpsFile = join(dir, 'k.mps');
  writeFileSync(lpFile, writeLp(minModel));
  writeFileSync(mpsFile, writeMps(m, { objsense: false }));

  it.skipIf(!has('glpsol'))('glpsol reads our LP and free MPS (skipped when glpsol is not installed: apt-get install glpk-utils)', async () => {
    const ref = (await solve(minModel, { solver: 'highs' })).objective!;
    for (const args of [['--lp', lpFile], ['--freemps', mpsFile]]) {
      const out = execFileSync('glpsol', [...args, '-o', '/dev/stdout'], { encoding: 'utf8' });
      const z = Number(/Objective:\s+\S+\s+=\s+(\S+)/.exec(out)?.[1]);
      expect(z, args[0]).toBeCloseTo(ref, 6);
    }
  });

  it.skipIf(!has('cbc'))('cbc reads our LP and free MPS (skipped when cbc is not installed: apt-get install coinor-cbc)', async () => {
    const ref = (await solve(minModel, { solver: 'highs' })).objective!;
    for (const file of [lpFile, mpsFile]) {
      const out = execFileSync('cbc', [file, 'solve', 'quit'], { encoding: 'utf8' });
      const z = Number(/Objective value:\s+(\S+)/.exec(out)?.[1]);
      expect(z, file).toBeCloseTo(ref, 6);
    }
  });
});
