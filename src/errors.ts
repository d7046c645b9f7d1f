/**
 * Typed errors of the library. The library never exits the process: the CLI alone maps these to exit
 * codes (InputError -> 2, InfeasibleError -> 3, anything else -> 1).
 */

/** Bad input: a file, field or line that is wrong. `where` names the file and field path or line. */
export class InputError extends Error {
  readonly kind = 'input' as const;
  constructor(
    message: string,
    /** e.g. "models/x.json: tables[2].rows" or "data.lp:14:7" */
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'InputError';
  }
}

/** A resource that is short: `resource` names it, `shortBytes` (or other unit) says by how much. */
export interface Shortfall {
  resource: string;
  needed: number;
  available: number;
  unit: string;
}

/** The problem has no feasible solution (e.g. the tables fit nowhere). */
export class InfeasibleError extends Error {
  readonly kind = 'infeasible' as const;
  constructor(
    message: string,
    readonly shortfalls: Shortfall[] = [],
  ) {
    super(message);
    this.name = 'InfeasibleError';
  }
}

/** A backend (solver, GPU API) is unavailable or failed. */
export class BackendError extends Error {
  readonly kind = 'backend' as const;
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}
