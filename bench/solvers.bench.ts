/**
 * GLPK vs HiGHS (both WebAssembly) on the same models of growing size, in one run:
 * - "assign": a transportation-like assignment MIP (items to bins with capacities), n items x 10 bins;
 * - "knap": a two-row 0-1 knapsack.
 * Sizes from 10 to 20,000 variables; medians of repeats; a per-solve time limit keeps the run bounded
 * (a capped solve is marked, and its time is a lower bound). The crossover is the smallest size from which
 * HiGHS is faster at every larger size.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Model } from '../src/mip/model.js';
import { solve } from '../src/mip/solve.js';
import { DIR, MANIFEST, readInstance } from '../test/mip/instances.js';
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

/** Wall seconds of a native solver run, or null when the binary is missing or fails. */
function nativeSeconds(cmd: string, args: string[], timeoutSec: number): number | null {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: timeoutSec * 1e3 });
  if (r.error || r.status !== 0) return null;
  return (performance.now() - t0) / 1e3;
}

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The public instances (test/mip/instances) against native solvers: GLPK (WebAssembly) against glpsol,
 * HiGHS (WebAssembly) against native highs when installed, otherwise against cbc (no Debian package of
 * HiGHS exists: `apt-cache search highs` finds none). WebAssembly times are the solve alone (the model is
 * read before), first call (what one CLI run sees: V8 runs the code unoptimised until it tiers up) and
 * median of warm repeats; native times are the wall time of the process (reading included).
 */
export async function nativeComparison(ctx: BenchContext, rows: BenchResult['rows'], notes: string[]): Promise<void> {
  const load0 = loadavg()[0]!;
  const tmp = mkdtempSync(join(tmpdir(), 'scarec-bench-'));
  const natives = { glpsol: have('glpsol'), highs: have('highs'), cbc: have('cbc') };
  const entries = MANIFEST.instances.filter((e) => e.file.endsWith('.mps.gz') && (ctx.quick ? e.ci && e.kind === 'lp' : true));
  const limitSec = ctx.quick ? 20 : 60;
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratios: Record<'glpk' | 'highs', number[]> = { glpk: [], highs: [] };
  for (const e of entries) {
    const file = join(tmp, e.file.replace(/\.gz$/, ''));
    writeFileSync(file, gunzipSync(readFileSync(join(DIR, e.file))));
    const t0 = performance.now();
    const model = await readInstance(e.file);
    const parseSec = (performance.now() - t0) / 1e3;
    const row: Record<string, number | string | boolean | null> = { instance: e.file.replace(/\.mps\.gz$/, ''), kind: e.kind, cols: model.variables.length, rows: model.constraints.length, parseSec };
    for (const solver of ['glpk', 'highs'] as const) {
      const t1 = performance.now();
      const first = await solve(model, { solver, timeLimitSec: limitSec });
      const firstSec = (performance.now() - t1) / 1e3;
      const warm: number[] = [];
      const reps = firstSec < 1 ? 3 : firstSec < 10 ? 1 : 0;
      for (let k = 0; k < reps; k++) {
        const t2 = performance.now();
        await solve(model, { solver, timeLimitSec: limitSec });
        warm.push((performance.now() - t2) / 1e3);
      }
      row[`${solver}Status`] = first.status;
      row[`${solver}FirstSec`] = firstSec;
      row[`${solver}WarmSec`] = warm.length > 0 ? med(warm) : firstSec;
      row[`${solver}BoundSource`] = first.boundSource;
    }
    const reps = 3;
    const runs = (cmd: string, args: string[]) => {
      const xs: number[] = [];
      for (let k = 0; k < reps; k++) {
        const x = nativeSeconds(cmd, args, limitSec);
        if (x === null) return null;
        xs.push(x);
        if (x > 2) break;
      }
      return med(xs);
    };
    const glpsol = natives.glpsol ? runs('glpsol', ['--freemps', file, '--tmlim', String(limitSec)]) : null;
    const highs = natives.highs ? runs('highs', [file, '--time_limit', String(limitSec)]) : null;
    const cbc = natives.cbc ? runs('cbc', [file, 'sec', String(limitSec), 'solve']) : null;
    const highsRef = highs ?? cbc;
    Object.assign(row, { glpsolSec: glpsol, nativeHighsSec: highs, cbcSec: cbc });
    row.glpkOverGlpsol = glpsol !== null ? (row.glpkWarmSec as number) / glpsol : null;
    row.highsOverNative = highsRef !== null ? (row.highsWarmSec as number) / highsRef : null;
    if (glpsol !== null && glpsol >= 0.1 && row.glpkStatus === 'optimal') ratios.glpk.push(row.glpkOverGlpsol as number);
    if (highsRef !== null && highsRef >= 0.1 && row.highsStatus === 'optimal') ratios.highs.push(row.highsOverNative as number);
    rows.push(row);
    process.stderr.write(`  ${row.instance}: glpk ${(row.glpkWarmSec as number).toFixed(3)} s vs glpsol ${glpsol?.toFixed(3) ?? '-'} s; highs ${(row.highsWarmSec as number).toFixed(3)} s vs ${highs !== null ? 'highs' : 'cbc'} ${highsRef?.toFixed(3) ?? '-'} s\n`);
  }
  const load1 = loadavg()[0]!;
  const fmtMed = (xs: number[]) => (xs.length === 0 ? 'no instance' : `${med(xs).toFixed(2)}x over ${xs.length} instances`);
  notes.push(
    `public instances, instances where the native solver takes >= 0.1 s: median GLPK (WebAssembly, warm) / glpsol ${fmtMed(ratios.glpk)}; median HiGHS (WebAssembly, warm) / ${natives.highs ? 'native highs' : 'cbc (no native highs installed; a different solver, so only a rough reference)'} ${fmtMed(ratios.highs)}; target < 3x`,
    `load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end of this part (${cpus().length} cores): the ratios compare runs made minutes apart on a shared machine`,
    'native times are whole processes (reading the file, ~5-20 ms of start-up included); WebAssembly times are solve() alone after reading, warm = median of repeats after a first call (the first call also pays V8 tiering the code up from its baseline compiler)',
  );
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
  await nativeComparison(ctx, rows, notes);
  return { title: 'Exact solvers: GLPK vs HiGHS (WebAssembly) on growing assignment and knapsack MIPs, and on public instances against native solvers', rows, notes };
}
