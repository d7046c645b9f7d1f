/**
 * Progress of long library calls (compare, exact plans, simulations), for the CLI's progress bars. A
 * library function that accepts `onProgress` calls it between steps; it never prints. Solves forward their
 * incumbent, bound and gap (src/mip/result.ts's SolveProgress) through the same callback.
 */
export interface WorkProgress {
  /** what runs now, e.g. "greedy" or "exact: solve at batch 65536" */
  stage: string;
  /** steps done and the total, when the work is counted in steps */
  done?: number;
  total?: number;
  /** a running solve's best objective, best bound and relative gap, when known */
  incumbent?: number | null;
  bound?: number | null;
  gap?: number | null;
}

export type OnWorkProgress = (p: WorkProgress) => void;
