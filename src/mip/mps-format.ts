/**
 * Free MPS writer. Conventions chosen for portability between HiGHS, CBC and GLPK:
 * - OBJSENSE section with MAX for maximisation (MIN is the default);
 * - the objective constant c is written as RHS of the objective row equal to -c (the usual convention:
 *   objective = sum c_j x_j - rhs_obj);
 * - integer columns between MARKER INTORG/INTEND, with explicit bounds (old readers give integers
 *   without bounds an upper bound of 1);
 * - every column appears in COLUMNS, with an explicit 0 objective entry if it has no coefficients.
 */
import { combineLinearTerms, isSemiType, validateModel, type Model } from './model.js';

function num(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

export interface MpsWriteOptions {
  /**
   * true (default): maximisation as an OBJSENSE MAX section (HiGHS, CPLEX). false: write the minimisation of
   * -objective instead, for readers without OBJSENSE (GLPK's glpsol rejects it, the cbc binary ignores it);
   * the optimum of the file is then the negated optimum of the model.
   */
  objsense?: boolean;
}

export function writeMps(input: Model, opts: MpsWriteOptions = {}): string {
  validateModel(input);
  const negate = input.sense === 'maximize' && opts.objsense === false;
  const model: Model = negate
    ? {
        ...input,
        sense: 'minimize',
        objective: { terms: input.objective.terms.map((t) => ({ var: t.var, coef: -t.coef })), ...(input.objective.constant ? { constant: -input.objective.constant } : {}) },
      }
    : input;
  const objRow = uniqueObjectiveName(model);
  const out: string[] = [`* Model ${model.name.replace(/[\r\n]/g, ' ')}, written by scarec (free MPS)`];
  if (negate) out.push('* maximisation written as the minimisation of -objective');
  out.push(`NAME ${model.name.replace(/\s+/g, '_') || 'model'}`);
  if (model.sense === 'maximize') out.push('OBJSENSE', '    MAX');
  out.push('ROWS', ` N ${objRow}`);
  for (const c of model.constraints) out.push(` ${c.sense === '<=' ? 'L' : c.sense === '>=' ? 'G' : 'E'} ${c.name}`);

  // column-wise entries
  const entries = new Map<string, Array<[string, number]>>();
  for (const v of model.variables) entries.set(v.name, []);
  for (const t of combineLinearTerms(model.objective.terms)) entries.get(t.var)!.push([objRow, t.coef]);
  for (const c of model.constraints) for (const t of combineLinearTerms(c.terms)) entries.get(t.var)!.push([c.name, t.coef]);

  out.push('COLUMNS');
  let inInt = false;
  let marker = 0;
  for (const v of model.variables) {
    // a semi-integer column is declared by its SI bound (SC on a MARKER column is read differently by readers)
    const isInt = v.type === 'integer' || v.type === 'binary';
    if (isInt !== inInt) {
      out.push(`    MARKER${marker} 'MARKER' '${isInt ? 'INTORG' : 'INTEND'}'`);
      marker++;
      inInt = isInt;
    }
    const e = entries.get(v.name)!;
    if (e.length === 0) out.push(`    ${v.name} ${objRow} 0`);
    for (const [row, coef] of e) out.push(`    ${v.name} ${row} ${num(coef)}`);
  }
  if (inInt) out.push(`    MARKER${marker} 'MARKER' 'INTEND'`);

  out.push('RHS');
  const constant = model.objective.constant ?? 0;
  if (constant !== 0) out.push(`    RHS ${objRow} ${num(-constant)}`);
  for (const c of model.constraints) if (c.rhs !== 0) out.push(`    RHS ${c.name} ${num(c.rhs)}`);

  out.push('BOUNDS');
  for (const v of model.variables) {
    const lo = v.type === 'binary' ? Math.max(v.lower ?? 0, 0) : v.lower;
    const up = v.type === 'binary' ? Math.min(v.upper ?? 1, 1) : v.upper;
    if (isSemiType(v.type)) {
      // SC/SI carry the upper bound (inf: none); LO the semi lower bound
      out.push(` ${v.type === 'semiinteger' ? 'SI' : 'SC'} BND ${v.name} ${up === null ? 'inf' : num(up)}`);
      if (lo !== null && lo !== 0) out.push(` LO BND ${v.name} ${num(lo)}`);
      continue;
    }
    if (lo !== null && up !== null && lo === up) {
      out.push(` FX BND ${v.name} ${num(lo)}`);
      continue;
    }
    if (lo === null && up === null) {
      out.push(` FR BND ${v.name}`);
      continue;
    }
    if (lo === null) out.push(` MI BND ${v.name}`);
    else if (lo !== 0 || v.type !== 'continuous') out.push(` LO BND ${v.name} ${num(lo)}`);
    if (up === null) {
      if (v.type !== 'continuous') out.push(` PL BND ${v.name}`);
    } else out.push(` UP BND ${v.name} ${num(up)}`);
  }
  out.push('ENDATA', '');
  return out.join('\n');
}

/** The objective row needs a name no constraint uses. */
function uniqueObjectiveName(model: Model): string {
  const names = new Set(model.constraints.map((c) => c.name));
  let n = 'obj';
  let i = 0;
  while (names.has(n)) n = `obj_${++i}`;
  return n;
}
