import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { SolverName } from '../../mip/result.js';
import type { PlacementOptions, PlacementResult } from '../../plan/index.js';
import { checkInputFile, checkOutputFile, writeFileAtomic } from '../output.js';
import { startProgress } from '../progress.js';
import { action, parseNumberOption, printJson, type CliContext } from '../run.js';
import { formatEvaluation } from './evaluate.js';
import { registerCompare } from './compare.js';
import { registerExport } from './export.js';
import { registerImportSolution } from './import-solution.js';

export function parseSolver(name: string): SolverName {
  if (name === 'glpk' || name === 'highs') return name;
  throw new InputError(`unknown solver "${name}" (glpk or highs)`, 'option --solver');
}

export interface SolveCliOptions {
  solver?: string;
  timeLimit?: number;
  gap?: number;
  buckets?: number;
  targetWidth?: number;
  batch?: number;
}

export function exactOptionsFrom(o: SolveCliOptions): PlacementOptions {
  return {
    batch: o.batch,
    solver: o.solver ? parseSolver(o.solver) : 'glpk',
    timeLimitSec: o.timeLimit,
    relativeGap: o.gap,
    maxBuckets: o.buckets,
    targetWidth: o.targetWidth,
  };
}

export function addSolveOptions(cmd: Command): Command {
  return cmd
    .option('--solver <name>', 'MIP backend: glpk (default, the toolkit default; proves the Criteo Terabyte plan fastest) or highs', 'glpk')
    .option('--time-limit <seconds>', 'time limit of each solve (a stopped solve reports its bound and gap, never optimal)', parseNumberOption('--time-limit', { min: 0.01, max: 1e7 }))
    .option('--gap <relative>', 'relative gap at which a solve counts as optimal (default 1e-5)', parseNumberOption('--gap', { min: 0, max: 1 }))
    .option('--buckets <n>', 'at most N rank buckets per table', parseNumberOption('--buckets', { integer: true, min: 1, max: 4096 }))
    .option('--target-width <relative>', 'refine buckets until the certified interval is this narrow', parseNumberOption('--target-width', { positive: true, max: 1 }))
    .option('--batch <samples>', "pin the global batch (default: greedy and exact search the scenario's candidate batches); the plan records it", parseNumberOption('--batch', { integer: true, min: 1, max: 1e12 }));
}

/** The plan file plus its evaluation and, for exact, the solver's certificate. */
export function planReport(r: PlacementResult): Record<string, unknown> {
  const out: Record<string, unknown> = { algorithm: r.algorithm, plan: r.plan, evaluation: r.evaluation, throughputSamplesPerSec: r.evaluation.throughputSamplesPerSec, elapsedSec: r.elapsedMs / 1e3 };
  if (r.exact) {
    const { model: _model, plan: _plan, evaluation: _e, ...rest } = r.exact;
    Object.assign(out, rest);
  }
  if (r.knapsack) out.knapsack = r.knapsack;
  return out;
}

export function registerPlan(program: Command, ctx: CliContext): void {
  addSolveOptions(
    program
      .command('plan')
      .description('place every row: baselines, heuristics or the exact MIP, costed by evaluate')
      .argument('<scenario>', 'scenario JSON file')
      .requiredOption('--algo <name>', 'host | host-coalesced | tablewise-greedy | cache-greedy | greedy | exact | exact-tablewise | exact-cache'),
  )
    .option('--out <file>', 'write the plan JSON here')
    .option('--json', 'print one JSON object')
    .action(
      action(ctx, async (scenarioFile: string, opts: SolveCliOptions & { algo: string; out?: string; json?: boolean }) => {
        if (opts.out) checkOutputFile(opts.out);
        const exactOptions = exactOptionsFrom(opts);
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario } = await import('../../model/scenario.js');
        const scenario = loadScenario(scenarioFile);
        const { parseAlgorithm, runAlgorithm } = await import('../../plan/index.js');
        const algo = parseAlgorithm(opts.algo);
        const progress = startProgress(ctx, `plan ${algo}`);
        let r: PlacementResult;
        try {
          r = await runAlgorithm(scenario, algo, { ...exactOptions, onProgress: progress.update });
        } finally {
          progress.stop();
        }
        if (opts.out) writeFileAtomic(opts.out, `${JSON.stringify(r.plan, null, 2)}\n`, ctx.temps);
        if (opts.json) return printJson(ctx, planReport(r));
        const lines = [formatEvaluation(r.evaluation)];
        if (r.exact) {
          const e = r.exact;
          lines.push(`  MIP (${e.solver}, ${e.space}, ${e.items} items, <= ${e.bucketsPerTableMax} buckets/table): ${e.status} by ${e.method} (gap tolerance ${e.relativeGapTolerance}), objective ${e.objective?.toPrecision(8)} us, best bound ${e.bestBound?.toPrecision(8) ?? 'none'} us, gap ${e.gap ?? 'n/a'}, ${e.solveSeconds.toFixed(2)} s`);
          if (e.interval)
            lines.push(`  certified row-level optimum: throughput in [${e.interval.throughputLowerSamplesPerSec.toPrecision(6)}, ${e.interval.throughputUpperSamplesPerSec?.toPrecision(6) ?? '?'}] samples/s (width ${e.interval.relativeWidth === null ? "?" : (e.interval.relativeWidth * 100).toFixed(3) + "%"}, lower bound: ${e.interval.lowerBoundMethod})`);
        }
        if (r.knapsack) lines.push(`  cache knapsack: saved ${(r.knapsack.savedSec * 1e3).toPrecision(5)} ms, fractional bound ${(r.knapsack.fractionalBoundSec * 1e3).toPrecision(5)} ms`);
        if (opts.out) lines.push(`  plan written to ${opts.out}`);
        ctx.out(`${lines.join('\n')}\n`);
      }),
    );
}

/** plan, compare and export: registered together (one line in commands/index.ts). */
export function registerPlacementCommands(program: Command, ctx: CliContext): void {
  registerPlan(program, ctx);
  registerCompare(program, ctx);
  registerExport(program, ctx);
  registerImportSolution(program, ctx);
}
