import type { Command } from 'commander';
import type { Comparison, StageMeasurement } from '../../calibrate/stage.js';
import { BACKEND_NAMES, type BackendName } from '../../calibrate/backend.js';
import { BackendError, InputError } from '../../errors.js';
import type { TorchPlanResult } from '../../calibrate/torch.js';
import { checkInputFile } from '../output.js';
import { BATCH_FROM } from './evaluate.js';
import { action, parseNumberOption, printJson, type CliContext } from '../run.js';

const ms = (s: number) => `${(s * 1e3).toFixed(3)} ms`;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

const count = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const mb = (x: number) => `${(x / 1e6).toFixed(2)} MB`;

/**
 * Per phase: measured, the model's prediction (expected counts), the profile's constants times the counts this
 * run realised, and the counts themselves (random row accesses, bytes), so a reader sees which constant is off.
 */
export function formatStage(m: StageMeasurement): string {
  const c = m.counts;
  const rows: Array<[string, number, number | undefined, number | undefined, string]> = [
    ['dedup', m.phases.dedupSec, m.predictedPhases.dedupSec, m.countedPhases.dedupSec, `${count(c.dedupLookups)} lookups`],
    ['host gather + update', m.phases.hostGatherSec, m.predictedPhases.hostGatherSec, m.countedPhases.hostGatherSec, `${count(c.hostAccesses)} rows, ${mb(c.hostBytes)}`],
    ['host link', m.phases.hostLinkSec, m.predictedPhases.hostLinkSec, m.countedPhases.hostLinkSec, `${mb(c.linkBytes)}`],
    ['device gather + update', m.phases.localGatherSec, m.predictedPhases.localGatherSec, m.countedPhases.localGatherSec, `${count(c.deviceAccesses)} rows, ${mb(c.deviceBytes)}`],
    ['bookkeeping (not modelled)', m.bookkeepingSec, undefined, undefined, ''],
  ];
  const opt = (x: number | undefined) => (x === undefined ? '-' : ms(x));
  return [
    `plan ${m.plan}: measured ${ms(m.measuredSec)}/iteration (median of ${m.iterations}), predicted ${ms(m.predictedSec)}, error ${pct(m.relativeError)}`,
    `  host rows/iteration: measured ${m.hostRowsPerIteration.toFixed(0)}, expected ${m.predictedHostRowsPerIteration.toFixed(0)}`,
    `  ${'phase'.padEnd(27)} ${'measured'.padStart(11)} ${'predicted'.padStart(11)} ${'const*count'.padStart(11)}  counted per iteration`,
    ...rows.map(([name, a, b, d, what]) => `  ${name.padEnd(27)} ${ms(a).padStart(11)} ${opt(b).padStart(11)} ${opt(d).padStart(11)}  ${what}`),
  ].join('\n');
}

/** The model's terms the torch stage runs (as STAGE_TERMS in calibrate/torch.ts), with the phases that make them up. */
const TORCH_TERMS: Array<[keyof TorchPlanResult['measuredTerms'], string, string[]]> = [
  ['dedupSec', 'dedup (+ routing when coalescing)', []],
  ['hostGatherSec', 'host gather + update', []],
  ['hostLinkSec', 'host link', []],
  ['allToAllSec', 'all-to-all', []],
  ['localGatherSec', 'device gather, pool, backward, update', ['deviceGather', 'pooling', 'backward', 'update']],
  ['allReduceSec', 'all-reduce', []],
];

/** The torch stage's result: measured phases (grouped into the model's terms) next to the prediction, with errors. */
export function formatTorchStage(r: TorchPlanResult): string {
  const lines = [
    `plan ${r.plan}: measured ${ms(r.measuredSec)}/iteration (median of ${r.iterations}, ${r.ranks} worker${r.ranks > 1 ? 's' : ''}, batch ${r.batch}), predicted ${ms(r.predictedSec)}, error ${pct(r.relativeError)}`,
    `  per iteration: ${count(r.counts.lookups)} lookups, ${count(r.counts.distinct)} distinct, ${count(r.counts.hostRows)} host rows, ${count(r.counts.peerRows)} peer rows`,
    `  ${'term (measured phases)'.padEnd(38)} ${'measured'.padStart(11)} ${'predicted'.padStart(11)} ${'error'.padStart(8)}`,
  ];
  for (const [t, label, sub] of TORCH_TERMS) {
    const e = r.termErrors[t.replace(/Sec$/, '')] ?? null;
    lines.push(`  ${label.padEnd(38)} ${ms(r.measuredTerms[t]).padStart(11)} ${ms(r.predictedTerms[t]).padStart(11)} ${(e === null ? '-' : pct(e)).padStart(8)}`);
    for (const p of sub) lines.push(`    ${p.padEnd(36)} ${ms(r.phases[p]!).padStart(11)}`);
  }
  // with coalescing the routing is in the dedup term (proofs/cost-model.md §2), bookkeepingSec is then 0
  if (r.bookkeepingSec > 0) lines.push(`  ${'bookkeeping (not modelled)'.padEnd(38)} ${ms(r.bookkeepingSec).padStart(11)}`);
  return lines.join('\n');
}

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description("run a plan's embedding stage for real and compare the time per iteration with the calibrated model")
    .argument('<scenario>', 'scenario JSON file (one GPU; fp32 tables of at most 2^24 rows)')
    .requiredOption('--plan <file>', 'plan JSON file')
    .requiredOption('--profile <file>', 'device profile written by `scarec calibrate`')
    .option('--backend <name>', 'backend that runs the stage: cpu, webgpu or torch (PyTorch: $SCAREC_PYTHON or /usr/bin/python3)', 'cpu')
    .option('--device <name>', 'with --backend torch: cpu or cuda', 'cpu')
    .option('--iterations <n>', 'measured iterations', parseNumberOption('--iterations', { integer: true, min: 1, max: 100000 }), 40)
    .option('--against <file>', 'a second plan: report the measured and predicted speedup of --plan over it')
    .option('--seed <n>', 'sampling seed', parseNumberOption('--seed', { integer: true, min: 0 }), 7)
    .option('--batch <samples>', "run and predict at this global batch (default: the batch the plan records, else the scenario's)", parseNumberOption('--batch', { integer: true, min: 1, max: 1e12 }))
    .option('--json', 'print one JSON object')
    .action(
      action(ctx, async (scenarioFile: string, opts: { plan: string; profile: string; backend: string; device: string; iterations: number; against?: string; seed: number; batch?: number; json?: boolean }) => {
        if (opts.backend !== 'torch' && !(BACKEND_NAMES as readonly string[]).includes(opts.backend))
          throw new InputError(`unknown backend "${opts.backend}" (choose from ${[...BACKEND_NAMES, 'torch'].join(', ')})`, 'option --backend');
        if (opts.backend === 'torch' && opts.device !== 'cpu' && opts.device !== 'cuda') throw new InputError(`unknown device "${opts.device}" (cpu or cuda)`, 'option --device');
        checkInputFile(scenarioFile, 'scenario file');
        const { loadScenario } = await import('../../model/scenario.js');
        const { loadPlans } = await import('../../model/plan.js');
        const { deviceProfileSchema } = await import('../../model/schema.js');
        const { parseWithSchema, readJsonFile } = await import('../../model/validate.js');
        const scenario = loadScenario(scenarioFile);
        const profile = parseWithSchema(deviceProfileSchema, readJsonFile(opts.profile, 'device profile'), opts.profile);
        const one = (file: string) => {
          const { plans, isArray } = loadPlans(file, scenario);
          if (isArray) throw new InputError('validate takes one plan, not an array', file);
          return plans[0]!;
        };
        // both plans interleaved iteration by iteration, so drift from other processes hits them alike
        const loaded = [one(opts.plan), ...(opts.against ? [one(opts.against)] : [])];
        // One batch for the run and the prediction, as evaluate costs a plan: --batch, else the batch --plan
        // records, else the scenario's. --against runs at the same batch, so the speedup compares like with like.
        const { planScenario } = await import('../../model/plan.js');
        const at = planScenario(scenario, loaded[0]!, opts.batch);
        const plans = loaded.map((p) => ({ ...p, batch: at.batch }));
        const againstRecorded = opts.against ? (loaded[1]!.batch ?? null) : undefined;
        const batchInfo = { batch: at.batch, batchSource: at.batchSource, ...(againstRecorded !== undefined ? { againstRecordedBatch: againstRecorded } : {}) };
        const batchLine = `at batch ${at.batch}${BATCH_FROM[at.batchSource]}${againstRecorded != null && againstRecorded !== at.batch ? ` (--against records batch ${againstRecorded}; run at ${at.batch} too)` : ''}`;
        if (opts.backend === 'torch') {
          const { runTorchStage } = await import('../../calibrate/torch.js');
          const files = [opts.plan, ...(opts.against ? [opts.against] : [])];
          const report = await runTorchStage(scenarioFile, files, scenario, plans, profile, { iterations: opts.iterations, seed: opts.seed, device: opts.device as 'cpu' | 'cuda', batch: at.batch });
          const [b, o] = report.results as [TorchPlanResult, TorchPlanResult | undefined];
          const speed = o ? { measuredSpeedup: o.measuredSec / b.measuredSec, predictedSpeedup: o.predictedSec / b.predictedSec } : undefined;
          const speedupError = speed ? (speed.predictedSpeedup - speed.measuredSpeedup) / speed.measuredSpeedup : undefined;
          if (opts.json) {
            printJson(ctx, { scenario: scenario.name, ...batchInfo, backend: 'torch', device: report.device, torch: report.torch, profile: { backend: profile.backend, device: profile.device, date: profile.date }, result: b, ...(o ? { against: o, ...speed, speedupError } : {}) });
            return;
          }
          const out = [`stage run in PyTorch ${report.torch} on ${report.device} ${batchLine}; model calibrated on ${profile.backend} (${profile.device}, ${profile.date})`, formatTorchStage(b)];
          if (o && speed)
            out.push(formatTorchStage(o), `speedup of ${b.plan} over ${o.plan}: measured ${speed.measuredSpeedup.toFixed(2)}x, predicted ${speed.predictedSpeedup.toFixed(2)}x, error ${pct(speedupError!)}`);
          ctx.out(`${out.join('\n\n')}\n`);
          return;
        }
        const { openBackend } = await import('../../calibrate/open.js');
        const { compareStages, measureStages } = await import('../../calibrate/stage.js');
        const opened = await openBackend(opts.backend as BackendName);
        if (!opened.ok) throw new BackendError(`${opts.backend} is unavailable: ${opened.reason}`);
        const backend = opened.backend;
        let measured: StageMeasurement[];
        try {
          if (!backend.stageRunner) throw new BackendError(`validate does not run on the ${opts.backend} backend (it has no device-side stage); use cpu or webgpu`);
          measured = await measureStages(at.scenario, plans, profile, { iterations: opts.iterations, seed: opts.seed }, backend.stageRunner());
        } finally {
          await backend.dispose();
        }
        const [base, other] = measured as [StageMeasurement, StageMeasurement | undefined];
        const comparison: Comparison | undefined = other ? compareStages(base, other) : undefined;
        if (opts.json) {
          printJson(ctx, { scenario: scenario.name, ...batchInfo, backend: opts.backend, device: backend.device, profile: { backend: profile.backend, device: profile.device, date: profile.date }, result: base, ...(comparison ? { against: comparison.other, measuredSpeedup: comparison.measuredSpeedup, predictedSpeedup: comparison.predictedSpeedup, speedupError: comparison.relativeError } : {}) });
          return;
        }
        const out = [`stage run on ${opts.backend} (${backend.device}) ${batchLine}; model calibrated on ${profile.backend} (${profile.device}, ${profile.date})`, formatStage(base)];
        if (comparison)
          out.push(
            formatStage(comparison.other),
            `speedup of ${base.plan} over ${comparison.other.plan}: measured ${comparison.measuredSpeedup.toFixed(2)}x, predicted ${comparison.predictedSpeedup.toFixed(2)}x, error ${pct(comparison.relativeError)}`,
          );
        ctx.out(`${out.join('\n\n')}\n`);
      }),
    );
}
