/**
 * Reading MPS (free or fixed) through HiGHS's own reader: the file is parsed natively, then the model is
 * copied out as sparse rows with names. Ranged rows (lower < upper, both finite) become two rows,
 * `<name>_lo` and `<name>_hi`; free rows other than the objective are dropped (they constrain nothing).
 *
 * Two conventions HiGHS's reader (1.15) does not follow are applied from a scan of the text, as CPLEX and
 * CBC read them: an `UP` (or `UI`) bound with a negative value on a column without a lower bound of its own
 * makes the lower bound -inf (not 0, which would make the column's bounds empty), and OBJSENSE may be
 * written inline with any of MAX, MAXIMIZE, MAXIMISE, MIN, MINIMIZE, MINIMISE; an SC or SI bound of 0 means
 * no upper bound. The scan splits lines at blanks, so it misses these cases on fixed-format lines whose
 * names contain blanks.
 */
import { InputError } from '../errors.js';
import { loadHighs } from './backends/highs.js';
import { validateModel, type Constraint, type Model, type Variable } from './model.js';

/** What the scan of the text finds: the objective sense if OBJSENSE gives one, columns whose lower bound is -inf. */
export function scanMps(text: string): { sense: 'minimize' | 'maximize' | null; lowerMinusInf: Set<string>; semiUpperInf: Set<string> } {
  const lines = text.split(/\r?\n/);
  let section = '';
  let sense: 'minimize' | 'maximize' | null = null;
  const word = (w: string | undefined) => {
    const u = (w ?? '').toUpperCase();
    return ['MAX', 'MAXIMIZE', 'MAXIMISE'].includes(u) ? 'maximize' : ['MIN', 'MINIMIZE', 'MINIMISE'].includes(u) ? 'minimize' : null;
  };
  const negativeUp = new Set<string>();
  const hasLower = new Set<string>();
  const semiUpperInf = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('*') || line.trim() === '') continue;
    const toks = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) {
      section = toks[0]!.toUpperCase();
      if (section === 'OBJSENSE' && toks.length > 1) sense = word(toks[1]) ?? sense;
      continue;
    }
    if (section === 'OBJSENSE') sense = word(toks[0]) ?? sense;
    else if (section === 'BOUNDS' && toks.length >= 3) {
      const type = toks[0]!.toUpperCase();
      // "type bound column value" or, with the bound set name left out, "type column value"
      const numeric = (t: string | undefined) => t !== undefined && t !== '' && Number.isFinite(Number(t));
      const [col, value] = toks.length >= 4 ? [toks[2]!, toks[3]] : numeric(toks[2]) ? [toks[1]!, toks[2]] : [toks[2]!, undefined];
      if ((type === 'UP' || type === 'UI') && numeric(value) && Number(value) < 0) negativeUp.add(col);
      if (['LO', 'LI', 'MI', 'FR', 'FX', 'BV', 'SC', 'SI'].includes(type)) hasLower.add(col);
      // an SC/SI bound of 0 means no upper bound (CPLEX's reading; HiGHS would make the upper bound 0)
      if ((type === 'SC' || type === 'SI') && numeric(value) && Number(value) === 0) semiUpperInf.add(col);
    }
  }
  return { sense, lowerMinusInf: new Set([...negativeUp].filter((c) => !hasLower.has(c))), semiUpperInf };
}

export async function parseMps(text: string, file = 'model.mps'): Promise<Model> {
  const scan = scanMps(text);
  // the backend's runtime: compiling HiGHS's WebAssembly twice per process cost seconds on a loaded machine
  const h = await loadHighs();
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
    // fixed-format MPS allows blanks inside names (columns 5-12 and 15-22); they become '_' here, kept unique
    const unblank = (names: string[]) => {
      const used = new Set(names);
      return names.map((n) => {
        if (!/\s/.test(n)) return n;
        const base = n.trim().replace(/\s/g, '_') || '_';
        let c = base;
        for (let i = 2; used.has(c); i++) c = `${base}_${i}`;
        used.add(c);
        return c;
      });
    };
    const colNames = unblank(Array.from({ length: d.numCols }, (_, j) => hm!.getColName(j)));
    const rowNames = unblank(Array.from({ length: d.numRows }, (_, i) => hm!.getRowName(i)));
    const variables: Variable[] = colNames.map((name, j) => {
      const lo = scan.lowerMinusInf.has(name) ? -Infinity : d.colLower[j]!;
      const up = scan.semiUpperInf.has(name) ? Infinity : d.colUpper[j]!;
      // HiGHS integrality: 0 continuous, 1 integer, 2 semi-continuous, 3 semi-integer (SC/SI bounds)
      const kind = d.integrality.length > 0 ? d.integrality[j]! : 0;
      if (kind !== 0 && kind !== 1 && kind !== 2 && kind !== 3) throw new InputError(`column "${name}": unsupported integrality type ${kind}`, file);
      if ((kind === 2 || kind === 3) && !Number.isFinite(lo)) throw new InputError(`column "${name}": a semi-continuous column needs a finite lower bound`, file);
      const integer = kind === 1;
      const binary = integer && lo === 0 && up === 1;
      const type = kind === 2 ? 'semicontinuous' : kind === 3 ? 'semiinteger' : binary ? 'binary' : integer ? 'integer' : 'continuous';
      return { name, type, lower: Number.isFinite(lo) ? lo : null, upper: Number.isFinite(up) ? up : null };
    });
    const constraints: Constraint[] = [];
    const m = d.matrix;
    // the two halves of a ranged row get names no other row has
    const taken = new Set(rowNames);
    const fresh = (base: string) => {
      let n = base;
      for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
      taken.add(n);
      return n;
    };
    for (let i = 0; i < d.numRows; i++) {
      const terms = [];
      for (let k = m.starts[i]!; k < m.starts[i + 1]!; k++) terms.push({ var: colNames[m.indices[k]!]!, coef: m.values[k]! });
      const lo = d.rowLower[i]!;
      const up = d.rowUpper[i]!;
      const name = rowNames[i]!;
      if (Number.isFinite(lo) && Number.isFinite(up)) {
        if (lo === up) constraints.push({ name, terms, sense: '=', rhs: lo });
        else constraints.push({ name: fresh(`${name}_lo`), terms, sense: '>=', rhs: lo }, { name: fresh(`${name}_hi`), terms: terms.map((t) => ({ ...t })), sense: '<=', rhs: up });
      } else if (Number.isFinite(lo)) constraints.push({ name, terms, sense: '>=', rhs: lo });
      else if (Number.isFinite(up)) constraints.push({ name, terms, sense: '<=', rhs: up });
    }
    const objective = { terms: colNames.map((name, j) => ({ var: name, coef: d.colCost[j]! })).filter((t) => t.coef !== 0), ...(d.offset !== 0 ? { constant: d.offset } : {}) };
    const model: Model = {
      name: file.replace(/^.*[\\/]/, '').replace(/\.gz$/i, '').replace(/\.mps$/i, '') || 'model',
      sense: scan.sense ?? (d.sense === h.constants.objectiveSense.maximize ? 'maximize' : 'minimize'),
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
