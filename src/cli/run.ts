import { BackendError, InfeasibleError, InputError } from '../errors.js';
import { scaleBytes } from '../units.js';

/** Exit codes: 0 ok, 1 internal error, 2 bad input, 3 infeasible/unbounded, 4 backend unavailable. */
export const EXIT = { ok: 0, internal: 1, input: 2, infeasible: 3, backend: 4 } as const;

/** Map a thrown error to a one-line message and an exit code. Only the CLI does this. */
export function exitCodeFor(e: unknown): { code: number; message: string } {
  if (e instanceof InputError) return { code: EXIT.input, message: `error: ${e.message}` };
  if (e instanceof InfeasibleError) {
    const detail = e.shortfalls
      .map((s) => `${s.resource} short by ${formatQuantity(s.needed - s.available, s.unit)} (needs ${formatQuantity(s.needed, s.unit)}, has ${formatQuantity(s.available, s.unit)})`)
      .join('; ');
    return { code: EXIT.infeasible, message: `infeasible: ${e.message}${detail ? `: ${detail}` : ''}` };
  }
  if (e instanceof BackendError) return { code: EXIT.backend, message: `error: ${e.message}` };
  const err = e as Error;
  return { code: EXIT.internal, message: `internal error: ${err?.message ?? String(e)}${process.env.SCAREC_DEBUG ? `\n${err?.stack}` : ''}` };
}

export function formatQuantity(value: number, unit: string): string {
  if (unit === 'bytes') return formatBytes(value);
  return `${value.toPrecision(4)} ${unit}`;
}

export function formatBytes(bytes: number): string {
  const { value, unit } = scaleBytes(bytes);
  return `${value.toFixed(unit === 'B' ? 0 : 2)} ${unit}`;
}

/** Wrap a command action: errors become a message on stderr and an exit code, never a stack trace. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (e) {
      const { code, message } = exitCodeFor(e);
      process.stderr.write(`${message}\n`);
      process.exitCode = code;
    }
  };
}

/** Print one JSON object on stdout (the --json contract). Non-finite numbers are a bug: fail loudly. */
export function printJson(value: unknown): void {
  const text = JSON.stringify(value, (_k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`non-finite number in output (${v})`);
    if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Uint32Array || v instanceof Int32Array) return Array.from(v);
    return v;
  }, 2);
  process.stdout.write(`${text}\n`);
}

/** Parse a numeric option; a bad value is an InputError naming the option. */
export function parseNumberOption(name: string, opts: { integer?: boolean; min?: number; max?: number } = {}) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v)) throw new InputError(`"${value}" is not a number`, `option ${name}`);
    if (opts.integer && !Number.isInteger(v)) throw new InputError(`"${value}" is not an integer`, `option ${name}`);
    if (opts.min !== undefined && v < opts.min) throw new InputError(`must be at least ${opts.min} (got ${value})`, `option ${name}`);
    if (opts.max !== undefined && v > opts.max) throw new InputError(`must be at most ${opts.max} (got ${value})`, `option ${name}`);
    return v;
  };
}
