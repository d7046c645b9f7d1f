import type { Constraint, Model, Term } from './model.js';

/**
 * A model's terms as typed arrays, for the solver worker: structured cloning copies typed arrays as one block,
 * while millions of small term objects (a 128-GPU placement model holds over 5 million) take seconds of the
 * main thread, which then draws no progress. Variables and rows keep their names; terms refer to variables by
 * index. `unpackModel(packModel(m)!)` equals `m`.
 */
export interface PackedModel {
  name: string;
  sense: Model['sense'];
  objectiveConstant?: number;
  variables: Model['variables'];
  rows: Array<Omit<Constraint, 'terms'>>;
  /** terms of row r are [rowStart[r], rowStart[r + 1]); the objective's terms are the last block */
  rowStart: Int32Array;
  termVar: Int32Array;
  termCoef: Float64Array;
}

/** The packed model, or undefined when a term names an undeclared variable (left to the solver's own validation). */
export function packModel(model: Model): PackedModel | undefined {
  const index = new Map<string, number>();
  model.variables.forEach((v, i) => index.set(v.name, i));
  const blocks: Term[][] = [...model.constraints.map((c) => c.terms), model.objective.terms];
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const rowStart = new Int32Array(blocks.length + 1);
  const termVar = new Int32Array(total);
  const termCoef = new Float64Array(total);
  let k = 0;
  for (let r = 0; r < blocks.length; r++) {
    rowStart[r] = k;
    for (const t of blocks[r]!) {
      const i = index.get(t.var);
      if (i === undefined) return undefined;
      termVar[k] = i;
      termCoef[k++] = t.coef;
    }
  }
  rowStart[blocks.length] = k;
  return {
    name: model.name,
    sense: model.sense,
    ...(model.objective.constant !== undefined ? { objectiveConstant: model.objective.constant } : {}),
    variables: model.variables,
    rows: model.constraints.map(({ name, sense, rhs }) => ({ name, sense, rhs })),
    rowStart,
    termVar,
    termCoef,
  };
}

export function unpackModel(p: PackedModel): Model {
  const termsOf = (r: number): Term[] => {
    const out: Term[] = [];
    for (let k = p.rowStart[r]!; k < p.rowStart[r + 1]!; k++) out.push({ var: p.variables[p.termVar[k]!]!.name, coef: p.termCoef[k]! });
    return out;
  };
  return {
    name: p.name,
    sense: p.sense,
    objective: { terms: termsOf(p.rows.length), ...(p.objectiveConstant !== undefined ? { constant: p.objectiveConstant } : {}) },
    variables: p.variables,
    constraints: p.rows.map((row, r) => ({ name: row.name, terms: termsOf(r), sense: row.sense, rhs: row.rhs })),
  };
}

export const isPackedModel = (m: Model | PackedModel): m is PackedModel => (m as PackedModel).rowStart instanceof Int32Array;
