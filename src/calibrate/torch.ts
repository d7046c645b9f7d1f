import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError, InputError } from '../errors.js';
import { evaluate } from '../model/evaluate.js';
import type { IterationTerms } from '../model/loads.js';
import { planScenario, type CheckedPlan } from '../model/plan.js';
import type { Scenario } from '../model/scenario.js';
import type { DeviceProfile } from '../model/schema.js';
import { firstLine } from './open.js';
import { stageConstants } from './stage.js';

/**
 * The torch backend of `scarec validate`: the plan's embedding stage runs in PyTorch (python/scarec_torch),
 * and the calibrated model's prediction goes with it as coefficients (below), so that the Python side also
 * predicts on a GPU machine without Node (bench/gpu/).
 */

/**
 * The device constants the embedding stage's terms depend on. evaluate() is linear in each one's time per
 * unit (1 / bandwidth for *BytesPerSec, the value itself for seconds): proofs/cost-model.md §7, every term a
 * load times a time per unit, plus latencies times a count of phases.
 */
export const TORCH_CONSTANTS = [
  'gpuGatherBytesPerSec',
  'gpuGatherSecondsPerRow',
  'gpuBufferGatherBytesPerSec',
  'gpuBufferGatherSecondsPerRow',
  'hostGatherBytesPerSec',
  'hostGatherSecondsPerRow',
  'hostToGpuBytesPerSec',
  'gpuToGpuBytesPerSec',
  'latencySec',
  'dedupSecondsPerLookup',
  'dedupLatencySec',
  'dedupSecondsPerDistinctRow',
] as const;
export type TorchConstant = (typeof TORCH_CONSTANTS)[number];

/** The terms the stage runs (denseSec is not run: the prediction is made with no dense compute). */
export const STAGE_TERMS = ['dedupSec', 'hostGatherSec', 'hostLinkSec', 'allToAllSec', 'localGatherSec', 'allReduceSec'] as const;
export type StageTerm = (typeof STAGE_TERMS)[number];

/** Per GPU and term, the coefficient of each constant's time per unit. */
export interface PlanCoefficients {
  name: string;
  batch: number;
  gpus: Array<{ terms: Record<StageTerm, Partial<Record<TorchConstant, number>>> }>;
}

const isBandwidth = (c: TorchConstant) => c.endsWith('BytesPerSec');

/** The scenario with every constant set from its time per unit (0 time per unit: an infinitely fast resource). */
function withTimesPerUnit(scenario: Scenario, x: Record<TorchConstant, number>): Scenario {
  const bw = (c: TorchConstant) => (x[c] === 0 ? Infinity : 1 / x[c]);
  return {
    ...scenario,
    gpus: scenario.gpus.map((g) => ({
      ...g,
      gatherBytesPerSec: bw('gpuGatherBytesPerSec'),
      gatherSecondsPerRow: x.gpuGatherSecondsPerRow,
      bufferGatherBytesPerSec: bw('gpuBufferGatherBytesPerSec'),
      bufferGatherSecondsPerRow: x.gpuBufferGatherSecondsPerRow,
      hostToGpuBytesPerSec: bw('hostToGpuBytesPerSec'),
      denseSecondsPerSample: 0,
    })),
    host: { ...scenario.host, gatherBytesPerSec: bw('hostGatherBytesPerSec'), gatherSecondsPerRow: x.hostGatherSecondsPerRow },
    links: { ...scenario.links, gpuToGpuBytesPerSec: bw('gpuToGpuBytesPerSec'), interNodeBytesPerSec: bw('gpuToGpuBytesPerSec'), latencySec: x.latencySec },
    training: { ...scenario.training, overlap: 'serial', dedupSecondsPerLookup: x.dedupSecondsPerLookup, dedupLatencySec: x.dedupLatencySec, dedupSecondsPerDistinctRow: x.dedupSecondsPerDistinctRow },
  };
}

const zeros = (): Record<TorchConstant, number> => Object.fromEntries(TORCH_CONSTANTS.map((c) => [c, 0])) as Record<TorchConstant, number>;

/**
 * The coefficients of the model's prediction for a plan, read off evaluate() itself: with one constant's time
 * per unit at 1 and the others at 0, each term of each GPU is that constant's coefficient (evaluate is linear
 * in them, and 0 at all zeros: checked here). Serial overlap, no dense compute. Hierarchical links (more than
 * one node) mix two link constants in one maximum and are not linear in either: refused.
 */
export function predictionCoefficients(scenario: Scenario, plan: CheckedPlan): PlanCoefficients {
  if (new Set(scenario.gpus.map((g) => g.node)).size > 1)
    throw new InputError('the torch stage runs one node (the scenario spans several: links.gpusPerNode)', `${scenario.file ?? 'scenario'}: links.gpusPerNode`);
  // the batch evaluate costs the plan at: the one it records, else the scenario's
  const { scenario: s, batch } = planScenario(scenario, plan);
  const at = (x: Record<TorchConstant, number>) => evaluate(withTimesPerUnit(s, x), plan).gpus.map((g) => g.terms);
  const base = at(zeros());
  for (const g of base) for (const t of STAGE_TERMS) if (g[t] !== 0) throw new Error(`evaluate is not 0 at zero cost (${t} = ${g[t]})`);
  const gpus = s.gpus.map(() => ({ terms: Object.fromEntries(STAGE_TERMS.map((t) => [t, {}])) as PlanCoefficients['gpus'][number]['terms'] }));
  for (const c of TORCH_CONSTANTS) {
    const x = zeros();
    x[c] = 1;
    at(x).forEach((terms: IterationTerms, w) => {
      for (const t of STAGE_TERMS) if (terms[t] !== 0) gpus[w]!.terms[t][c] = terms[t];
    });
  }
  return { name: plan.name ?? plan.algorithm ?? 'plan', batch, gpus };
}

/** The profile's constants as the torch stage's prediction uses them (stageConstants; gpuToGpu where measured). */
export function torchConstants(profile: DeviceProfile): Partial<Record<TorchConstant, number>> {
  const c = stageConstants(profile);
  const out: Partial<Record<TorchConstant, number>> = { ...c };
  const g2g = profile.constants.gpuToGpuBytesPerSec as number | undefined;
  if (g2g !== undefined) out.gpuToGpuBytesPerSec = g2g;
  return out;
}

/** The scenario's own constants, for those a profile does not measure (one GPU: no all-to-all). */
export function scenarioConstants(scenario: Scenario): Partial<Record<TorchConstant, number>> {
  return { gpuToGpuBytesPerSec: scenario.links.gpuToGpuBytesPerSec, latencySec: scenario.links.latencySec };
}

/** The dot product of coefficients and times per unit: the TypeScript twin of python/scarec_torch/predict.py. */
export function predictFromCoefficients(coefs: PlanCoefficients, constants: Partial<Record<TorchConstant, number>>): Array<Record<StageTerm, number>> {
  return coefs.gpus.map((g) =>
    Object.fromEntries(
      STAGE_TERMS.map((t) => {
        let sec = 0;
        for (const [c, k] of Object.entries(g.terms[t]) as Array<[TorchConstant, number]>) {
          const v = constants[c];
          if (v === undefined) throw new InputError(`the profile has no ${c}`, `profile: constants.${c}`);
          sec += k * (isBandwidth(c) ? 1 / v : v);
        }
        return [t, sec];
      }),
    ) as Record<StageTerm, number>,
  );
}

/** The predictions file python/scarec_torch reads (--predictions). */
export function predictionsFile(scenario: Scenario, plans: readonly CheckedPlan[], profile?: DeviceProfile) {
  return {
    kind: 'scarec-torch-predictions',
    version: 1,
    scenario: scenario.name,
    constants: profile ? torchConstants(profile) : {},
    scenarioConstants: scenarioConstants(scenario),
    plans: plans.map((p) => predictionCoefficients(scenario, p)),
  };
}

/** The repository's python/ folder (the package scarec_torch), from this module's place in src/ or dist/. */
export function pythonDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'python', 'scarec_torch', '__init__.py'))) return join(d, 'python');
    d = dirname(d);
  }
  throw new BackendError('torch: python/scarec_torch not found beside the scarec package');
}

/**
 * glibc malloc settings for the torch processes on the CPU (the stage and bench/calibrate_torch.py alike): freed
 * blocks are kept and reused, as CUDA's caching allocator does on a GPU, instead of every tensor above 128 KiB
 * being mapped fresh and page-faulted in each iteration (measured at batch 16384: that doubled the device phases
 * and tripled the host link's). A user's GLIBC_TUNABLES wins.
 */
export const TORCH_CPU_MALLOC = 'glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296';

/**
 * The Python interpreter that has torch: $SCAREC_PYTHON, else Debian's /usr/bin/python3 (python3-torch installs
 * there), else python3 on PATH. Throws BackendError (exit 4) in one line when none imports torch.
 */
export function torchPython(env: NodeJS.ProcessEnv = process.env): { python: string; torchVersion: string } {
  const candidates = env.SCAREC_PYTHON ? [env.SCAREC_PYTHON] : ['/usr/bin/python3', 'python3'];
  let reason = '';
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.error) {
      reason = `${python}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message}`;
      continue;
    }
    if (r.status === 0) return { python, torchVersion: r.stdout.trim() };
    reason = `${python} has no torch (${firstLine(r.stderr || 'import failed').replace(/^.*Error: /, '')})`;
  }
  throw new BackendError(`torch is unavailable: ${reason}; install python3-torch or set SCAREC_PYTHON`);
}

export interface TorchRunOptions {
  iterations: number;
  warmup?: number;
  seed: number;
  device?: 'cpu' | 'cuda';
  env?: NodeJS.ProcessEnv;
  /** run every plan at this global batch (the plans passed carry it too); default: each plan's own */
  batch?: number;
}

/** Run `python3 -m scarec_torch validate` on the plan files with the predictions for `profile`; its JSON back. */
export async function runTorchStage(
  scenarioFile: string,
  planFiles: readonly string[],
  scenario: Scenario,
  plans: readonly CheckedPlan[],
  profile: DeviceProfile,
  opts: TorchRunOptions,
): Promise<TorchStageReport> {
  const { python } = torchPython(opts.env);
  const dir = mkdtempSync(join(tmpdir(), 'scarec-torch-'));
  try {
    const pred = join(dir, 'predictions.json');
    writeFileSync(pred, JSON.stringify(predictionsFile(scenario, plans, profile)));
    // a pinned batch: copies of the plan files that record it (the Python stage runs a plan at its `batch`)
    const files = opts.batch === undefined
      ? planFiles.map((p) => resolve(p))
      : planFiles.map((p, i) => {
          const copy = join(dir, `plan-${i}.json`);
          const text = readFileSync(p, 'utf8').replace(/^\uFEFF/, '');
          writeFileSync(copy, JSON.stringify({ ...(JSON.parse(text) as Record<string, unknown>), batch: opts.batch }));
          return copy;
        });
    const args = ['-m', 'scarec_torch', 'validate', resolve(scenarioFile), ...files.flatMap((p) => ['--plan', p]), '--predictions', pred, '--json',
      '--iterations', String(opts.iterations), '--warmup', String(opts.warmup ?? 3), '--seed', String(opts.seed), '--device', opts.device ?? 'cpu'];
    const base = opts.env ?? process.env;
    const env = { ...base, PYTHONPATH: [pythonDir(), base.PYTHONPATH].filter(Boolean).join(':'), GLIBC_TUNABLES: base.GLIBC_TUNABLES ?? TORCH_CPU_MALLOC };
    const { status, stdout, stderr } = await new Promise<{ status: number | null; stdout: string; stderr: string }>((res, rej) => {
      const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', rej);
      child.on('close', (code) => res({ status: code, stdout: out, stderr: err }));
    });
    if (status === 2) throw new InputError(firstLine(stderr).replace(/^error: /, ''));
    if (status === 4) throw new BackendError(firstLine(stderr).replace(/^error: /, ''));
    if (status !== 0) throw new Error(`python3 -m scarec_torch exited ${status}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(stdout) as TorchStageReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What python/scarec_torch/measure.py returns per plan (the fields validate prints). */
export interface TorchPlanResult {
  plan: string;
  coalesce: boolean;
  batch: number;
  iterations: number;
  ranks: number;
  measuredSec: number;
  /** the fastest timed iteration (the least disturbed on a shared machine) */
  fastestSec: number;
  phases: Record<string, number>;
  measuredTerms: Record<StageTerm, number>;
  bookkeepingSec: number;
  counts: { lookups: number; distinct: number; hostRows: number; peerRows: number };
  measuredSamplesPerSec: number;
  predictedSec: number;
  predictedTerms: Record<StageTerm, number>;
  predictedSamplesPerSec: number;
  relativeError: number;
  /** (predicted - measured) / measured per term, keyed by the term without "Sec" (dedup, hostGather, ...) */
  termErrors: Record<string, number | null>;
}

export interface TorchStageReport {
  scenario: string;
  device: string;
  torch: string;
  results: TorchPlanResult[];
}
