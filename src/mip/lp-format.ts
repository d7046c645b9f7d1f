/**
 * CPLEX LP files: a writer, and our own reader with the line and column of every syntax error.
 *
 * Supported: Minimize/Maximize (with an optional objective name and constant), Subject To (named or
 * unnamed rows, <= >= = and their variants =< => < >, constants on either side), Bounds (free, one- and
 * two-sided, =, +-inf/infinity), General/Integer, Binary, Semi-continuous (semi-integer when also General),
 * End; `\` comments; rows without terms. Not supported (an error names them): quadratic terms, SOS, ranged
 * rows. Variables never mentioned in a section still round-trip because the writer lists every variable in
 * Bounds.
 */
import { InputError } from '../errors.js';
import { combineLinearTerms, isIntegerType, isSafeName, isSemiType, validateModel, type Constraint, type Model, type RowSense, type Term, type Variable } from './model.js';

// ---------------------------------------------------------------------------------------------- writer

/** Shortest decimal that reads back as the same double (String() round-trips doubles). */
function num(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

/** Lines of at most ~100 characters: readers differ in their line limits (CPLEX documents 510). */
function wrapTerms(head: string, terms: Term[], tail: string): string[] {
  const lines: string[] = [];
  let line = head;
  terms.forEach((t, i) => {
    const sign = t.coef < 0 ? '-' : '+';
    const mag = Math.abs(t.coef);
    const piece = `${i === 0 && sign === '+' ? '' : `${sign} `}${mag === 1 ? '' : `${num(mag)} `}${t.var}`;
    if (line.length + piece.length + 1 > 100 && line.trim() !== '') {
      lines.push(line);
      line = '   ';
    }
    line += ` ${piece}`;
  });
  if (tail) {
    if (line.length + tail.length + 1 > 100) {
      lines.push(line);
      line = '   ';
    }
    line += ` ${tail}`;
  }
  lines.push(line);
  return lines;
}

/**
 * LP names for a model's names. A model holds MPS names (any token without blanks); a name that LP
 * cannot carry verbatim (`...100`, `1G0EXP`, `FLAV*1`, a keyword) gets a legal one: characters LP does
 * not allow become `_`, a leading digit or period gets a `_` prefix, and `_2`, `_3`, ... is appended
 * until it is unique among the names of its kind (variables and rows are separate namespaces in LP).
 */
export function lpNames(model: Model): { vars: Map<string, string>; rows: Map<string, string> } {
  const assign = (names: string[]): Map<string, string> => {
    const out = new Map<string, string>();
    const used = new Set(names.filter(isSafeName));
    for (const n of names) {
      if (isSafeName(n)) {
        out.set(n, n);
        continue;
      }
      let base = n.replace(/[^A-Za-z0-9_!"#$%&()/,.;?@`'{}|~]/g, '_').slice(0, 240);
      if (!/^[A-Za-z_!"#$%&()/,;?@`'{}|~]/.test(base)) base = `_${base}`;
      let cand = base;
      for (let i = 2; used.has(cand) || !isSafeName(cand); i++) cand = `${base}_${i}`;
      used.add(cand);
      out.set(n, cand);
    }
    return out;
  };
  return { vars: assign(model.variables.map((v) => v.name)), rows: assign(model.constraints.map((c) => c.name)) };
}

/** CPLEX LP text of a model; names LP cannot carry are mapped by lpNames (listed in a comment). */
export function writeLp(input: Model): string {
  validateModel(input);
  const names = lpNames(input);
  const renamed = [...names.vars, ...names.rows].filter(([a, b]) => a !== b);
  const model: Model = renamed.length === 0
    ? input
    : {
        ...input,
        objective: { ...input.objective, terms: input.objective.terms.map((t) => ({ var: names.vars.get(t.var)!, coef: t.coef })) },
        variables: input.variables.map((v) => ({ ...v, name: names.vars.get(v.name)! })),
        constraints: input.constraints.map((c) => ({ ...c, name: names.rows.get(c.name)!, terms: c.terms.map((t) => ({ var: names.vars.get(t.var)!, coef: t.coef })) })),
      };
  const firstVar = model.variables[0]?.name;
  const out: string[] = [`\\ Model ${model.name.replace(/[\r\n]/g, ' ')}`, `\\ written by scarec (CPLEX LP format)`];
  if (renamed.length > 0) out.push(`\\ ${renamed.length} names are not legal in LP and were renamed:`, ...renamed.map(([a, b]) => `\\   ${a} -> ${b}`));
  out.push(model.sense === 'minimize' ? 'Minimize' : 'Maximize');
  const obj = combineLinearTerms(model.objective.terms);
  const c = model.objective.constant ?? 0;
  // an empty objective is written as 0 * (first variable): some readers reject an empty expression
  const objTerms = obj.length === 0 && firstVar !== undefined ? [{ var: firstVar, coef: 0 }] : obj;
  const constant = c === 0 ? '' : `${c < 0 ? '-' : '+'} ${num(Math.abs(c))}`;
  for (const line of wrapTerms(' obj:', objTerms, constant)) out.push(line);
  out.push('Subject To');
  for (const row of model.constraints) {
    const terms = combineLinearTerms(row.terms);
    const op = row.sense;
    if (terms.length === 0) {
      if (firstVar === undefined) continue;
      terms.push({ var: firstVar, coef: 0 });
    }
    for (const line of wrapTerms(` ${row.name}:`, terms, `${op} ${num(row.rhs)}`)) out.push(line);
  }
  out.push('Bounds');
  for (const v of model.variables) {
    if (v.type === 'binary' && (v.lower ?? 0) <= 0 && (v.upper ?? 1) >= 1) continue;
    const lo = v.type === 'binary' ? Math.max(v.lower ?? 0, 0) : v.lower;
    const up = v.type === 'binary' ? Math.min(v.upper ?? 1, 1) : v.upper;
    if (lo === null && up === null) out.push(` ${v.name} free`);
    else if (lo !== null && up !== null && lo === up && !isSemiType(v.type)) out.push(` ${v.name} = ${num(lo)}`);
    else out.push(` ${lo === null ? '-inf' : num(lo)} <= ${v.name} <= ${up === null ? '+inf' : num(up)}`);
  }
  const generals = model.variables.filter((v) => v.type === 'integer' || v.type === 'semiinteger').map((v) => v.name);
  const binaries = model.variables.filter((v) => v.type === 'binary').map((v) => v.name);
  const semis = model.variables.filter((v) => isSemiType(v.type)).map((v) => v.name);
  if (generals.length > 0) out.push('General', ...chunk(generals));
  if (binaries.length > 0) out.push('Binary', ...chunk(binaries));
  // CPLEX LP: a semi-continuous variable listed in General as well is semi-integer
  if (semis.length > 0) out.push('Semi-continuous', ...chunk(semis));
  out.push('End', '');
  return out.join('\n');
}

function chunk(names: string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < names.length; i += 10) lines.push(` ${names.slice(i, i + 10).join(' ')}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------- reader

type TokKind = 'num' | 'name' | 'op' | 'sign' | 'colon' | 'bracket';
interface Tok {
  kind: TokKind;
  text: string;
  value: number;
  line: number;
  col: number;
  /** first token on its line (section keywords must be) */
  bol: boolean;
}

const NAME_START = /[A-Za-z_!"#$%&()/,;?@`'{}|~[\]]/;
const NAME_CHAR = /[A-Za-z0-9_!"#$%&()/,.;?@`'{}|~[\]]/;

function tokenize(text: string, file: string): Tok[] {
  const toks: Tok[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((src, li) => {
    let i = 0;
    let bol = true;
    const line = li + 1;
    const push = (kind: TokKind, t: string, value = 0) => {
      toks.push({ kind, text: t, value, line, col: i + 1, bol });
      bol = false;
    };
    while (i < src.length) {
      const ch = src[i]!;
      if (ch === ' ' || ch === '\t') {
        i++;
        continue;
      }
      if (ch === '\\') break; // comment to end of line
      const rest = src.slice(i);
      const numMatch = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
      if (numMatch) {
        push('num', numMatch[0], Number(numMatch[0]));
        i += numMatch[0].length;
        continue;
      }
      const opMatch = /^(<=|=<|>=|=>|<|>|=)/.exec(rest);
      if (opMatch) {
        const t = opMatch[0];
        push('op', t.includes('<') ? '<=' : t.includes('>') ? '>=' : '=');
        i += t.length;
        continue;
      }
      if (ch === '+' || ch === '-') {
        push('sign', ch);
        i++;
        continue;
      }
      if (ch === ':') {
        push('colon', ':');
        i++;
        continue;
      }
      if (NAME_START.test(ch) && ch !== '[' && ch !== ']') {
        let j = i + 1;
        while (j < src.length && NAME_CHAR.test(src[j]!)) j++;
        push('name', src.slice(i, j));
        i = j;
        continue;
      }
      if (ch === '[') throw new InputError('quadratic terms ([ ... ]) are not supported', `${file}:${line}:${i + 1}`);
      throw new InputError(`unexpected character ${JSON.stringify(ch)}`, `${file}:${line}:${i + 1}`);
    }
  });
  return toks;
}

type Section = 'objective' | 'constraints' | 'bounds' | 'general' | 'binary' | 'semi' | 'end';

/** Recognise a section keyword at token k (first on its line); returns the section and tokens consumed. */
function sectionAt(toks: Tok[], k: number): { section: Section | 'unsupported'; sense?: 'minimize' | 'maximize'; used: number; word?: string } | null {
  const t = toks[k]!;
  if (!t.bol || t.kind !== 'name') return null;
  const w = t.text.toLowerCase();
  const next = toks[k + 1];
  const nextWord = next && next.line === t.line && next.kind === 'name' ? next.text.toLowerCase() : '';
  // "obj: ..." after a keyword-like word is not a keyword when followed by ':' (a row named e.g. "max")
  if (next && next.line === t.line && next.kind === 'colon') return null;
  if (['minimize', 'minimise', 'minimum', 'min'].includes(w)) return { section: 'objective', sense: 'minimize', used: 1 };
  if (['maximize', 'maximise', 'maximum', 'max'].includes(w)) return { section: 'objective', sense: 'maximize', used: 1 };
  if ((w === 'subject' && nextWord === 'to') || (w === 'such' && nextWord === 'that')) return { section: 'constraints', used: 2 };
  if (['st', 's.t.', 'st.'].includes(w)) return { section: 'constraints', used: 1 };
  if (w === 'bounds' || w === 'bound') return { section: 'bounds', used: 1 };
  if (['general', 'generals', 'gen', 'integer', 'integers'].includes(w)) return { section: 'general', used: 1 };
  if (['binary', 'binaries', 'bin'].includes(w)) return { section: 'binary', used: 1 };
  if (w === 'end') return { section: 'end', used: 1 };
  if (w === 'semi' && next?.kind === 'sign' && next.text === '-' && toks[k + 2]?.line === t.line && toks[k + 2]?.text.toLowerCase() === 'continuous') return { section: 'semi', used: 3 };
  if (['semi', 'semis'].includes(w)) return { section: 'semi', used: 1 };
  if (['sos', 'sos1', 'sos2'].includes(w)) return { section: 'unsupported', used: 1, word: t.text };
  return null;
}

/** Parse a CPLEX LP file into a validated Model. `file` names the source in error messages. */
export function parseLp(text: string, file = 'model.lp'): Model {
  const toks = tokenize(text, file);
  const at = (t: Tok | undefined) => (t ? `${file}:${t.line}:${t.col}` : `${file}:${text.split(/\r?\n/).length}:1`);
  const fail = (msg: string, t: Tok | undefined): never => {
    throw new InputError(msg, at(t));
  };

  let sense: 'minimize' | 'maximize' | null = null;
  let objTerms: Term[] = [];
  let objConstant = 0;
  let objName = 'obj';
  const rows: Constraint[] = [];
  const vars = new Map<string, Variable>();
  const order: string[] = [];
  const declared = (name: string, t: Tok) => {
    if (!isSafeName(name)) fail(`"${name}" cannot be used as a name here (an LP keyword or a reserved word)`, t);
    if (!vars.has(name)) {
      vars.set(name, { name, type: 'continuous', lower: 0, upper: null });
      order.push(name);
    }
    return vars.get(name)!;
  };
  const integer = new Set<string>();
  const binary = new Set<string>();
  const semi = new Set<string>();

  let k = 0;
  let section: Section | null = null;
  const atSectionStart = () => k < toks.length && sectionAt(toks, k) !== null;

  /** linear expression: terms and a constant, until a relational operator, a section keyword or the end */
  const parseExpr = (stopAtLabel: boolean): { terms: Term[]; constant: number; first: Tok | undefined } => {
    const terms: Term[] = [];
    let constant = 0;
    const first = toks[k];
    let expectSign = false;
    while (k < toks.length) {
      const t = toks[k]!;
      if (t.kind === 'op') break;
      if (atSectionStart()) break;
      // a new row label "name:" on a new line starts the next statement
      if (stopAtLabel && t.kind === 'name' && toks[k + 1]?.kind === 'colon' && terms.length + (constant !== 0 ? 1 : 0) > 0) break;
      if (t.kind === 'bracket') fail('quadratic terms ([ ... ]) are not supported', t);
      let sgn = 1;
      let sawSign = false;
      while (toks[k]?.kind === 'sign') {
        if (toks[k]!.text === '-') sgn = -sgn;
        sawSign = true;
        k++;
      }
      if (expectSign && !sawSign) fail(`expected + or - before "${toks[k]?.text ?? t.text}"`, toks[k] ?? t);
      const u = toks[k];
      if (!u) fail('expression ends unexpectedly', t);
      if (u!.kind === 'num') {
        k++;
        const v = toks[k];
        if (v && v.kind === 'name' && !(v.bol && sectionAt(toks, k)) && toks[k + 1]?.kind !== 'colon') {
          if (['inf', 'infinity'].includes(v.text.toLowerCase())) fail('infinite coefficient', v);
          declared(v.text, v);
          terms.push({ var: v.text, coef: sgn * u!.value });
          k++;
        } else constant += sgn * u!.value;
      } else if (u!.kind === 'name') {
        if (['inf', 'infinity'].includes(u!.text.toLowerCase())) fail('infinite value in an expression', u);
        declared(u!.text, u!);
        terms.push({ var: u!.text, coef: sgn });
        k++;
      } else if (u!.kind === 'bracket') fail('quadratic terms ([ ... ]) are not supported', u);
      else fail(`unexpected "${u!.text}" in a linear expression`, u);
      expectSign = true;
    }
    return { terms, constant, first };
  };

  const parseSignedValue = (allowInf: boolean): number => {
    let sgn = 1;
    while (toks[k]?.kind === 'sign') {
      if (toks[k]!.text === '-') sgn = -sgn;
      k++;
    }
    const t = toks[k];
    if (!t) return fail('expected a number', toks[k - 1]);
    if (t.kind === 'num') {
      k++;
      return sgn * t.value;
    }
    if (t.kind === 'name' && ['inf', 'infinity'].includes(t.text.toLowerCase())) {
      if (!allowInf) fail('infinite right-hand side', t);
      k++;
      return sgn * Infinity;
    }
    return fail(`expected a number, found "${t.text}"`, t);
  };

  while (k < toks.length) {
    const sec = sectionAt(toks, k);
    if (sec) {
      if (sec.section === 'unsupported') fail(`section "${sec.word}" is not supported`, toks[k]);
      if (sec.section === 'objective') {
        if (sense !== null) fail('a second objective section', toks[k]);
        sense = sec.sense!;
      } else if (sense === null) fail('the file must start with Minimize or Maximize', toks[k]);
      k += sec.used;
      section = sec.section as Section;
      if (section === 'end') {
        if (k < toks.length) fail(`text after End`, toks[k]);
        break;
      }
      if (section === 'objective') {
        if (toks[k]?.kind === 'name' && toks[k + 1]?.kind === 'colon') {
          objName = toks[k]!.text;
          k += 2;
        }
        const e = parseExpr(false);
        if (k < toks.length && !atSectionStart()) fail(`unexpected "${toks[k]!.text}" in the objective`, toks[k]);
        objTerms = e.terms;
        objConstant = e.constant;
      }
      continue;
    }
    const t = toks[k]!;
    if (section === null) fail('the file must start with Minimize or Maximize', t);
    if (section === 'constraints') {
      let name: string | null = null;
      if (t.kind === 'name' && toks[k + 1]?.kind === 'colon') {
        name = t.text;
        if (!isSafeName(name)) fail(`"${name}" cannot be used as a row name`, t);
        k += 2;
      }
      const lhs = parseExpr(true);
      const op = toks[k];
      if (!op || op.kind !== 'op') fail(`expected <=, >= or = after the expression${name ? ` of row "${name}"` : ''}`, op ?? toks[k - 1]);
      k++;
      const rhsTok = toks[k];
      let rhs: number;
      if (rhsTok && (rhsTok.kind === 'num' || rhsTok.kind === 'sign') && !(rhsTok.kind === 'sign' && toks[k + 1]?.kind === 'name' && !['inf', 'infinity'].includes(toks[k + 1]!.text.toLowerCase()))) {
        rhs = parseSignedValue(false);
        // "x + y <= 3 + 2" is not CPLEX; a following number joined by a sign on the same line would be ambiguous
      } else if (rhsTok && rhsTok.kind === 'name' && ['inf', 'infinity'].includes(rhsTok.text.toLowerCase())) {
        return fail('infinite right-hand side', rhsTok);
      } else if (rhsTok && !rhsTok.bol && (rhsTok.kind === 'name' || rhsTok.kind === 'sign')) {
        return fail('ranged rows (a <= expr <= b) and variables on the right-hand side are not supported', rhsTok);
      } else return fail(`expected a number on the right-hand side, found ${rhsTok ? `"${rhsTok.text}"` : 'the end of the file'}`, rhsTok ?? op);
      // a row without terms (`c: = 0`, `c: 0 x >= 1`) is valid; the solve layer checks it against 0
      if (toks[k]?.kind === 'op') fail('ranged rows (a <= expr <= b) are not supported; write two rows', toks[k]);
      rows.push({ name: name ?? '', terms: combineLinearTerms(lhs.terms), sense: op!.text as RowSense, rhs: rhs - lhs.constant });
      continue;
    }
    if (section === 'bounds') {
      parseBound();
      continue;
    }
    if (section === 'general' || section === 'binary' || section === 'semi') {
      if (t.kind !== 'name') fail(`expected a variable name, found "${t.text}"`, t);
      const v = declared(t.text, t);
      (section === 'general' ? integer : section === 'binary' ? binary : semi).add(v.name);
      k++;
      continue;
    }
    fail(`unexpected "${t.text}"`, t);
  }
  if (sense === null) fail('no Minimize or Maximize section', toks[0]);
  if (section !== 'end' && toks.length > 0) {
    /* CPLEX requires End; being lenient here loses nothing */
  }

  function parseBound(): void {
    const t = toks[k]!;
    const isInfName = (x: Tok | undefined) => x?.kind === 'name' && ['inf', 'infinity'].includes(x.text.toLowerCase());
    const setBound = (v: Variable, op: string, value: number, varOnLeft: boolean, tok: Tok) => {
      // normalise to "x op value"
      const o = varOnLeft ? op : op === '<=' ? '>=' : op === '>=' ? '<=' : '=';
      if (o === '=') {
        if (!Number.isFinite(value)) fail('a variable cannot be fixed at infinity', tok);
        v.lower = value;
        v.upper = value;
      } else if (o === '<=') {
        if (value === -Infinity) fail('upper bound -inf', tok);
        v.upper = value === Infinity ? null : value;
      } else {
        if (value === Infinity) fail('lower bound +inf', tok);
        v.lower = value === -Infinity ? null : value;
      }
    };
    if (t.kind === 'name' && !isInfName(t)) {
      const v = declared(t.text, t);
      k++;
      const nx = toks[k];
      if (nx?.kind === 'name' && nx.text.toLowerCase() === 'free') {
        v.lower = null;
        v.upper = null;
        k++;
        return;
      }
      if (!nx || nx.kind !== 'op') return void fail(`expected "free", <=, >= or = after "${t.text}" in Bounds`, nx ?? t);
      k++;
      const valTok = toks[k];
      const value = parseSignedValue(true);
      setBound(v, nx.text, value, true, valTok ?? nx);
      return;
    }
    if (t.kind === 'num' || t.kind === 'sign' || isInfName(t)) {
      const value = parseSignedValue(true);
      const op = toks[k];
      if (!op || op.kind !== 'op') return void fail('expected <=, >= or = in a bound', op ?? t);
      k++;
      const vt = toks[k];
      if (!vt || vt.kind !== 'name' || isInfName(vt)) return void fail('expected a variable name in a bound', vt ?? op);
      const v = declared(vt.text, vt);
      k++;
      setBound(v, op.text, value, false, t);
      const op2 = toks[k];
      if (op2?.kind === 'op' && !op2.bol) {
        k++;
        const valTok = toks[k];
        const value2 = parseSignedValue(true);
        setBound(v, op2.text, value2, true, valTok ?? op2);
      }
      return;
    }
    fail(`unexpected "${t.text}" in Bounds`, t);
  }

  // binaries: [0, 1] unless the Bounds section narrowed them
  for (const name of binary) {
    const v = vars.get(name)!;
    v.type = 'binary';
    v.lower = Math.max(v.lower ?? 0, 0);
    v.upper = v.upper === null ? 1 : Math.min(v.upper, 1);
  }
  for (const name of integer) if (!binary.has(name)) vars.get(name)!.type = 'integer';
  // semi-continuous (semi-integer when also General): x = 0 or lower <= x <= upper, the upper bound required
  for (const name of semi) {
    const v = vars.get(name)!;
    if (v.type === 'binary') throw new InputError(`"${name}" is both Binary and Semi-continuous`, file);
    if (v.upper === null) throw new InputError(`semi-continuous variable "${name}" needs a finite upper bound in Bounds`, file);
    v.type = isIntegerType(v.type) ? 'semiinteger' : 'semicontinuous';
  }

  // unnamed rows get R1, R2, ... (skipping names in use)
  const used = new Set([...order, ...rows.map((r) => r.name).filter((n) => n !== '')]);
  let auto = 0;
  for (const r of rows) {
    if (r.name !== '') continue;
    let n: string;
    do n = `R${++auto}`;
    while (used.has(n));
    used.add(n);
    r.name = n;
  }
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.name)) throw new InputError(`duplicate row name "${r.name}"`, file);
    seen.add(r.name);
  }
  void objName;
  const model: Model = {
    name: file.replace(/^.*[\\/]/, '').replace(/\.lp$/i, '') || 'model',
    sense: sense!,
    objective: { terms: combineLinearTerms(objTerms), ...(objConstant !== 0 ? { constant: objConstant } : {}) },
    variables: order.map((n) => vars.get(n)!),
    constraints: rows,
  };
  if (!isSafeName(model.name)) model.name = 'model';
  validateModel(model, file);
  return model;
}
