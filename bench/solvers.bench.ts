/**
 * GLPK vs HiGHS (both WebAssembly) on the same models of growing size, in one run:
 * - "assign": a transportation-like assignment MIP (items to bins with capacities), n items x 10 bins;
 * - "knap": a two-row 0-1 knapsack.
 * Sizes from 10 to 20,000 variables; medians of repeats; a per-solve time limit keeps the run bounded
 * (a capped solve is marked, and its time is a lower bound). The crossover is the smallest size from which
 * HiGHS is faster at every larger size.
 */
import type { Model } from '../src/mip/model.js';
import { solve } from '../src/mip/solve.js';
import type { BenchContext, BenchResult } from './types.js';
import { Rng } from '../src/sim/rng.js';

/** Seeded uniform doubles in [0, 1) from the simulator's generator (one PRNG in the project). */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.nextDouble();
}

/** n items, 10 bins: x_ib binary, each item in exactly one bin, bin loads within capacity, minimise cost. */
function assignModel(vars: number, seed: number): Model {
  const bins = 10;
  const items = Math.max(1, Math.round(vars / bins));
  const r = rng(seed);
  const size = Array.from({ length: items }, () => 1 + Math.floor(r() * 20));
  // 30% slack over an even split, and never below the largest item (small instances stay feasible)
  const cap = Math.max(Math.max(...size), Math.ceil((1.3 * size.reduce((a, b) => a + b, 0)) / bins));
  const x = (i: number, b: number) => `x${i}_${b}`;
  const variables = [];
  const objective = [];
  for (let i = 0; i < items; i++)
    for (let b = 0; b < bins; b++) {
      variables.push({ name: x(i, b), type: 'binary' as const, lower: 0, upper: 1 });
      objective.push({ var: x(i, b), coef: 1 + Math.floor(r() * 100) });
    }
  const constraints = [
    ...Array.from({ length: items }, (_, i) => ({ name: `one${i}`, terms: Array.from({ length: bins }, (_, b) => ({ var: x(i, b), coef: 1 })), sense: '=' as const, rhs: 1 })),
    ...Array.from({ length: bins }, (_, b) => ({ name: `cap${b}`, terms: Array.from({ length: items }, (_, i) => ({ var: x(i, b), coef: size[i]! })), sense: '<=' as const, rhs: cap })),
  ];
  return { name: `assign${vars}`, sense: 'minimize', objective: { terms: objective }, variables, constraints };
}

/** 0-1 knapsack with 2 resource rows, capacity half of each row's total. */
function knapModel(vars: number, seed: number): Model {
  const r = rng(seed);
  const rows = 2;
  const w = Array.from({ length: rows }, () => Array.from({ length: vars }, () => 1 + Math.floor(r() * 50)));
  return {
    name: `knap${vars}`,
    sense: 'maximize',
    objective: { terms: Array.from({ length: vars }, (_, j) => ({ var: `x${j}`, coef: 1 + Math.floor(r() * 60) })) },
    variables: Array.from({ length: vars }, (_, j) => ({ name: `x${j}`, type: 'binary' as const, lower: 0, upper: 1 })),
    constraints: w.map((row, i) => ({ name: `res${i}`, terms: row.map((c, j) => ({ var: `x${j}`, coef: c })), sense: '<=' as const, rhs: Math.floor(row.reduce((a, b) => a + b, 0) / 2) })),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  const sizes = ctx.quick ? [10, 100, 1000] : [10, 30, 100, 300, 1000, 3000, 10000, 20000];
  const limitSec = ctx.quick ? 5 : 20;
  // relative gap 1e-4 (HiGHS's default) for both: exact enough to compare, not a race to the last 1e-9
  const gap = 1e-4;
  const rows: BenchResult['rows'] = [];
  const notes: string[] = [];
  for (const [family, make] of [['assign', assignModel], ['knap', knapModel]] as const) {
    const ratios: Array<{ n: number; ratio: number }> = [];
    for (const n of sizes) {
      const model = make(n, 1000 + n);
      const repeats = n <= 1000 ? 5 : n <= 3000 ? 3 : 1;
      const times: Record<'glpk' | 'highs', number[]> = { glpk: [], highs: [] };
      const last: Record<string, Awaited<ReturnType<typeof solve>>> = {};
      for (const solver of ['glpk', 'highs'] as const) {
        await solve(make(10, 1), { solver }); // load the WebAssembly runtime outside the timing
        for (let k = 0; k < repeats; k++) {
          const t0 = performance.now();
          const r = await solve(model, { solver, timeLimitSec: limitSec, relativeGap: gap });
          times[solver].push((performance.now() - t0) / 1e3);
          last[solver] = r;
        }
      }
      const g = median(times.glpk);
      const h = median(times.highs);
      ratios.push({ n, ratio: g / h });
      rows.push({
        family,
        variables: model.variables.length,
        rows: model.constraints.length,
        glpkSec: g,
        glpkStatus: last.glpk!.status,
        highsSec: h,
        highsStatus: last.highs!.status,
        glpkOverHighs: g / h,
        objectivesAgree: last.glpk!.objective !== null && last.highs!.objective !== null && Math.abs(last.glpk!.objective - last.highs!.objective) <= gap * 2 * Math.max(1, Math.abs(last.highs!.objective)),
        repeats,
      });
      process.stderr.write(`  ${family} n=${n}: glpk ${g.toFixed(3)} s (${last.glpk!.status}), highs ${h.toFixed(3)} s (${last.highs!.status})\n`);
    }
    // crossover: smallest n from which HiGHS is faster at every larger n
    let cross: number | null = null;
    for (let i = ratios.length - 1; i >= 0 && ratios[i]!.ratio > 1; i--) cross = ratios[i]!.n;
    notes.push(
      cross === null
        ? `${family}: GLPK is faster (or equal) at the largest size; no crossover in ${sizes[0]}..${sizes.at(-1)} variables`
        : cross === sizes[0]
          ? `${family}: HiGHS is faster at every size from ${cross} variables`
          : `${family}: crossover at about ${cross} variables: GLPK is faster below, HiGHS from there on (glpk/highs time ratio ${ratios.map((r) => `${r.n}: ${r.ratio.toFixed(2)}`).join(', ')})`,
    );
  }
  notes.push(`time limit ${limitSec} s per solve, relative gap ${gap}; a status other than optimal means the time is capped; times include GLPK's extra LP-relaxation solve where GLPK stops at the gap`);
  return { title: 'Exact solvers: GLPK vs HiGHS (WebAssembly) on growing assignment and knapsack MIPs', rows, notes };
}
