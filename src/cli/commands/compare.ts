import type { Command } from 'commander';
import { startProgress } from '../progress.js';
import { checkInputFile } from '../output.js';
import { action, formatBytes, printJson, type CliContext } from '../run.js';
import { addSolveOptions, exactOptionsFrom, restrictionLine, wantSummary, type SolveCliOptions } from './plan.js';

export function registerCompare(program: Command, ctx: CliContext): void {
  addSolveOptions(
    program.command('compare').description('every algorithm on one scenario: throughput, speedup over B0, gap to the optimum').argument('<scenario>', 'scenario JSON file'),
  )
    .option('--json', 'print one JSON object { "rows": [...] }')
    .option('--summary', 'print the per-rank / per-table summary of the exact and TorchRec-space plans even when stdout is not a terminal')
    .option('--no-summary', 'no summary on a terminal')
    .action(
      action(ctx, async (scenarioFile: string, opts: SolveCliOptions & { json?: boolean; summary?: boolean }) => {
        const exactOptions = exactOptionsFrom(opts);
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario } = await import('../../model/scenario.js');
        const scenario = loadScenario(scenarioFile);
        const { comparePlans } = await import('../../plan/index.js');
        const progress = startProgress(ctx, 'compare');
        let result: Awaited<ReturnType<typeof comparePlans>>;
        try {
          result = await comparePlans(scenario, { ...exactOptions, onProgress: progress.onProgress });
        } finally {
          progress.stop();
        }
        const { rows, exact, rowLevel, torchrec, plans } = result;
        if (opts.json) return printJson(ctx, { rows, ...(exact?.interval ? { interval: exact.interval } : {}), ...(rowLevel ? { rowLevel } : {}), ...(torchrec ? { torchrec } : {}) });
        const lines = [
          `${scenario.name}: ${scenario.tables.length} tables, ${scenario.gpus.length} GPUs`,
          '  algorithm          samples/s      iter ms    batch  speedup/B0  gap to opt  gap to bound    max GPU memory',
        ];
        for (const r of rows)
          lines.push(
            `  ${r.algorithm.padEnd(17)}${r.throughputSamplesPerSec.toPrecision(6).padStart(11)} ${(r.iterationSec * 1e3).toPrecision(5).padStart(11)} ${String(r.globalBatch).padStart(8)} ${r.speedupOverB0.toFixed(2).padStart(10)}x ${r.gapToOptimum === null ? '        n/a' : `${(r.gapToOptimum * 100).toFixed(3).padStart(9)}%`}${r.gapReference === 'bound' ? '*' : ' '} ${r.gapToBound === null ? '         n/a' : `${(r.gapToBound * 100).toFixed(3).padStart(12)}%`}   ${formatBytes(Math.max(...r.memoryPerGpuBytes))}`,
          );
        const B = scenario.training.globalBatch;
        const other = rows.filter((r) => r.globalBatch !== B);
        lines.push(`  speedup/B0: over B0 (host) at the row's own batch${other.length ? `; against B0 at the scenario's batch ${B} (batch and placement together): ${other.map((r) => `${r.algorithm} ${r.speedupOverB0AtScenarioBatch.toFixed(2)}x`).join(', ')}` : ` (every row ran at the scenario's batch ${B})`}`);
        if (rows.some((r) => r.gapReference === 'bound')) lines.push('  * the row-level bracket is wider than its target: gap to the certified bound');
        lines.push('  gap to opt: to the exact plan when the row-level bracket is within its target width, else to the certified bound');
        lines.push('  gap to bound: to the certified upper bound on row-level throughput over every candidate batch (never negative)');
        if (rowLevel)
          lines.push(
            `  row-level optimum: [${rowLevel.bestKnownSamplesPerSec.toPrecision(6)}, ${rowLevel.upperSamplesPerSec?.toPrecision(6) ?? 'no bound'}] samples/s` +
              ` (below: the best plan, ${rowLevel.bestKnownBy} at batch ${rowLevel.globalBatch}; above: the certified bound${rowLevel.relativeWidth === null ? '' : `; width ${(rowLevel.relativeWidth * 100).toFixed(3)}%`}; ${rowLevel.status})`,
          );
        if (torchrec) lines.push(restrictionLine(torchrec));
        if (wantSummary(ctx, opts.summary)) {
          const { withGlobalBatch } = await import('../../model/scenario.js');
          const { planSummary } = await import('../../report/summary.js');
          for (const r of plans.filter((p) => p.algorithm === 'exact' || p.algorithm === 'exact-torchrec')) {
            const s = r.evaluation.globalBatch === scenario.training.globalBatch ? scenario : withGlobalBatch(scenario, r.evaluation.globalBatch);
            lines.push(planSummary(s, r.plan, r.evaluation));
          }
        }
        ctx.out(`${lines.join('\n')}\n`);
      }),
    );
}
