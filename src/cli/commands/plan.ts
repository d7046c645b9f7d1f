import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { SolverName } from '../../mip/result.js';
import type { PlacementOptions, PlacementResult, RestrictionCost } from '../../plan/index.js';
import { checkInputFile, checkOutputFile, writeFileAtomic } from '../output.js';
import { startProgress } from '../progress.js';
import { action, parseNumberOption, printJson, type CliContext } from '../run.js';
import { formatEvaluation } from './evaluate.js';
import { registerCompare } from './compare.js';
import { registerExport } from './export.js';
import { registerImportSolution } from './import-solution.js';

/** The summary table: on a terminal unless --no-summary, elsewhere only with --summary; never under --json. */
export function wantSummary(ctx: CliContext, flag: boolean | undefined): boolean {
  if (ctx.json) return false;
  // --summary is defined before --no-summary, so commander leaves the flag undefined when neither is given
  if (flag !== undefined) return flag;
  return ctx.io.stdout.isTTY === true;
}

export function restrictionLine(c: RestrictionCost): string {
  return `  TorchRec space vs full space: ${c.torchrecSamplesPerSec.toPrecision(6)} vs ${c.fullSpaceBestSamplesPerSec.toPrecision(6)} samples/s (${c.fullSpaceBestBy}): the restriction costs at least ${(c.lossAtLeast * 100).toFixed(2)}%${c.lossAtMost === null ? '' : `, at most ${(c.lossAtMost * 100).toFixed(2)}% (certified full-space bound ${c.fullSpaceUpperSamplesPerSec!.toPrecision(6)})`} of throughput`;
}

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
    // unset: each space's own default (GLPK for the full space, HiGHS for the TorchRec space)
    solver: o.solver ? parseSolver(o.solver) : undefined,
    timeLimitSec: o.timeLimit,
    relativeGap: o.gap,
    maxBuckets: o.buckets,
    targetWidth: o.targetWidth,
  };
}

export function addSolveOptions(cmd: Command): Command {
  return cmd
    .option('--solver <name>', 'MIP backend: glpk or highs (default: glpk for the full space, which it proves fastest on Criteo Terabyte; highs for --space torchrec, whose exact model GLPK does not close)')
    .option('--time-limit <seconds>', 'time limit of the whole call (a stopped call returns the best plan known, with the bound that holds; never optimal unless within --target-width)', parseNumberOption('--time-limit', { min: 0.01, max: 1e7 }))
    .option('--gap <relative>', 'relative gap at which a solve counts as optimal (default 1e-5)', parseNumberOption('--gap', { min: 0, max: 1 }))
    .option('--buckets <n>', 'at most N rank buckets per table', parseNumberOption('--buckets', { integer: true, min: 1, max: 4096 }))
    .option('--target-width <relative>', 'refine buckets until the certified row-level bracket (bound - plan) / plan is this narrow (default 0.01)', parseNumberOption('--target-width', { positive: true, max: 1 }))
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
  if (r.torchrec) {
    const { model: _model, plan: _plan, evaluation: _e, ...rest } = r.torchrec;
    out.torchrec = rest;
  }
  return out;
}

export function registerPlan(program: Command, ctx: CliContext): void {
  addSolveOptions(
    program
      .command('plan')
      .description('place every row: baselines, heuristics or the exact MIP, costed by evaluate')
      .argument('<scenario>', 'scenario JSON file')
      .option('--algo <name>', 'host | host-coalesced | tablewise-greedy | cache-greedy | greedy | exact | exact-tablewise | exact-cache | exact-torchrec'),
  )
    .option('--space <space>', 'torchrec: solve the TorchRec plan space exactly (= --algo exact-torchrec) and report what the restriction costs against the full space')
    .option('--out <file>', 'write the plan JSON here')
    .option('--json', 'print one JSON object')
    .option('--summary', 'print the per-rank / per-table summary even when stdout is not a terminal')
    .option('--no-summary', 'no summary on a terminal')
    .action(
      action(ctx, async (scenarioFile: string, opts: SolveCliOptions & { algo?: string; space?: string; out?: string; json?: boolean; summary?: boolean }) => {
        if (opts.space !== undefined && opts.space !== 'torchrec') throw new InputError(`unknown plan space "${opts.space}" (torchrec)`, 'option --space');
        if (opts.space && opts.algo && opts.algo !== 'exact-torchrec') throw new InputError(`--space torchrec is solved by exact-torchrec, not "${opts.algo}"`, 'option --algo');
        if (!opts.space && !opts.algo) throw new InputError('give --algo NAME or --space torchrec', 'option --algo');
        if (opts.out) checkOutputFile(opts.out);
        const exactOptions = exactOptionsFrom(opts);
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario } = await import('../../model/scenario.js');
        const scenario = loadScenario(scenarioFile);
        const { parseAlgorithm, runAlgorithm, restrictionCost } = await import('../../plan/index.js');
        const algo = parseAlgorithm(opts.space ? 'exact-torchrec' : opts.algo!);
        const startedAt = performance.now();
        const progress = startProgress(ctx, `plan ${algo}`);
        let r: PlacementResult;
        try {
          r = await runAlgorithm(scenario, algo, { ...exactOptions, onProgress: progress.onProgress });
        } finally {
          progress.stop();
        }
        // the TorchRec space against the full one: the full space's exact and greedy plans (the better one)
        let restriction: RestrictionCost | undefined;
        if (r.torchrec) {
          const against = startProgress(ctx, 'plan exact (full space, for the restriction cost)');
          let exact: PlacementResult | undefined;
          let greedy: PlacementResult;
          try {
            // --time-limit bounds the whole command: the full-space search gets what the TorchRec search left
            // (a time-limited exact call still returns greedy's plan at least, with the bound that holds); with no
            // time left, greedy alone (the restriction's upper end is then unknown)
            const left = exactOptions.timeLimitSec === undefined ? undefined : exactOptions.timeLimitSec - (performance.now() - startedAt) / 1e3;
            exact = left === undefined || left > 0.05 ? await runAlgorithm(scenario, 'exact', { ...exactOptions, ...(left !== undefined ? { timeLimitSec: left } : {}), onProgress: against.onProgress }) : undefined;
            against.update({ stage: 'greedy' });
            greedy = await runAlgorithm(scenario, 'greedy', { ...exactOptions, onProgress: against.onProgress });
          } finally {
            against.stop();
          }
          const best = [exact, greedy].filter((x): x is PlacementResult => x !== undefined && x.evaluation.feasible).sort((a, b) => b.evaluation.throughputSamplesPerSec - a.evaluation.throughputSamplesPerSec)[0];
          if (best) restriction = restrictionCost(r.evaluation.throughputSamplesPerSec, best.evaluation.throughputSamplesPerSec, best.algorithm, exact?.exact?.interval?.throughputUpperSamplesPerSec ?? null);
        }
        if (opts.out) writeFileAtomic(opts.out, `${JSON.stringify(r.plan, null, 2)}\n`, ctx.temps);
        if (opts.json) return printJson(ctx, { ...planReport(r), ...(restriction ? { restriction } : {}) });
        const lines = [formatEvaluation(r.evaluation)];
        if (r.torchrec) {
          const t = r.torchrec;
          lines.push(`  TorchRec space MIP (${t.solver}, ${t.options} per-table choices): ${t.status}, throughput ${t.evaluation.throughputSamplesPerSec.toPrecision(6)} samples/s, proven ceiling ${t.throughputUpperSamplesPerSec?.toPrecision(6) ?? 'none'} (gap ${t.gap === null ? 'n/a' : t.gap.toExponential(2)}), batch ${t.globalBatch}, ${t.totalSeconds.toFixed(1)} s`);
          if (restriction) lines.push(restrictionLine(restriction));
        }
        if (r.exact) {
          const e = r.exact;
          lines.push(`  MIP (${e.solver}, ${e.space}, ${e.items} items, <= ${e.bucketsPerTableMax} buckets/table): ${e.status} by ${e.method} (gap tolerance ${e.relativeGapTolerance}), objective ${e.objective?.toPrecision(8)} us, best bound ${e.bestBound?.toPrecision(8) ?? 'none'} us, gap ${e.gap ?? 'n/a'}, ${e.solveSeconds.toFixed(2)} s`);
          if (e.bucketed && e.bucketed.objective !== e.objective)
            lines.push(`  bucketed MIP's own solve (${e.bucketed.items} items, <= ${e.bucketed.bucketsPerTableMax} buckets/table): ${e.bucketed.status}, objective ${e.bucketed.objective?.toPrecision(8) ?? 'none'} us, best bound ${e.bucketed.bestBound?.toPrecision(8) ?? 'none'} us (the plan above is better at row level)`);
          const rl = e.rowLevel;
          lines.push(
            `  row-level optimum: throughput in [${rl.throughputSamplesPerSec.toPrecision(6)}, ${rl.boundSamplesPerSec?.toPrecision(6) ?? 'no bound'}] samples/s over every candidate batch` +
              ` (width ${rl.relativeWidth === null ? '?' : `${(rl.relativeWidth * 100).toFixed(3)}%`}, target ${(rl.targetWidth * 100).toFixed(3)}%): ${rl.status}; plan from ${rl.planSource}, ${rl.rounds} refinement rounds, ${rl.items} buckets, ${e.totalSeconds.toFixed(2)} s`,
          );
        }
        if (r.knapsack) lines.push(`  cache knapsack: saved ${(r.knapsack.savedSec * 1e3).toPrecision(5)} ms, fractional bound ${(r.knapsack.fractionalBoundSec * 1e3).toPrecision(5)} ms`);
        if (opts.out) lines.push(`  plan written to ${opts.out}`);
        if (wantSummary(ctx, opts.summary)) {
          const { withGlobalBatch } = await import('../../model/scenario.js');
          const { planSummary } = await import('../../report/summary.js');
          lines.push(planSummary(r.evaluation.globalBatch === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, r.evaluation.globalBatch), r.plan, r.evaluation));
        }
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
