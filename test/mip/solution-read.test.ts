import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { columnOrder, detectSolutionFormat, readSolution } from '../../src/mip/solution-read.js';
import { ModelBuilder, lin } from '../../src/mip/model.js';
import { writeLp } from '../../src/mip/lp-format.js';
import { writeMps } from '../../src/mip/mps-format.js';

const glpsolMip = `c Problem:    m
c Rows:       2
c Columns:    3
c Status:     INTEGER OPTIMAL
c
s mip 2 3 o 7.5
i 1 1
i 2 3
j 1 2
j 2 0
j 3 1.5
e o f
`;

describe('external solution files', () => {
  it('glpsol -w: columns by ordinal in the given order, status letter, objective', () => {
    const s = readSolution(glpsolMip, { columns: ['b', 'a', 'z'] });
    expect(s.format).toBe('glpsol');
    expect(s.status).toBe('optimal');
    expect(s.objective).toBe(7.5);
    expect(s.values).toEqual({ b: 2, a: 0, z: 1.5 });
    // stopped by --mipgap: GLPK writes "f", never optimal
    expect(readSolution(glpsolMip.replace('s mip 2 3 o', 's mip 2 3 f'), { columns: ['b', 'a', 'z'] }).status).toBe('feasible');
    expect(readSolution(glpsolMip.replace('s mip 2 3 o', 's mip 2 3 n'), { columns: ['b', 'a', 'z'] }).status).toBe('infeasible');
  });
  it('glpsol: a solution of another model (column count) or a bad line is an input error naming file:line', () => {
    expect(() => readSolution(glpsolMip, { columns: ['a', 'b'], file: 's.sol' })).toThrow(/s\.sol:6: the solution has 3 columns, the model map 2/);
    expect(() => readSolution(glpsolMip.replace('j 3 1.5', 'j 3 x'), { columns: ['a', 'b', 'c'], file: 's.sol' })).toThrow(/s\.sol:11: value "x"/);
    expect(() => readSolution(glpsolMip.replace('j 3 1.5', 'j 4 1'), { columns: ['a', 'b', 'c'], file: 's.sol' })).toThrow(InputError);
    expect(() => readSolution(glpsolMip, { file: 's.sol' })).toThrow(/model map/);
  });
  it('cbc solu: names, a status line (gap stops are not optimal), missing columns read as 0, ** lines', () => {
    const text = 'Optimal - objective value 4.92530693\n      0 x0_r   0   0.015\n      2 x0_g1  1   0\n**    5 y      3   0\n';
    const s = readSolution(text, { columns: ['x0_r', 'x0_g0', 'x0_g1', 'y'] });
    expect(s).toMatchObject({ format: 'cbc', status: 'optimal', objective: 4.92530693, values: { x0_r: 0, x0_g1: 1, y: 3 } });
    expect(s.values.x0_g0).toBeUndefined();
    expect(readSolution(text.replace('Optimal', 'Optimal (within gap tolerance)')).status).toBe('feasible');
    expect(readSolution(text.replace('Optimal', 'Stopped on time')).status).toBe('feasible');
    expect(readSolution('Infeasible - objective value 0\n').status).toBe('infeasible');
    expect(() => readSolution(text, { columns: ['x0_r'], file: 'c.sol' })).toThrow(/c\.sol:3: column "x0_g1" is not in the model map/);
    expect(detectSolutionFormat(text)).toBe('cbc');
    expect(detectSolutionFormat(glpsolMip)).toBe('glpsol');
  });
  it('columnOrder: MPS COLUMNS order, LP first appearance (objective first)', () => {
    const b = new ModelBuilder('order');
    const [p, q, r] = ['p', 'q', 'r'].map((n) => b.addVar(n, { type: 'integer', lower: 0, upper: 5 }));
    b.addConstraint('c1', lin.sum(r!, q!), '<=', 4);
    b.addConstraint('c2', lin.sum(p!), '>=', 1);
    b.setObjective('minimize', lin.dot([0, 0, 1], [p!, q!, r!]));
    const m = b.build();
    expect(columnOrder(writeMps(m), 'mps', ['p', 'q', 'r'])).toEqual(['p', 'q', 'r']);
    // r appears in the objective, then q in c1, then p
    expect(columnOrder(writeLp(m), 'lp', ['p', 'q', 'r'])).toEqual(['r', 'q', 'p']);
  });
});
