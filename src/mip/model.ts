/**
 * The modelling layer: a mixed-integer linear program as plain, JSON-serialisable data, a small builder,
 * and validation. A model knows nothing about embeddings; the placement layer builds one of these.
 *
 * Infinite bounds are `null` (JSON has no Infinity): `lower: null` means -inf, `upper: null` means +inf.
 */
import { InputError } from '../errors.js';

/**
 * - semicontinuous: x = 0 or lower <= x <= upper (MPS `SC` bounds);
 * - semiinteger: the same with x integer (MPS `SI` bounds, or `SC` on a MARKER integer column).
 * HiGHS takes both natively; the other backends get the binary reformulation of proofs/mip-semi.md.
 */
export type VarType = 'continuous' | 'integer' | 'binary' | 'semicontinuous' | 'semiinteger';

/** Integer-valued types (a semi-integer column is integer wherever it is not 0). */
export function isIntegerType(t: VarType): boolean {
  return t === 'integer' || t === 'binary' || t === 'semiinteger';
}

export function isSemiType(t: VarType): boolean {
  return t === 'semicontinuous' || t === 'semiinteger';
}
export type Sense = 'minimize' | 'maximize';
export type RowSense = '<=' | '>=' | '=';

export interface Term {
  var: string;
  coef: number;
}

export interface Variable {
  name: string;
  type: VarType;
  /** null = no lower bound (-inf) */
  lower: number | null;
  /** null = no upper bound (+inf) */
  upper: number | null;
}

export interface Constraint {
  name: string;
  terms: Term[];
  sense: RowSense;
  rhs: number;
}

export interface Model {
  name: string;
  sense: Sense;
  objective: { terms: Term[]; constant?: number };
  variables: Variable[];
  constraints: Constraint[];
}

/** A linear expression under construction: sum of coef * var plus a constant. */
export interface LinearExpr {
  terms: Term[];
  constant: number;
}

/** Words an LP-file reader treats as keywords; a name equal to one of them cannot be written unambiguously. */
const RESERVED = new Set([
  'st', 's.t.', 'st.', 'subject', 'such', 'to', 'that', 'bound', 'bounds', 'bin', 'binary', 'binaries', 'gen', 'general', 'generals',
  'integer', 'integers', 'int', 'end', 'free', 'inf', 'infinity', 'min', 'max', 'minimize', 'maximize', 'minimise', 'maximise',
  'minimum', 'maximum', 'semi', 'semis', 'semi-continuous', 'sos',
]);

/**
 * Names are restricted to what CPLEX LP and free MPS can both carry verbatim: CPLEX LP's name characters
 * (letters, digits and !"#$%&()/,.;?@_`'{}|~ plus [] which common readers accept), not starting with a
 * digit or a period, no spaces, no ':' or operators.
 */
const NAME_RE = /^[A-Za-z_!"#$%&()/,;?@`'{}|~[\]][A-Za-z0-9_!"#$%&()/,.;?@`'{}|~[\]]*$/;

/** A name an LP file can carry verbatim (the LP writer maps any other name to one of these). */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && NAME_RE.test(name) && !RESERVED.has(name.toLowerCase());
}

/**
 * A name a model may hold: what MPS allows, any token without blanks or control characters (netlib and
 * MIPLIB use `...100`, `.ETHSD`, `FLAV*1`, `1G0EXP`), at most 255 characters (GLPK's limit).
 */
export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !/[\s\x00-\x1f\x7f]/.test(name);
}

/**
 * Bounds a backend should see: binaries clamped to [0, 1], integer bounds rounded inward (ceil of the
 * lower, floor of the upper: x integer and x <= 1.5 is x <= 1). A tolerance of 1e-9 relative keeps
 * 2.0000000001 at 2. The result can be empty (lower > upper): the model is then infeasible.
 */
export function effectiveBounds(v: Variable): { lower: number | null; upper: number | null } {
  let lo = v.type === 'binary' ? Math.max(v.lower ?? 0, 0) : v.lower;
  let up = v.type === 'binary' ? Math.min(v.upper ?? 1, 1) : v.upper;
  if (isIntegerType(v.type)) {
    if (lo !== null) lo = Math.ceil(lo - 1e-9 * Math.max(1, Math.abs(lo)));
    if (up !== null) up = Math.floor(up + 1e-9 * Math.max(1, Math.abs(up)));
  }
  return { lower: Object.is(lo, -0) ? 0 : lo, upper: Object.is(up, -0) ? 0 : up };
}

/** The first variable whose domain is empty (integer bounds with no integer between them), if any. */
export function emptyDomain(model: Model): Variable | undefined {
  return model.variables.find((v) => {
    if (isSemiType(v.type)) return false; // 0 is always in a semi-variable's domain
    const b = effectiveBounds(v);
    return b.lower !== null && b.upper !== null && b.lower > b.upper;
  });
}

/** Merge duplicate variables in a term list, dropping exact zeros. Order of first appearance is kept. */
export function combineLinearTerms(terms: readonly Term[]): Term[] {
  const index = new Map<string, number>();
  const out: Term[] = [];
  for (const t of terms) {
    const i = index.get(t.var);
    if (i === undefined) {
      index.set(t.var, out.length);
      out.push({ var: t.var, coef: t.coef });
    } else out[i]!.coef += t.coef;
  }
  return out.filter((t) => t.coef !== 0);
}

/** Check a model; every problem is an InputError naming the field (`where` prefix, e.g. the file name). */
export function validateModel(model: Model, where = 'model'): void {
  const fail = (field: string, msg: string): never => {
    throw new InputError(msg, `${where}: ${field}`);
  };
  if (model.sense !== 'minimize' && model.sense !== 'maximize') fail('sense', `must be "minimize" or "maximize" (got ${JSON.stringify(model.sense)})`);
  if (typeof model.name !== 'string') fail('name', 'must be a string');
  const vars = new Set<string>();
  model.variables.forEach((v, i) => {
    const f = `variables[${i}]`;
    if (typeof v.name !== 'string' || !isValidName(v.name)) fail(`${f}.name`, `${JSON.stringify(v.name)} is not a valid name (1 to 255 characters without blanks or control characters)`);
    if (vars.has(v.name)) fail(`${f}.name`, `duplicate variable name "${v.name}"`);
    vars.add(v.name);
    if (!['continuous', 'integer', 'binary', 'semicontinuous', 'semiinteger'].includes(v.type)) fail(`${f}.type`, `must be continuous, integer, binary, semicontinuous or semiinteger (got ${JSON.stringify(v.type)})`);
    for (const k of ['lower', 'upper'] as const) {
      const b = v[k];
      if (b !== null && (typeof b !== 'number' || !Number.isFinite(b))) fail(`${f}.${k}`, `must be a finite number or null for infinite (got ${String(b)})`);
    }
    if (v.lower !== null && v.upper !== null && v.lower > v.upper) fail(f, `lower bound ${v.lower} exceeds upper bound ${v.upper}`);
    if (isSemiType(v.type) && v.lower === null) fail(`${f}.lower`, `semi-continuous variable "${v.name}" needs a finite lower bound (x = 0 or lower <= x <= upper)`);
    if (v.type === 'binary' && ((v.lower !== null && v.lower < 0) || (v.upper !== null && v.upper > 1))) fail(f, `binary variable "${v.name}" must have bounds within [0, 1]`);
  });
  const checkTerms = (terms: Term[], f: string) => {
    if (!Array.isArray(terms)) fail(f, 'must be an array of {var, coef}');
    terms.forEach((t, j) => {
      if (!vars.has(t.var)) fail(`${f}[${j}].var`, `unknown variable ${JSON.stringify(t.var)}`);
      if (typeof t.coef !== 'number' || !Number.isFinite(t.coef)) fail(`${f}[${j}].coef`, `must be a finite number (got ${String(t.coef)})`);
    });
  };
  checkTerms(model.objective.terms, 'objective.terms');
  if (model.objective.constant !== undefined && !Number.isFinite(model.objective.constant)) fail('objective.constant', 'must be a finite number');
  const rows = new Set<string>();
  model.constraints.forEach((c, i) => {
    const f = `constraints[${i}]`;
    if (typeof c.name !== 'string' || !isValidName(c.name)) fail(`${f}.name`, `${JSON.stringify(c.name)} is not a valid name (1 to 255 characters without blanks or control characters)`);
    if (rows.has(c.name)) fail(`${f}.name`, `duplicate constraint name "${c.name}"`);
    rows.add(c.name);
    if (c.sense !== '<=' && c.sense !== '>=' && c.sense !== '=') fail(`${f}.sense`, `must be <=, >= or = (got ${JSON.stringify(c.sense)})`);
    if (typeof c.rhs !== 'number' || !Number.isFinite(c.rhs)) fail(`${f}.rhs`, `must be a finite number (got ${String(c.rhs)})`);
    checkTerms(c.terms, `${f}.terms`);
  });
}

/** Read a model from parsed JSON (e.g. a .json file); validates it. */
export function modelFromJson(data: unknown, where = 'model'): Model {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InputError('a model must be a JSON object', where);
  const d = data as Record<string, unknown>;
  const need = (k: string, ok: boolean) => {
    if (!ok) throw new InputError(`missing or malformed field "${k}"`, `${where}: ${k}`);
  };
  need('variables', Array.isArray(d.variables));
  need('constraints', d.constraints === undefined || Array.isArray(d.constraints));
  need('objective', typeof d.objective === 'object' && d.objective !== null && Array.isArray((d.objective as { terms?: unknown }).terms));
  (d.variables as unknown[]).forEach((v, i) => need(`variables[${i}]`, typeof v === 'object' && v !== null));
  ((d.constraints as unknown[] | undefined) ?? []).forEach((c, i) => need(`constraints[${i}]`, typeof c === 'object' && c !== null));
  const obj = d.objective as { terms: Term[]; constant?: number };
  const model: Model = {
    name: typeof d.name === 'string' ? d.name : 'model',
    sense: d.sense as Sense,
    objective: { terms: obj.terms.map((t) => ({ var: t?.var, coef: t?.coef })), ...(obj.constant !== undefined ? { constant: obj.constant } : {}) },
    variables: (d.variables as Variable[]).map((v) => ({
      name: v.name,
      type: v.type ?? 'continuous',
      lower: v.lower === undefined ? (v.type === 'binary' ? 0 : 0) : v.lower,
      upper: v.upper === undefined ? (v.type === 'binary' ? 1 : null) : v.upper,
    })),
    constraints: ((d.constraints as Constraint[] | undefined) ?? []).map((c) => ({
      name: c.name,
      sense: c.sense,
      rhs: c.rhs,
      terms: Array.isArray(c.terms) ? c.terms.map((t) => ({ var: t?.var, coef: t?.coef })) : (c.terms as unknown as Term[]),
    })),
  };
  validateModel(model, where);
  return model;
}

/** Objective value of an assignment (includes the constant). */
export function objectiveValue(model: Model, values: Record<string, number>): number {
  let z = model.objective.constant ?? 0;
  for (const t of model.objective.terms) z += t.coef * (values[t.var] ?? 0);
  return z;
}

/** Largest violation of bounds, rows and integrality by an assignment (0 when feasible). */
export function maxViolation(model: Model, values: Record<string, number>): number {
  let worst = 0;
  for (const v of model.variables) {
    const x = values[v.name] ?? 0;
    const bounds = Math.max(v.lower !== null ? v.lower - x : 0, v.upper !== null ? x - v.upper : 0);
    // a semi-variable is in its domain at 0 or within its bounds: its violation is the distance to the nearer
    worst = Math.max(worst, isSemiType(v.type) ? Math.min(Math.abs(x), bounds) : bounds);
    if (isIntegerType(v.type)) worst = Math.max(worst, Math.abs(x - Math.round(x)));
  }
  for (const c of model.constraints) {
    let lhs = 0;
    for (const t of c.terms) lhs += t.coef * (values[t.var] ?? 0);
    if (c.sense !== '>=') worst = Math.max(worst, lhs - c.rhs);
    if (c.sense !== '<=') worst = Math.max(worst, c.rhs - lhs);
  }
  return worst;
}

/**
 * The LP relaxation: every integer/binary variable becomes continuous (binaries keep [0, 1]); a
 * semi-variable relaxes to the hull of its domain, [min(0, lower), max(0, upper)].
 */
export function lpRelaxation(model: Model): Model {
  return {
    ...model,
    name: `${model.name}_relax`,
    variables: model.variables.map((v) => {
      if (isSemiType(v.type)) return { ...v, type: 'continuous', lower: Math.min(0, v.lower ?? 0), upper: v.upper === null ? null : Math.max(0, v.upper) };
      return { ...v, type: 'continuous', lower: v.type === 'binary' ? Math.max(v.lower ?? 0, 0) : v.lower, upper: v.type === 'binary' ? Math.min(v.upper ?? 1, 1) : v.upper };
    }),
  };
}

/** Phase-1 model: same feasible set, zero objective. Feasible iff the original is. */
export function feasibilityModel(model: Model): Model {
  return { ...model, name: `${model.name}_phase1`, objective: { terms: [] } };
}

export function isMip(model: Model): boolean {
  return model.variables.some((v) => v.type !== 'continuous');
}

/** Builds a Model with typed handles; names are checked as they are added. */
export class ModelBuilder {
  private readonly vars: Variable[] = [];
  private readonly rows: Constraint[] = [];
  private readonly names = new Set<string>();
  private objective: LinearExpr = { terms: [], constant: 0 };
  private sense: Sense = 'minimize';

  constructor(private readonly name = 'model') {}

  /** Adds a variable and returns its name (use it in expressions). Defaults: continuous, [0, +inf); binary [0, 1]. */
  addVar(name: string, opts: { type?: VarType; lower?: number | null; upper?: number | null } = {}): string {
    const type = opts.type ?? 'continuous';
    this.claim(name, 'variable');
    this.vars.push({ name, type, lower: opts.lower === undefined ? 0 : opts.lower, upper: opts.upper === undefined ? (type === 'binary' ? 1 : null) : opts.upper });
    return name;
  }

  /** Adds lhs (sense) rhs; constants in lhs move to the right-hand side. */
  addConstraint(name: string, lhs: LinearExpr | Term[], sense: RowSense, rhs: number): void {
    this.claim(name, 'constraint');
    const e = Array.isArray(lhs) ? { terms: lhs, constant: 0 } : lhs;
    this.rows.push({ name, terms: combineLinearTerms(e.terms), sense, rhs: rhs - e.constant });
  }

  setObjective(sense: Sense, expr: LinearExpr | Term[]): void {
    this.sense = sense;
    this.objective = Array.isArray(expr) ? { terms: expr, constant: 0 } : expr;
  }

  build(): Model {
    const model: Model = {
      name: this.name,
      sense: this.sense,
      objective: { terms: combineLinearTerms(this.objective.terms), ...(this.objective.constant !== 0 ? { constant: this.objective.constant } : {}) },
      variables: this.vars.map((v) => ({ ...v })),
      // each row's terms are already the builder's own fresh array (combineLinearTerms copies): no second copy
      // (a 128-GPU placement model holds millions of terms)
      constraints: this.rows.map((r) => ({ ...r })),
    };
    validateModel(model, this.name);
    return model;
  }

  private claim(name: string, what: string): void {
    if (!isSafeName(name)) throw new InputError(`${JSON.stringify(name)} is not a valid ${what} name`, this.name);
    if (this.names.has(name)) throw new InputError(`duplicate name "${name}"`, this.name);
    this.names.add(name);
  }
}

/** Linear expression helpers: term(3, 'x'), sum(...), scale(e, k), plus a constant. */
export const lin = {
  term: (coef: number, v: string): LinearExpr => ({ terms: [{ var: v, coef }], constant: 0 }),
  constant: (c: number): LinearExpr => ({ terms: [], constant: c }),
  sum: (...parts: Array<LinearExpr | string>): LinearExpr => {
    const terms: Term[] = [];
    let constant = 0;
    for (const p of parts) {
      if (typeof p === 'string') terms.push({ var: p, coef: 1 });
      else {
        for (const t of p.terms) terms.push(t);
        constant += p.constant;
      }
    }
    return { terms: combineLinearTerms(terms), constant };
  },
  scale: (e: LinearExpr, k: number): LinearExpr => ({ terms: e.terms.map((t) => ({ var: t.var, coef: t.coef * k })), constant: e.constant * k }),
  dot: (coefs: readonly number[], vars: readonly string[]): LinearExpr => ({ terms: combineLinearTerms(vars.map((v, i) => ({ var: v, coef: coefs[i]! }))), constant: 0 }),
};

/**
 * The binary reformulation of semi-variables (proofs/mip-semi.md) for backends without them: each
 * semi-variable x with domain {0} ∪ [l, u] becomes a plain variable on [min(0, l), max(0, u)] (integer
 * for a semi-integer one) plus a binary z with l z <= x <= u z. It needs finite l and u (u is the big M);
 * a column without a finite upper bound is refused with an InputError naming it, never solved as a
 * different model. `aux` lists the added binaries, to drop from the solution.
 */
export function reformulateSemi(model: Model, where = 'model'): { model: Model; aux: string[] } {
  const semis = model.variables.filter((v) => isSemiType(v.type));
  if (semis.length === 0) return { model, aux: [] };
  const names = new Set([...model.variables.map((v) => v.name)]);
  const rows = new Set(model.constraints.map((c) => c.name));
  const fresh = (set: Set<string>, base: string) => {
    let n = base;
    for (let i = 2; set.has(n); i++) n = `${base}_${i}`;
    set.add(n);
    return n;
  };
  const aux: string[] = [];
  const extraVars: Variable[] = [];
  const extraRows: Constraint[] = [];
  for (const v of semis) {
    if (v.upper === null)
      throw new InputError(`semi-continuous column "${v.name}" has no finite upper bound: this backend needs one for the binary reformulation (HiGHS solves such columns natively)`, `${where}: ${v.name}`);
    const l = v.lower!;
    const u = v.upper;
    const z = fresh(names, `${v.name}_on`);
    aux.push(z);
    extraVars.push({ name: z, type: 'binary', lower: 0, upper: 1 });
    extraRows.push(
      { name: fresh(rows, `${v.name}_semilo`), terms: [{ var: v.name, coef: 1 }, { var: z, coef: -l }], sense: '>=', rhs: 0 },
      { name: fresh(rows, `${v.name}_semiup`), terms: [{ var: v.name, coef: 1 }, { var: z, coef: -u }], sense: '<=', rhs: 0 },
    );
  }
  return {
    model: {
      ...model,
      variables: [
        ...model.variables.map((v): Variable => (isSemiType(v.type) ? { name: v.name, type: v.type === 'semiinteger' ? 'integer' : 'continuous', lower: Math.min(0, v.lower!), upper: Math.max(0, v.upper!) } : v)),
        ...extraVars,
      ],
      constraints: [...model.constraints, ...extraRows],
    },
    aux,
  };
}
