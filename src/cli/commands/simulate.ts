import type { Command } from 'commander';
import type { Simulation } from '../../sim/simulate.js';
import type { Comparison } from '../../sim/stats.js';
import { startProgress } from '../progress.js';
import { checkInputFile } from '../output.js';
import { action, formatBytes, parseNumberOption, printJson, type CliContext } from '../run.js';

const pm = (c: Comparison, fmt: (x: number) => string) =>
  `${fmt(c.mean)} ± ${fmt(c.se)} vs ${fmt(c.expected)} (z ${c.z.toFixed(2)})`;
const num = (x: number) => x.toPrecision(6);

export function formatSimulation(r: Simulation): string {
  const lines = [
    `simulated plan ${r.plan} on ${r.scenario}: ${r.batches} batches, seed ${r.seed}, ${r.lookupsPerBatch} lookups per batch, coalesce ${r.coalesce}`,
    '  distinct rows per batch: measured mean ± se vs analytic expectation (z-score)',
  ];
  for (const t of r.tables) {
    lines.push(`  table ${t.name}: ${t.distribution}${t.lookupsRounded ? ' (b_w L_t rounded to whole lookups)' : ''}`);
    for (const w of t.workers) lines.push(`    gpu${w.worker}  K=${w.lookups}  ${pm(w, num)}`);
    lines.push(`    global K=${t.global.lookups}  ${pm(t.global, num)}`);
    if (t.cache) {
      const c = t.cache;
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      lines.push(
        `    caches of ${c.rowsPerCache} rows per GPU (${c.countedBatches} batches after warm-up): static top-c expected ${pct(c.staticExpectedHitRate)}, measured ${pct(c.staticMeasuredHitRate)}; LRU ${pct(c.lruHitRate)}; LFU ${pct(c.lfuHitRate)}`,
      );
    }
  }
  lines.push('  bytes per iteration: measured mean ± se vs evaluate');
  for (const g of r.gpus) {
    lines.push(`    gpu${g.gpu} host link ${pm(g.hostLinkBytes, formatBytes)}`);
    lines.push(`    gpu${g.gpu} all-to-all in ${pm(g.allToAllInBytes, formatBytes)}, out ${pm(g.allToAllOutBytes, formatBytes)}`);
    lines.push(`    gpu${g.gpu} all-reduce ${pm(g.allReduceBytes, formatBytes)}, HBM ${pm(g.hbmBytes, formatBytes)}`);
  }
  lines.push(`    host DRAM ${pm(r.host.dramBytes, formatBytes)}`);
  const ms = (x: number) => `${(x * 1e3).toPrecision(5)} ms`;
  lines.push(`  iteration ${pm(r.iterationSec, ms)} (the mean of a max is at least the max at the mean loads)`);
  return lines.join('\n');
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description('Monte Carlo check of the expected-cost model: sampled, coalesced batches costed with the same model')
    .argument('<scenario>', 'scenario JSON file')
    .option('--plan <file>', 'plan JSON file, or an array of plans (default: every row on host, coalesced)')
    .requiredOption('--batches <n>', 'number of sampled iterations', parseNumberOption('--batches', { integer: true, min: 1, max: 1e9 }))
    .requiredOption('--seed <s>', 'random seed (integer)', parseNumberOption('--seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }))
    .option('--cache-rows <c>', 'rows of each dynamic LRU/LFU cache, one per (GPU, table)', parseNumberOption('--cache-rows', { integer: true, min: 0 }))
    .option('--warmup <n>', 'batches before cache hits are counted (default: a fifth of --batches)', parseNumberOption('--warmup', { integer: true, min: 0 }))
    .option('--json', 'print one JSON object')
    .action(
      action(ctx, async (scenarioFile: string, opts: { plan?: string; batches: number; seed: number; cacheRows?: number; warmup?: number; json?: boolean }) => {
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario } = await import('../../model/scenario.js');
        const { loadPlans, planScenario, uniformPlan } = await import('../../model/plan.js');
        const { simulate } = await import('../../sim/simulate.js');
        const scenario = loadScenario(scenarioFile);
        const { plans, isArray } = opts.plan
          ? loadPlans(opts.plan, scenario)
          : { plans: [uniformPlan(scenario, 'host', true, 'all-host')], isArray: false };
        const progress = startProgress(ctx, 'simulate');
        let results: Simulation[];
        try {
          results = plans.map((p, i) =>
            simulate(planScenario(scenario, p).scenario, p, {
              batches: opts.batches,
              seed: opts.seed,
              cacheRows: opts.cacheRows,
              warmupBatches: opts.warmup,
              onBatch: (done, total) => progress.update({ stage: `plan ${i + 1}/${plans.length}`, done, total }),
            }),
          );
        } finally {
          progress.stop();
        }
        if (opts.json) printJson(ctx, isArray ? { results } : results[0]);
        else ctx.out(`${results.map(formatSimulation).join('\n\n')}\n`);
      }),
    );
}
