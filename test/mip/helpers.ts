import type { Model, Term } from '../../src/mip/model.js';
import { Rng } from '../../src/sim/rng.js';

/** Seeded uniform doubles in [0, 1) from the simulator's generator (one PRNG in the project). */
export function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.nextDouble();
}

/** Exhaustive enumeration of a pure-integer model with finite bounds: the reference optimum (null = infeasible). */
export function bruteForce(model: Model): { objective: number; values: Record<string, number> } | null {
  const vars = model.variables;
  for (const v of vars) if (v.type === 'continuous' || v.lower === null || v.upper === null) throw new Error('bruteForce needs bounded integer variables');
  const lo = vars.map((v) => Math.ceil(v.lower!));
  const hi = vars.map((v) => Math.floor(v.upper!));
  const x = [...lo];
  const lhs = (terms: Term[], vals: Record<string, number>) => terms.reduce((s, t) => s + t.coef * vals[t.var]!, 0);
  let best: { objective: number; values: Record<string, number> } | null = null;
  for (;;) {
    const vals: Record<string, number> = {};
    vars.forEach((v, j) => (vals[v.name] = x[j]!));
    const ok = model.constraints.every((c) => {
      const a = lhs(c.terms, vals);
      return c.sense === '<=' ? a <= c.rhs + 1e-9 : c.sense === '>=' ? a >= c.rhs - 1e-9 : Math.abs(a - c.rhs) <= 1e-9;
    });
    if (ok) {
      const z = lhs(model.objective.terms, vals) + (model.objective.constant ?? 0);
      if (best === null || (model.sense === 'minimize' ? z < best.objective : z > best.objective)) best = { objective: z, values: vals };
    }
    let j = 0;
    while (j < x.length && x[j] === hi[j]) x[j] = lo[j++]!;
    if (j === x.length) break;
    x[j]!++;
  }
  return best;
}

/** Random 0-1 knapsack: weights 1..30, values 1..40, capacity about 40% of the total weight. */
export function knapsack(n: number, seed: number): Model {
  const r = rng(seed);
  const w = Array.from({ length: n }, () => 1 + Math.floor(r() * 30));
  const v = Array.from({ length: n }, () => 1 + Math.floor(r() * 40));
  const cap = Math.floor(0.4 * w.reduce((a, b) => a + b, 0));
  return {
    name: `knap${n}_${seed}`,
    sense: 'maximize',
    objective: { terms: v.map((c, j) => ({ var: `x${j}`, coef: c })) },
    variables: w.map((_, j) => ({ name: `x${j}`, type: 'binary' as const, lower: 0, upper: 1 })),
    constraints: [{ name: 'cap', terms: w.map((c, j) => ({ var: `x${j}`, coef: c })), sense: '<=' as const, rhs: cap }],
  };
}

/** Assignment problem n x n with integer costs: x_ij binary, rows and columns sum to 1. */
export function assignment(cost: number[][]): Model {
  const n = cost.length;
  const x = (i: number, j: number) => `x_${i}_${j}`;
  const idx = [...Array(n).keys()];
  return {
    name: `assign${n}`,
    sense: 'minimize',
    objective: { terms: idx.flatMap((i) => idx.map((j) => ({ var: x(i, j), coef: cost[i]![j]! }))) },
    variables: idx.flatMap((i) => idx.map((j) => ({ name: x(i, j), type: 'binary' as const, lower: 0, upper: 1 }))),
    constraints: [
      ...idx.map((i) => ({ name: `row${i}`, terms: idx.map((j) => ({ var: x(i, j), coef: 1 })), sense: '=' as const, rhs: 1 })),
      ...idx.map((j) => ({ name: `col${j}`, terms: idx.map((i) => ({ var: x(i, j), coef: 1 })), sense: '=' as const, rhs: 1 })),
    ],
  };
}

/** Minimum over all permutations (n! of them): the assignment reference. */
export function bestPermutationCost(cost: number[][]): number {
  const n = cost.length;
  let best = Infinity;
  const used = new Array<boolean>(n).fill(false);
  const go = (i: number, acc: number) => {
    if (i === n) return void (best = Math.min(best, acc));
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, acc + cost[i]![j]!);
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

/**
 * Market split (Cornuejols-Dawande): rows sum_j a_ij x_j + s+_i - s-_i = d_i with d = A x* for a hidden
 * binary x*, minimise total slack. The optimum is 0 by construction, yet branch and bound struggles:
 * a hard model whose optimum is known.
 */
export function marketSplit(rows: number, cols: number, seed: number): Model {
  const r = rng(seed);
  const a = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.floor(r() * 100)));
  const hidden = Array.from({ length: cols }, () => (r() < 0.5 ? 1 : 0));
  const x = (j: number) => `x${j}`;
  return {
    name: `msplit${rows}x${cols}`,
    sense: 'minimize',
    objective: { terms: Array.from({ length: rows }, (_, i) => [{ var: `sp${i}`, coef: 1 }, { var: `sm${i}`, coef: 1 }]).flat() },
    variables: [
      ...Array.from({ length: cols }, (_, j) => ({ name: x(j), type: 'binary' as const, lower: 0, upper: 1 })),
      ...Array.from({ length: rows }, (_, i) => [
        { name: `sp${i}`, type: 'continuous' as const, lower: 0, upper: null },
        { name: `sm${i}`, type: 'continuous' as const, lower: 0, upper: null },
      ]).flat(),
    ],
    constraints: a.map((row, i) => ({
      name: `split${i}`,
      terms: [...row.map((c, j) => ({ var: x(j), coef: c })), { var: `sp${i}`, coef: 1 }, { var: `sm${i}`, coef: -1 }],
      sense: '=' as const,
      rhs: row.reduce((s, c, j) => s + c * hidden[j]!, 0),
    })),
  };
}
