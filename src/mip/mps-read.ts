/**
 * Reading MPS (free or fixed) through HiGHS's own reader: the file is parsed natively, then the model is
 * copied out as sparse rows with names. Ranged rows (lower < upper, both finite) become two rows,
 * `<name>_lo` and `<name>_hi`; free rows other than the objective are dropped (they constrain nothing).
 */
import highsLoader from 'highs';
import { InputError } from '../errors.js';
import { validateModel, type Constraint, type Model, type Variable } from './model.js';

export async function parseMps(text: string, file = 'model.mps'): Promise<Model> {
  const h = await highsLoader({});
  const logs: string[] = [];
  let hm;
  try {
    hm = h.createModel();
  } catch (e) {
    throw new InputError(`HiGHS could not start: ${(e as Error).message}`, file);
  }
  try {
    hm.options.set({ output_flag: true, log_to_console: false });
    try {
      hm.readModel({ format: 'mps', data: text });
    } catch (e) {
      throw new InputError(`not a valid MPS file (HiGHS: ${(e as Error).message})`, file);
    }
    const d = hm.getModel('csr');
    const colNames = Array.from({ length: d.numCols }, (_, j) => hm!.getColName(j));
    const rowNames = Array.from({ length: d.numRows }, (_, i) => hm!.getRowName(i));
    const variables: Variable[] = colNames.map((name, j) => {
      const lo = d.colLower[j]!;
      const up = d.colUpper[j]!;
      const integer = d.integrality.length > 0 && d.integrality[j] === 1;
      const binary = integer && lo === 0 && up === 1;
      return { name, type: binary ? 'binary' : integer ? 'integer' : 'continuous', lower: Number.isFinite(lo) ? lo : null, upper: Number.isFinite(up) ? up : null };
    });
    const constraints: Constraint[] = [];
    const m = d.matrix;
    for (let i = 0; i < d.numRows; i++) {
      const terms = [];
      for (let k = m.starts[i]!; k < m.starts[i + 1]!; k++) terms.push({ var: colNames[m.indices[k]!]!, coef: m.values[k]! });
      const lo = d.rowLower[i]!;
      const up = d.rowUpper[i]!;
      const name = rowNames[i]!;
      if (Number.isFinite(lo) && Number.isFinite(up)) {
        if (lo === up) constraints.push({ name, terms, sense: '=', rhs: lo });
        else constraints.push({ name: `${name}_lo`, terms, sense: '>=', rhs: lo }, { name: `${name}_hi`, terms: terms.map((t) => ({ ...t })), sense: '<=', rhs: up });
      } else if (Number.isFinite(lo)) constraints.push({ name, terms, sense: '>=', rhs: lo });
      else if (Number.isFinite(up)) constraints.push({ name, terms, sense: '<=', rhs: up });
    }
    const objective = { terms: colNames.map((name, j) => ({ var: name, coef: d.colCost[j]! })).filter((t) => t.coef !== 0), ...(d.offset !== 0 ? { constant: d.offset } : {}) };
    const model: Model = {
      name: file.replace(/^.*[\\/]/, '').replace(/\.mps$/i, '') || 'model',
      sense: d.sense === h.constants.objectiveSense.maximize ? 'maximize' : 'minimize',
      objective,
      variables,
      constraints,
    };
    validateModel(model, file);
    void logs;
    return model;
  } finally {
    hm.dispose();
  }
}
