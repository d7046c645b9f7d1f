/**
 * Readers for the solution files of external solvers, so a model exported with `writeMps`/`writeLp` and solved
 * by `glpsol` or `cbc` can come back: variable values by name and the solver's own status. Generic: knows
 * nothing about what the variables mean (the caller maps names back).
 *
 * - glpsol `-w FILE` (`--write`, GLPK's plain text solution format, GLPK >= 4.57): comment lines `c ...`, one
 *   solution line `s mip ROWS COLS STATUS OBJ` (or `s bas ROWS COLS PRIM DUAL OBJ`, `s ipt ROWS COLS STATUS
 *   OBJ` for an LP), rows `i ...` and columns `j COL VALUE ...` **by ordinal**: the caller passes the column
 *   names in the order the model file declares them (for free MPS the COLUMNS order, see `columnOrder`).
 * - cbc `solu FILE`: a status line (`Optimal - objective value 4.93`, `Stopped on time - objective value ...`,
 *   `Infeasible - ...`), then `INDEX NAME VALUE REDUCED_COST` per column (columns at zero with zero reduced cost
 *   are left out: they read as 0); a line starting with `**` marks a value outside its bounds.
 */
import { InputError } from '../errors.js';

export type SolutionFormat = 'glpsol' | 'cbc';

/** optimal: the solver says so (within ITS gap setting); feasible: a solution, not proven (stopped early) */
export type ExternalStatus = 'optimal' | 'feasible' | 'infeasible' | 'unbounded' | 'unknown';

export interface ExternalSolution {
  format: SolutionFormat;
  status: ExternalStatus;
  /** the solver's own words (cbc's status line, glpsol's status letter spelt out) */
  solverStatus: string;
  objective: number | null;
  /** values by variable name; a variable the file leaves out is 0 (cbc prints non-zeros only) */
  values: Record<string, number>;
}

/** glpsol's status letters (glp_write_mip / glp_write_sol). */
const GLPK_STATUS: Record<string, [ExternalStatus, string]> = {
  o: ['optimal', 'INTEGER OPTIMAL / OPTIMAL'],
  f: ['feasible', 'FEASIBLE (not proven optimal)'],
  n: ['infeasible', 'NO (PRIMAL) FEASIBLE SOLUTION'],
  i: ['unknown', 'INFEASIBLE (intermediate)'],
  u: ['unknown', 'UNDEFINED'],
};

export function detectSolutionFormat(text: string): SolutionFormat {
  const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return /^[cs]\s/.test(first) || /^[cs]$/.test(first.trim()) ? 'glpsol' : 'cbc';
}

/**
 * Parse a solution file. `columns` (the model's column names in file order) is needed for glpsol's ordinal
 * columns and used to reject a solution of another model (column count or unknown names).
 */
export function readSolution(text: string, opts: { file?: string; format?: SolutionFormat; columns?: readonly string[] } = {}): ExternalSolution {
  const file = opts.file ?? 'solution';
  const format = opts.format ?? detectSolutionFormat(text);
  return format === 'glpsol' ? readGlpsol(text, file, opts.columns) : readCbc(text, file, opts.columns);
}

function num(tok: string | undefined, file: string, line: number, what: string): number {
  const v = tok === undefined ? NaN : Number(tok);
  if (!Number.isFinite(v)) throw new InputError(`${what} "${tok ?? ''}" is not a finite number`, `${file}:${line}`);
  return v;
}

function readGlpsol(text: string, file: string, columns: readonly string[] | undefined): ExternalSolution {
  if (!columns) throw new InputError('a glpsol solution numbers its columns: the model map (column names in file order) is needed', file);
  const lines = text.split('\n');
  let kind: 'mip' | 'bas' | 'ipt' | undefined;
  let status: ExternalStatus = 'unknown';
  let solverStatus = '';
  let objective: number | null = null;
  const values: Record<string, number> = {};
  lines.forEach((raw, k) => {
    const line = raw.trim();
    const at = k + 1;
    if (line === '' || line.startsWith('c')) return;
    const t = line.split(/\s+/);
    if (t[0] === 's') {
      kind = t[1] as typeof kind;
      if (kind !== 'mip' && kind !== 'bas' && kind !== 'ipt') throw new InputError(`unknown solution kind "${t[1]}" (mip, bas or ipt)`, `${file}:${at}`);
      const cols = num(t[3], file, at, 'column count');
      if (cols !== columns.length)
        throw new InputError(`the solution has ${cols} columns, the model map ${columns.length}: a solution of another model`, `${file}:${at}`);
      // mip/ipt: s KIND ROWS COLS STATUS OBJ; bas: s bas ROWS COLS PRIMAL DUAL OBJ
      const letter = t[4] ?? '';
      const [st, words] = GLPK_STATUS[letter] ?? ['unknown', `status "${letter}"`];
      status = kind === 'bas' && letter === 'f' && t[5] === 'f' ? 'optimal' : kind === 'bas' ? (letter === 'f' ? 'feasible' : st) : st;
      solverStatus = kind === 'bas' ? `primal ${letter}, dual ${t[5] ?? '?'}` : words;
      const o = Number(kind === 'bas' ? t[6] : t[5]);
      objective = Number.isFinite(o) ? o : null;
      return;
    }
    if (t[0] === 'j') {
      if (!kind) throw new InputError('a column line before the solution line "s ..."', `${file}:${at}`);
      const j = num(t[1], file, at, 'column number');
      if (!Number.isInteger(j) || j < 1 || j > columns.length) throw new InputError(`column ${t[1]} is out of range 1..${columns.length}`, `${file}:${at}`);
      // mip: j COL VAL; ipt: j COL PRIM DUAL; bas: j COL STAT PRIM DUAL
      values[columns[j - 1]!] = num(kind === 'bas' ? t[3] : t[2], file, at, 'value');
      return;
    }
    if (t[0] === 'i' || t[0] === 'e') return;
    throw new InputError(`unexpected line "${line.slice(0, 40)}" (a glpsol -w solution has c, s, i, j and e lines)`, `${file}:${at}`);
  });
  if (!kind) throw new InputError('no solution line "s mip|bas|ipt ..." (is this a glpsol -w file?)', file);
  return { format: 'glpsol', status, solverStatus, objective, values };
}

function readCbc(text: string, file: string, columns: readonly string[] | undefined): ExternalSolution {
  const lines = text.split('\n');
  const head = (lines[0] ?? '').trim();
  if (head === '') throw new InputError('empty solution file (cbc writes a status line first)', `${file}:1`);
  const m = /^(.*?)\s*-\s*objective value\s+(\S+)/i.exec(head);
  const solverStatus = m ? m[1]! : head;
  const objective = m && Number.isFinite(Number(m[2])) ? Number(m[2]) : null;
  const s = solverStatus.toLowerCase();
  // cbc stopped by ratioGap/allowableGap says "Optimal (within gap tolerance)": not proven, so "feasible"
  const status: ExternalStatus = s.includes('within gap')
    ? 'feasible'
    : s.startsWith('optimal')
    ? 'optimal'
    : s.includes('infeasible')
      ? 'infeasible'
      : s.includes('unbounded')
        ? 'unbounded'
        : s.startsWith('stopped')
          ? 'feasible'
          : 'unknown';
  const known = columns ? new Set(columns) : undefined;
  const values: Record<string, number> = {};
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!.trim().replace(/^\*\*\s*/, '');
    if (line === '') continue;
    const t = line.split(/\s+/);
    if (t.length < 3) throw new InputError(`expected "INDEX NAME VALUE [REDUCED_COST]", got "${line.slice(0, 40)}"`, `${file}:${k + 1}`);
    num(t[0], file, k + 1, 'column index');
    const name = t[1]!;
    if (known && !known.has(name)) throw new InputError(`column "${name}" is not in the model map: a solution of another model`, `${file}:${k + 1}`);
    values[name] = num(t[2], file, k + 1, 'value');
  }
  // a status-only file (infeasible) has no columns: that is not a solution
  if (Object.keys(values).length === 0 && status !== 'infeasible' && status !== 'unbounded')
    throw new InputError(`no column values after the status line "${head.slice(0, 60)}" (is this a cbc "solu" file?)`, file);
  return { format: 'cbc', status, solverStatus, objective, values };
}

/**
 * Column names in the order a reader of `text` numbers them: the COLUMNS section's order for free MPS, the
 * order of first appearance for CPLEX LP (GLPK numbers LP columns as it meets them). Names the file never
 * mentions (none, for files scarec writes) follow in model order.
 */
export function columnOrder(text: string, format: 'mps' | 'lp', names: readonly string[]): string[] {
  const known = new Set(names);
  const seen = new Set<string>();
  const order: string[] = [];
  const see = (n: string) => {
    if (known.has(n) && !seen.has(n)) {
      seen.add(n);
      order.push(n);
    }
  };
  if (format === 'mps') {
    let inColumns = false;
    for (const raw of text.split('\n')) {
      if (raw.startsWith('*') || raw.trim() === '') continue;
      if (!/^\s/.test(raw)) {
        inColumns = raw.trim().split(/\s+/)[0] === 'COLUMNS';
        continue;
      }
      if (inColumns) {
        const t = raw.trim().split(/\s+/);
        if (t[1] !== "'MARKER'") see(t[0]!);
      }
    }
  } else {
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\\.*$/, '').replace(/^\s*[^\s:]+:/, '');
      for (const tok of line.split(/[\s+\-<>=:*^]+/)) if (tok) see(tok);
    }
  }
  for (const n of names) see(n);
  return order;
}
