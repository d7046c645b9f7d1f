import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../../calibrate/backend.js';
import type { CalibrationResult } from '../../calibrate/harness.js';
import { BackendError, InputError } from '../../errors.js';
import { checkOutputFile, writeFileAtomic } from '../output.js';
import { action, printJson, type CliContext } from '../run.js';

const ns = (x: number | undefined) => (x === undefined ? '-' : `${(x * 1e9).toPrecision(3)} ns`);
const gbps = (x: number | undefined) => (x === undefined ? '-' : `${(x / 1e9).toPrecision(4)} GB/s`);

export function formatCalibration(r: CalibrationResult): string {
  const p = r.profile;
  const c = p.constants as Record<string, number | undefined>;
  const ci = p.confidence;
  const row = (key: string, show: (x: number | undefined) => string) => {
    const i = ci?.intervals[key];
    const bound = p.boundedConstants.includes(key) ? '  (a bound: the per-byte term is not seen above the copy bandwidth)' : '';
    return `  ${key.padEnd(29)} ${show(c[key]).padStart(12)}${i ? `  [${show(i.low)}, ${show(i.high)}]` : ''}${bound}`;
  };
  const us = (x: number | undefined) => (x === undefined ? '-' : `${(x * 1e6).toPrecision(3)} us`);
  const lines = [
    `calibrated ${p.backend} on ${p.device} (${p.date})${ci ? `; ${Math.round(ci.level * 100)}% intervals from ${ci.resamples} bootstrap resamples of ${ci.rounds} rounds` : ''}`,
    row('gpuGatherBytesPerSec', gbps),
    row('gpuGatherSecondsPerRow', ns),
    row('gpuBufferGatherBytesPerSec', gbps),
    row('gpuBufferGatherSecondsPerRow', ns),
    row('hostGatherBytesPerSec', gbps),
    row('hostGatherSecondsPerRow', ns),
    row('hostToGpuBytesPerSec', gbps),
    row('gpuToGpuBytesPerSec', gbps),
    row('latencySec', us),
    row('dedupLatencySec', us),
    row('dedupSecondsPerLookup', ns),
    `  gather efficiency      ${(p.gatherEfficiency * 100).toFixed(1)}% of copy bandwidth`,
    `  results checked        ${p.measurements.length - p.incorrect} of ${p.measurements.length} equal the cpu reference`,
    '  fit                                              bandwidth     latency     R^2   worst residual  efficiency  per row',
  ];
  for (const f of p.families)
    lines.push(
      `  ${f.family.padEnd(46)} ${gbps(f.bytesPerSec).padStart(13)} ${`${(f.latencySec * 1e6).toFixed(1)} us`.padStart(11)} ${f.rSquared.toFixed(3).padStart(7)} ${`${(f.worstRelativeResidual * 100).toFixed(1)}%`.padStart(15)} ${f.efficiency === undefined ? '' : `${(f.efficiency * 100).toFixed(1)}%`.padStart(11)}${f.secondsPerRow === undefined ? '' : `  ${ns(f.secondsPerRow)}`}`,
    );
  lines.push('  (dedup "bandwidth" is lookups per second; the per-tier fits are latency + rows * per row + bytes / bandwidth)');
  return lines.join('\n');
}

export function parseBackends(value: string): BackendName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InputError('name at least one backend', 'option --backend');
  for (const n of names)
    if (!(BACKEND_NAMES as readonly string[]).includes(n))
      throw new InputError(`unknown backend "${n}" (choose from ${BACKEND_NAMES.join(', ')})`, 'option --backend');
  return [...new Set(names)] as BackendName[];
}

export function registerCalibrate(program: Command, ctx: CliContext): void {
  program
    .command('calibrate')
    .description('measure gather, dedup and copy kernels, fit the cost model constants, write a device profile')
    .option('--backend <names>', `backend, or a comma-separated list (${BACKEND_NAMES.join(', ')})`, 'cpu')
    .option('--quick', 'fewer sizes (under a minute on two cores)')
    .option('--out <file>', 'write the device profile here (one backend only)')
    .option('--json', 'print the profile(s) as JSON')
    .action(
      action(ctx, async (opts: { backend: string; quick?: boolean; out?: string; json?: boolean }) => {
        const names = parseBackends(opts.backend);
        if (opts.out && names.length > 1) throw new InputError('--out takes one backend; run once per backend', 'option --out');
        // the output path is checked before the run (minutes), not after it
        if (opts.out) checkOutputFile(opts.out);
        const { calibrateBackend, openBackend } = await import('../../calibrate/open.js');
        const results: CalibrationResult[] = [];
        const unavailable: string[] = [];
        for (const name of names) {
          const opened = await openBackend(name);
          if (!opened.ok) {
            // One line, then go on with the other backends.
            if (!ctx.json) ctx.err(`backend ${name} unavailable: ${opened.reason}\n`);
            unavailable.push(name);
            continue;
          }
          const bar = ctx.interactive()
            ? new cliProgress.SingleBar({ format: `${name} [{bar}] {value}/{total} {label}`, clearOnComplete: true, hideCursor: true, stream: ctx.io.stderr as unknown as NodeJS.WriteStream }, cliProgress.Presets.shades_classic)
            : undefined;
          let started = false;
          try {
            const r = await calibrateBackend(opened.backend, {
              quick: Boolean(opts.quick),
              onProgress: (done, total, label) => {
                if (!bar) return;
                if (!started) {
                  bar.start(total, 0, { label });
                  started = true;
                }
                bar.update(done, { label });
              },
            });
            results.push(r);
          } finally {
            bar?.stop();
            await opened.backend.dispose();
          }
        }
        if (results.length === 0) throw new BackendError(`no backend available (${unavailable.join(', ')})`);
        if (opts.out) writeFileAtomic(opts.out, `${JSON.stringify(results[0]!.profile, null, 2)}\n`, ctx.temps);
        if (opts.json) printJson(ctx, results.length === 1 ? results[0]!.profile : { profiles: results.map((r) => r.profile), unavailable });
        else {
          ctx.out(`${results.map(formatCalibration).join('\n\n')}\n`);
          if (opts.out) ctx.out(`profile written to ${opts.out}\n`);
        }
        for (const r of results)
          if (r.profile.incorrect > 0) {
            ctx.err(`error: ${r.profile.incorrect} ${r.profile.backend} results differ from the cpu reference\n`);
            return 1;
          }
      }),
    );
}
