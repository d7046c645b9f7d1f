import type { BackendName } from '../src/calibrate/backend.js';
import { calibrateBackend, openBackend } from '../src/calibrate/open.js';
import type { BenchContext, BenchResult } from './types.js';

/** Quick calibration on every backend that is available here: fitted constants and gather efficiency. */
export default async function bench(ctx: BenchContext): Promise<BenchResult> {
  const rows: BenchResult['rows'] = [];
  const notes: string[] = [];
  for (const name of ['cpu', 'gpujs', 'webgpu'] as BackendName[]) {
    const o = await openBackend(name);
    if (!o.ok) {
      notes.push(`${name} unavailable: ${o.reason}`);
      continue;
    }
    const t0 = performance.now();
    const { profile } = await calibrateBackend(o.backend, { quick: true });
    await o.backend.dispose();
    const c = profile.constants;
    const g = (x: unknown) => (typeof x === 'number' ? x / 1e9 : null);
    rows.push({
      backend: name,
      device: profile.device,
      seconds: (performance.now() - t0) / 1e3,
      gpuGatherGBps: g(c.gpuGatherBytesPerSec),
      hostGatherGBps: g(c.hostGatherBytesPerSec),
      hostToGpuGBps: g(c.hostToGpuBytesPerSec),
      deviceCopyGBps: g(c.deviceCopyBytesPerSec),
      latencyUs: typeof c.latencySec === 'number' ? c.latencySec * 1e6 : null,
      dedupNsPerLookup: typeof c.dedupSecondsPerLookup === 'number' ? c.dedupSecondsPerLookup * 1e9 : null,
      gatherEfficiency: profile.gatherEfficiency,
      gatherR2: profile.fits.gpuGather.rSquared,
      incorrect: profile.incorrect,
    });
    if (ctx.quick) break; // smoke runs: the cpu backend only
  }
  notes.push('gather efficiency = fitted gather bandwidth / device-to-device copy bandwidth, measured in the same run');
  return { title: 'Calibration (--quick): fitted constants and gather efficiency per backend', rows, notes };
}
