import type { Command } from 'commander';
import type { Evaluation } from '../../model/evaluate.js';
import { checkInputFile } from '../output.js';
import { action, formatBytes, parseNumberOption, printJson, type CliContext } from '../run.js';

export const BATCH_FROM = { pinned: ', pinned by --batch', plan: ', as the plan records', scenario: ", the scenario's" } as const;

export function formatEvaluation(e: Evaluation & { batchSource?: keyof typeof BATCH_FROM }): string {
  const lines = [
    `plan ${e.plan} on ${e.scenario} (batch ${e.globalBatch}${e.batchSource ? BATCH_FROM[e.batchSource] : ''}, overlap ${e.overlap}, coalesce ${e.coalesce})`,
    `  iteration ${(e.iterationSec * 1e3).toPrecision(4)} ms, throughput ${e.throughputSamplesPerSec.toPrecision(4)} samples/s, bottleneck gpu${e.bottleneckGpu}, ${e.feasible ? 'feasible' : 'INFEASIBLE'}`,
    '  gpu   iter ms   dense  dedup  gather  a2a  hostlink  allreduce  hostdram   memory used / capacity',
  ];
  for (const g of e.gpus) {
    const t = g.terms;
    const ms = (x: number) => (x * 1e3).toFixed(3).padStart(7);
    lines.push(
      `  ${String(g.gpu).padEnd(4)}${ms(g.iterationSec)} ${ms(t.denseSec)}${ms(t.dedupSec)}${ms(t.localGatherSec)}${ms(t.allToAllSec)}${ms(t.hostLinkSec)}${ms(t.allReduceSec)}   ${ms(t.hostGatherSec)}   ${formatBytes(g.memoryUsedBytes)} / ${formatBytes(g.memoryCapacityBytes)}${g.overfull ? '  OVERFULL' : ''}`,
    );
  }
  lines.push(`  host memory ${formatBytes(e.host.memoryUsedBytes)} / ${formatBytes(e.host.memoryCapacityBytes)}${e.host.overfull ? '  OVERFULL' : ''}`);
  for (const s of e.shortfalls) lines.push(`  short: ${s.resource} needs ${formatBytes(s.needed)}, has ${formatBytes(s.available)}`);
  return lines.join('\n');
}

export function registerEvaluate(program: Command, ctx: CliContext): void {
  program
    .command('evaluate')
    .description('expected iteration time, traffic and memory of a plan (or a JSON array of plans)')
    .argument('<scenario>', 'scenario JSON file')
    .requiredOption('--plan <file>', 'plan JSON file (one plan or an array of plans)')
    .option('--batch <samples>', 'cost every plan at this global batch (default: the batch the plan records, else the scenario\'s)', parseNumberOption('--batch', { integer: true, min: 1, max: 1e12 }))
    .option('--json', 'print one JSON object')
    .action(
      action(ctx, async (scenarioFile: string, opts: { plan: string; batch?: number; json?: boolean }) => {
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario } = await import('../../model/scenario.js');
        const { loadPlans, planScenario } = await import('../../model/plan.js');
        const { evaluate } = await import('../../model/evaluate.js');
        const scenario = loadScenario(scenarioFile);
        const { plans, isArray } = loadPlans(opts.plan, scenario);
        // Each plan at the batch it was made for (or the pinned one): the number `plan` printed.
        const results = plans.map((p) => {
          const at = planScenario(scenario, p, opts.batch);
          return { ...evaluate(at.scenario, p), batchSource: at.batchSource };
        });
        if (opts.json) printJson(ctx, isArray ? { results } : results[0]);
        else ctx.out(`${results.map(formatEvaluation).join('\n\n')}\n`);
      }),
    );
}
