import { BackendError, InfeasibleError, InputError } from '../errors.js';
import { scaleBytes } from '../units.js';
import { SCAREC_VERSION } from './version.js';

/** Exit codes: 0 ok, 1 internal error, 2 bad input, 3 infeasible/unbounded, 4 backend unavailable. */
export const EXIT = { ok: 0, internal: 1, input: 2, infeasible: 3, backend: 4 } as const;

/** Where a command writes: the process's streams in main.ts, string buffers in the in-process tests. */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  /** Temporary files a command is writing (removed when stdout fails mid-run). */
  temps?: Set<string>;
  /** Environment the run reads SCAREC_PROGRESS from (default: the process's). */
  env?: Record<string, string | undefined>;
}

/**
 * Progress on stderr: 'bar' redraws a bar in place (stderr on a terminal), 'lines' writes one plain line per
 * second (stderr not a terminal: a log file, a test), 'off' draws nothing.
 */
export type ProgressMode = 'off' | 'bar' | 'lines';

/**
 * One CLI invocation: its streams, whether errors go out as JSON, and the exit code the action settled
 * on. Created per run (no module-level state), so the in-process tests run many invocations side by side.
 */
export interface CliContext {
  io: CliIo;
  json: boolean;
  exitCode: number;
  temps: Set<string>;
  out(text: string): void;
  err(text: string): void;
  /** Progress on stderr only when a person watches: both streams on a terminal and no --json. */
  interactive(): boolean;
  /**
   * How progress is drawn: as interactive() says, unless SCAREC_PROGRESS forces it: 1 draws it whatever the
   * streams and --json (stdout still carries only the result), 0 never.
   */
  progressMode(): ProgressMode;
}

export function createContext(io: CliIo, json: boolean): CliContext {
  const temps = io.temps ?? new Set<string>();
  return {
    io,
    json,
    exitCode: EXIT.ok,
    temps,
    out: (t) => void io.stdout.write(t),
    err: (t) => void io.stderr.write(t),
    interactive: () => !json && io.stdout.isTTY === true && io.stderr.isTTY === true,
    progressMode: () => {
      const force = (io.env ?? process.env).SCAREC_PROGRESS;
      if (force === '0') return 'off';
      if (force !== '1' && (json || io.stdout.isTTY !== true || io.stderr.isTTY !== true)) return 'off';
      return io.stderr.isTTY === true ? 'bar' : 'lines';
    },
  };
}

export interface ErrorReport {
  kind: 'input' | 'infeasible' | 'backend' | 'internal' | 'usage' | 'output';
  code: number;
  message: string;
  file: string | null;
  field: string | null;
  shortfalls?: Array<{ resource: string; needed: number; available: number; unit: string; short: number }>;
}

/**
 * Split an InputError's `where` into file and field: "option --rows" is an option; "f.json: tables[2].rows"
 * a file and a field path; "data.lp:14:7" or "log.tsv:3" a file and a line.
 */
export function splitWhere(where: string | undefined): { file: string | null; field: string | null } {
  if (!where) return { file: null, field: null };
  if (where.startsWith('option ')) return { file: null, field: where };
  const sep = where.indexOf(': ');
  if (sep >= 0) return { file: where.slice(0, sep), field: where.slice(sep + 2) };
  const line = /^(.*?):(\d+(?::\d+)?)$/.exec(where);
  if (line) return { file: line[1]!, field: `line ${line[2]}` };
  return { file: where, field: null };
}

/** Classify a thrown error: the exit code, a one-line message, and the structured fields of --json errors. */
export function errorReport(e: unknown): ErrorReport {
  if (e instanceof InputError) {
    const { file, field } = splitWhere(e.where);
    return { kind: 'input', code: EXIT.input, message: `error: ${e.message}`, file, field };
  }
  if (e instanceof InfeasibleError) {
    const detail = e.shortfalls
      .map((s) => `${s.resource} short by ${formatQuantity(s.needed - s.available, s.unit)} (needs ${formatQuantity(s.needed, s.unit)}, has ${formatQuantity(s.available, s.unit)})`)
      .join('; ');
    return {
      kind: 'infeasible',
      code: EXIT.infeasible,
      message: `infeasible: ${e.message}${detail ? `: ${detail}` : ''}`,
      file: null,
      field: null,
      shortfalls: e.shortfalls.map((s) => ({ ...s, short: s.needed - s.available })),
    };
  }
  if (e instanceof BackendError) return { kind: 'backend', code: EXIT.backend, message: `error: ${e.message}`, file: null, field: null };
  const err = e as Error;
  return { kind: 'internal', code: EXIT.internal, message: `internal error: ${err?.message ?? String(e)}`, file: null, field: null };
}

/** Map a thrown error to a one-line message and an exit code. Only the CLI does this. */
export function exitCodeFor(e: unknown): { code: number; message: string } {
  const r = errorReport(e);
  const stack = r.kind === 'internal' && process.env.SCAREC_DEBUG ? `\n${(e as Error)?.stack}` : '';
  return { code: r.code, message: `${r.message}${stack}` };
}

/** The --json form of an error: one object on stdout, the same exit code as the text form. */
export function errorJson(r: ErrorReport): Record<string, unknown> {
  return {
    scarecVersion: SCAREC_VERSION,
    error: true,
    kind: r.kind,
    message: r.message.replace(/^(error|infeasible|internal error): /, ''),
    file: r.file,
    field: r.field,
    exitCode: r.code,
    ...(r.shortfalls ? { shortfalls: r.shortfalls } : {}),
  };
}

/** Report an error the way the run asked for: a JSON object on stdout under --json, one line on stderr otherwise. */
export function reportError(ctx: CliContext, e: unknown): number {
  const r = errorReport(e);
  if (ctx.json) {
    ctx.out(`${JSON.stringify(errorJson(r), (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
  } else {
    ctx.err(`${exitCodeFor(e).message}\n`);
  }
  return r.code;
}

export function formatQuantity(value: number, unit: string): string {
  if (unit === 'bytes') return formatBytes(value);
  return `${value.toPrecision(4)} ${unit}`;
}

export function formatBytes(bytes: number): string {
  const { value, unit } = scaleBytes(bytes);
  return `${value.toFixed(unit === 'B' ? 0 : 2)} ${unit}`;
}

/** Wrap a command action: errors become a message (or a JSON object) and an exit code, never a stack trace. */
export function action<A extends unknown[]>(ctx: CliContext, fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      ctx.exitCode = code ?? EXIT.ok;
    } catch (e) {
      ctx.exitCode = reportError(ctx, e);
    }
  };
}

/**
 * Output numbers a reader may not see: NaN, Infinity and negative times or rates. A key that names a time
 * (…Sec, …Seconds, …Ms) or a rate (…PerSec) must be finite and at least zero; any number must be finite.
 * Found in the object a command is about to print, it is a bug, reported as an internal error (exit 1).
 */
const NON_NEGATIVE_KEY = /(Sec|Seconds|Ms|PerSec|PerSecond)$/;

export function toJsonText(value: unknown): string {
  return JSON.stringify(
    value,
    (k, v) => {
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new Error(`non-finite number in output (${k}: ${v})`);
        if (v < 0 && NON_NEGATIVE_KEY.test(k)) throw new Error(`negative time or rate in output (${k}: ${v})`);
      }
      if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Uint32Array || v instanceof Int32Array) return Array.from(v);
      return v;
    },
    2,
  );
}

/**
 * One naming scheme for times in every JSON output: seconds, in keys ending in `Sec` (`iterationSec`,
 * `solveSec`, rates `...PerSec`, sizes `...Bytes`). The library's few other spellings are renamed on the
 * way out: `xSeconds` -> `xSec`, `xMs` -> `xSec` (the value divided by 1000), a bare `seconds` -> `elapsedSec`.
 * Arrays of times (a profile's `roundSeconds`) keep their names, as in the profile file.
 */
export function normalizeUnits(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeUnits);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'number' && k === 'seconds') out.elapsedSec = v;
    else if (typeof v === 'number' && /[a-z]Seconds$/.test(k)) out[k.replace(/Seconds$/, 'Sec')] = v;
    else if (typeof v === 'number' && /[a-z]Ms$/.test(k)) out[k.replace(/Ms$/, 'Sec')] = v / 1e3;
    else out[k] = normalizeUnits(v);
  }
  return out;
}

/** Print one JSON object on stdout (the --json contract), with the scarec version that wrote it. */
export function printJson(ctx: CliContext, value: unknown): void {
  const normal = normalizeUnits(value);
  const withVersion = normal !== null && typeof normal === 'object' && !Array.isArray(normal) ? { scarecVersion: SCAREC_VERSION, ...(normal as object) } : normal;
  ctx.out(`${toJsonText(withVersion)}\n`);
}

/** Parse a numeric option; a bad value is an InputError naming the option. */
export function parseNumberOption(name: string, opts: { integer?: boolean; min?: number; max?: number; positive?: boolean } = {}) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v)) throw new InputError(`"${value}" is not a number`, `option ${name}`);
    if (opts.integer && !Number.isInteger(v)) throw new InputError(`"${value}" is not an integer`, `option ${name}`);
    if (opts.positive && !(v > 0)) throw new InputError(`must be greater than 0 (got ${value})`, `option ${name}`);
    if (opts.min !== undefined && v < opts.min) throw new InputError(`must be at least ${opts.min} (got ${value})`, `option ${name}`);
    if (opts.max !== undefined && v > opts.max) throw new InputError(`must be at most ${opts.max} (got ${value})`, `option ${name}`);
    return v;
  };
}
