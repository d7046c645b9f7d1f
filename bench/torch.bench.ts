import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../src/calibrate/backend.js';
import { runTorchStage, STAGE_TERMS, TORCH_CPU_MALLOC, torchPython } from '../src/calibrate/torch.js';
import { loadPlans } from '../src/model/plan.js';
import { loadScenario } from '../src/model/scenario.js';
import { deviceProfileSchema } from '../src/model/schema.js';
import type { BenchContext, BenchResult } from './types.js';

/**
 * `validate --backend torch` on the CPU against the model calibrated by bench/calibrate_torch.py --device cpu
 * in the same round (target: within 15% per plan, as the cpu backend). Rounds of calibrate + validate (a shared
 * machine drifts between a calibration and the run it predicts); every round is reported, and the median error
 * per plan. The machine's load average is printed with each round.
 */
export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  const rows: BenchResult['rows'] = [];
  const notes: string[] = [];
  let python: string;
  try {
    python = torchPython().python;
  } catch (e) {
    return { title: 'validate --backend torch (PyTorch on the CPU)', rows, notes: [`skipped: ${(e as Error).message}`] };
  }
  const root = join(import.meta.dirname, '..');
  const dir = join(root, 'test', 'calibrate', 'fixtures');
  const scenarioFile = join(dir, 'small.json');
  const scenario = loadScenario(scenarioFile);
  // Two batches, the scenario's 4096 and 4x that, pinned as `validate --batch` pins one (runTorchStage's batch:
  // copies of the plan files that record it). The model has per-lookup, per-row, per-byte and per-dedup-call
  // costs but no per-operator-call cost (tens of microseconds per PyTorch call on the CPU), and its per-row laws
  // are fitted up to 2^17 lookups: both batches are reported, so the error's dependence on size shows.
  const planFiles = [join(dir, 'cache.plan.json'), join(dir, 'host.plan.json')];
  const loaded = planFiles.map((f) => loadPlans(f, scenario).plans[0]!);
  const planSets = [scenario.training.globalBatch, 4 * scenario.training.globalBatch].map((batch) => ({ batch, plans: loaded.map((p) => ({ ...p, batch })) }));
  const rounds = ctx.quick ? 1 : 3;
  const errors: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    const load = loadavg()[0]!;
    const out = join(mkdtempSync(join(tmpdir(), 'scarec-torch-bench-')), 'profile.json');
    const t0 = performance.now();
    const cal = spawnSync(python, [join(root, 'bench', 'calibrate_torch.py'), '--device', 'cpu', '--quick', '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? TORCH_CPU_MALLOC },
    });
    const calSec = (performance.now() - t0) / 1e3;
    if (cal.status !== 0) {
      notes.push(`round ${round + 1}: calibrate_torch.py failed: ${cal.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const profile = deviceProfileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    for (const set of planSets) {
      const report = await runTorchStage(scenarioFile, planFiles, scenario, set.plans, profile, { iterations: ctx.quick ? 5 : 30, seed: 7, batch: set.batch });
      for (const r of report.results) {
        (errors[`${r.plan} @${set.batch}`] ??= []).push(r.relativeError);
        const row: BenchResult['rows'][number] = { round: round + 1, loadAvg1m: load, calibrateSec: calSec, plan: r.plan, batch: set.batch, measuredMs: r.measuredSec * 1e3, fastestMs: r.fastestSec * 1e3, fastestErrorPct: ((r.predictedSec - r.fastestSec) / r.fastestSec) * 100, predictedMs: r.predictedSec * 1e3, errorPct: r.relativeError * 100 };
        for (const t of STAGE_TERMS) {
          if (r.measuredTerms[t] === 0 && r.predictedTerms[t] === 0) continue;
          row[`${t.replace('Sec', '')}Ms`] = r.measuredTerms[t] * 1e3;
          row[`${t.replace('Sec', '')}PredMs`] = r.predictedTerms[t] * 1e3;
        }
        rows.push(row);
      }
      const [a, b] = report.results;
      if (a && b)
        notes.push(`round ${round + 1}, batch ${set.batch} (load average ${load.toFixed(1)} on ${ctx.quick ? 'quick' : 'full'} settings): ${a.plan} ${(a.relativeError * 100).toFixed(1)}%, ${b.plan} ${(b.relativeError * 100).toFixed(1)}%; speedup of ${a.plan} over ${b.plan} measured ${(b.measuredSec / a.measuredSec).toFixed(2)}x, predicted ${(b.predictedSec / a.predictedSec).toFixed(2)}x`);
    }
  }
  const meds = Object.entries(errors).map(([plan, e]) => ({ plan, med: median(e) }));
  if (meds.length > 0)
    notes.push(
      `median error over ${rounds} round(s): ${meds.map((m) => `${m.plan} ${(m.med * 100).toFixed(1)}%`).join(', ')} (target: within 15% per plan: ${meds.every((m) => Math.abs(m.med) <= 0.15) ? 'met' : 'MISSED'})`,
    );
  notes.push('the torch-cpu profile is fitted by bench/calibrate_torch.py --device cpu --quick in the same round; phases are medians of the timed iterations, the total the median of per-iteration sums; both plans coalesce, so the routing of distinct ids is in the dedup term (proofs/cost-model.md §2)');
  return { title: 'validate --backend torch (PyTorch on the CPU) against the model calibrated with torch', rows, notes };
}
