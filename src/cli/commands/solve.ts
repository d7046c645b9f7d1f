import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { Model } from '../../mip/model.js';
import { SOLVERS, type SolveProgress, type SolveResult, type SolverName } from '../../mip/result.js';
import { parseJsonText } from '../../model/json.js';
import { startProgress } from '../progress.js';
import { action, EXIT, parseNumberOption, printJson, type CliContext } from '../run.js';

/** Read a model file by extension: .lp (our parser), .mps (HiGHS's reader), .json (model data), each optionally .gz. */
export async function readModelFile(file: string): Promise<Model> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
  let lower = file.toLowerCase();
  if (lower.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new InputError(`not a valid gzip file (${(e as Error).message})`, file);
    }
    lower = lower.slice(0, -3);
  }
  const text = bytes.toString('utf8');
  if (lower.endsWith('.lp')) {
    const { parseLp } = await import('../../mip/lp-format.js');
    return parseLp(text, file);
  }
  if (lower.endsWith('.mps')) {
    const { parseMps } = await import('../../mip/mps-read.js');
    return parseMps(text, file);
  }
  if (lower.endsWith('.json')) {
    const { modelFromJson } = await import('../../mip/model.js');
    return modelFromJson(parseJsonText(text, file), file);
  }
  throw new InputError('unknown file type (use .lp, .mps or .json, optionally gzipped as .gz)', file);
}

/** Objectives agree when within a relative 1e-6 (absolute 1e-6 near zero). */
export function objectivesAgree(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

function fmt(x: number | null): string {
  return x === null ? '-' : Number.isInteger(x) ? String(x) : x.toPrecision(10).replace(/\.?0+(e|$)/, '$1');
}

export function formatResult(r: SolveResult, model: Model): string {
  const lines = [
    `${r.solver} (${r.solverVersion}): ${r.status}${r.message ? ` (${r.message})` : ''}`,
    `  objective ${fmt(r.objective)}, bound ${fmt(r.bestBound)} (${r.boundSource}), gap ${r.gap === null ? '-' : `${(r.gap * 100).toPrecision(3)}%`}, time ${r.solveSeconds.toFixed(3)} s`,
  ];
  const nz = model.variables.filter((v) => Math.abs(r.values[v.name] ?? 0) > 1e-9);
  if (nz.length > 0) {
    lines.push(`  non-zero variables (${nz.length} of ${model.variables.length}):`);
    for (const v of nz) lines.push(`    ${v.name} = ${fmt(r.values[v.name]!)}`);
  }
  return lines.join('\n');
}

function exitCode(statuses: SolveResult['status'][]): number {
  if (statuses.some((s) => s === 'infeasible' || s === 'unbounded')) return EXIT.infeasible;
  if (statuses.every((s) => s === 'error')) return EXIT.backend;
  return EXIT.ok;
}

export function registerSolve(program: Command, ctx: CliContext): void {
  program
    .command('solve')
    .description('solve a MIP/LP file (.lp, .mps or .json model) with GLPK, HiGHS or javascript-lp-solver')
    .argument('<file>', 'model file: CPLEX LP (.lp), free or fixed MPS (.mps) or scarec model JSON (.json); .gz for gzipped')
    .option('--solver <name>', 'glpk | highs | jslp | all', 'glpk')
    .option('--time-limit <seconds>', 'wall-clock limit per solver', parseNumberOption('--time-limit', { min: 0.001, max: 1e7 }))
    .option('--gap <relative>', 'relative MIP gap at which to stop (default 1e-6)', parseNumberOption('--gap', { min: 0, max: 1 }))
    .option('--json', 'print one JSON object')
    .action(
      action(ctx, async (file: string, opts: { solver: string; timeLimit?: number; gap?: number; json?: boolean }) => {
        if (opts.solver !== 'all' && !(SOLVERS as readonly string[]).includes(opts.solver)) {
          throw new InputError(`unknown solver "${opts.solver}" (use glpk, highs, jslp or all)`, 'option --solver');
        }
        const model = await readModelFile(file);
        const { assertSolvable, BACKENDS, solve } = await import('../../mip/solve.js');
        const takes = (s: SolverName) => {
          try {
            assertSolvable(model, s, file);
            return true;
          } catch {
            return false;
          }
        };
        // --solver all skips a backend that cannot take the model (its size, a semi column without an upper bound)
        const names: SolverName[] =
          opts.solver === 'all' ? SOLVERS.filter((s) => model.variables.length <= BACKENDS[s].maxVariables && takes(s)) : [opts.solver as SolverName];
        for (const s of names) assertSolvable(model, s, file);
        const results: SolveResult[] = [];
        const progress = startProgress(ctx, 'solve');
        try {
          for (const [i, s] of names.entries()) {
            progress.update({ stage: s, done: i, total: names.length });
            results.push(
              await solve(model, {
                solver: s,
                timeLimitSec: opts.timeLimit,
                relativeGap: opts.gap,
                // only when progress is drawn: a MIP solve with onProgress runs in a worker (the bar keeps drawing)
                ...(progress.active ? { onProgress: (p: SolveProgress) => progress.update({ stage: s, done: i, total: names.length, incumbent: p.incumbent, bound: p.bound, gap: p.gap }) } : {}),
              }),
            );
          }
        } finally {
          progress.stop();
        }
        const code = exitCode(results.map((r) => r.status));
        if (opts.solver !== 'all') {
          const r = results[0]!;
          if (opts.json) printJson(ctx, { file, model: modelSummary(model), ...r });
          else ctx.out(`${formatResult(r, model)}\n`);
          return code;
        }
        const solved = results.filter((r) => r.objective !== null && (r.status === 'optimal'));
        const statusesAgree = results.every((r) => r.status === results[0]!.status);
        const objectivesMatch = solved.every((r) => objectivesAgree(r.objective!, solved[0]!.objective!));
        const agree = statusesAgree && objectivesMatch;
        const skipped = SOLVERS.filter((s) => !names.includes(s));
        if (opts.json) printJson(ctx, { file, model: modelSummary(model), agree, skipped, results });
        else {
          ctx.out(`${results.map((r) => formatResult(r, model)).join('\n')}\n`);
          if (skipped.length > 0) ctx.out(`skipped: ${skipped.join(', ')} (model too large for it, or a semi-continuous column without an upper bound)\n`);
          ctx.out(
            agree
              ? `solvers agree: ${results[0]!.status}${solved.length > 0 ? `, objective ${fmt(solved[0]!.objective)} (within relative 1e-6)` : ''}\n`
              : `solvers DISAGREE: ${results.map((r) => `${r.solver} ${r.status} ${fmt(r.objective)}`).join('; ')}\n`,
          );
        }
        return code;
      }),
    );
}

function modelSummary(m: Model) {
  return {
    name: m.name,
    sense: m.sense,
    variables: m.variables.length,
    integerVariables: m.variables.filter((v) => v.type !== 'continuous').length,
    constraints: m.constraints.length,
  };
}
