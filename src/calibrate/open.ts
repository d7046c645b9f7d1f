import type { BackendName, BackendOpening, CalibrationBackend } from './backend.js';
import { openCpuBackend } from './cpu.js';
import { fitCopyLaw, fitProfile, lastLevelCacheBytes, runSweep, sweepPlan, type CalibrationResult, type CopyMeasurement, type GatherMeasurement, type Progress } from './harness.js';

/**
 * Open a backend by name. Never throws for an unavailable backend: the reason comes back in one line
 * (no adapter, a missing native binary, ...), so callers go on with the others.
 */
export async function openBackend(name: BackendName, opts: { webgpuFlags?: string[] } = {}): Promise<BackendOpening> {
  try {
    if (name === 'cpu') return { ok: true, backend: openCpuBackend() };
    if (name === 'webgpu') {
      const { openWebGpuBackend } = await import('./webgpu.js');
      return await openWebGpuBackend(opts.webgpuFlags);
    }
    const { openGpuJsBackend } = await import('./gpujs.js');
    return await openGpuJsBackend();
  } catch (e) {
    return { ok: false, reason: `${name}: ${firstLine((e as Error)?.message ?? String(e))}` };
  }
}

export function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '')?.trim() ?? s;
}

export interface CalibrateOptions {
  quick: boolean;
  seed?: number;
  onProgress?: Progress;
  date?: Date;
}

/** Measure and fit one open backend; for device backends the host gather is measured on the cpu too. */
export async function calibrateBackend(backend: CalibrationBackend, opts: CalibrateOptions): Promise<CalibrationResult> {
  const t0 = performance.now();
  const plan = sweepPlan({ quick: opts.quick, llcBytes: lastLevelCacheBytes(), maxBufferBytes: backend.maxBufferBytes, seed: opts.seed });
  let hostGather: GatherMeasurement[] | undefined;
  let hostCopyBytesPerSec: number | undefined;
  if (backend.name !== 'cpu') {
    const cpu = openCpuBackend();
    // the host's own gathers and memory copies (the copy bandwidth bounds the host tier's per-byte term)
    const hostPlan = { ...plan, tableBytes: [Math.max(...plan.tableBytes)], skews: [{ kind: 'uniform' as const }], dedupLookups: [] };
    const host = await runSweep(cpu, hostPlan, { copyDirections: ['deviceToDevice'] });
    hostGather = host.filter((m): m is GatherMeasurement => m.family === 'gather');
    hostCopyBytesPerSec = fitCopyLaw(host.filter((m): m is CopyMeasurement => m.family === 'copy'), 'copy/host')?.bytesPerSec;
    await cpu.dispose();
  }
  // On the cpu the three copy directions are one operation (a copy between two host buffers, pooled into one
  // law by fitProfile): quick measures it once, not three times.
  const copyDirections = backend.name === 'cpu' && opts.quick ? (['deviceToDevice'] as const) : undefined;
  const measurements = await runSweep(backend, plan, { onProgress: opts.onProgress, ...(copyDirections ? { copyDirections } : {}) });
  // bootstrap resamples over rounds for the confidence intervals (proofs/calibration-fit.md §8)
  const result = fitProfile(backend, measurements, { hostGather, hostCopyBytesPerSec, date: opts.date, seed: opts.seed, resamples: opts.quick ? 100 : 300 });
  Object.assign(result.profile, { quick: opts.quick, seconds: (performance.now() - t0) / 1e3, sweep: { ...plan } });
  return result;
}
