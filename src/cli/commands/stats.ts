import type { IdOrder } from '../../data/idmap.js';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { MissingMode, StatsFormat, StatsProfile, StatsProgress } from '../../data/stats.js';
import { InputError } from '../../errors.js';
import { checkOutputFile, writeFileAtomic } from '../output.js';
import { action, formatBytes, parseNumberOption, printJson, type CliContext } from '../run.js';

export function formatStats(p: StatsProfile): string {
  const lines = [
    `${p.source.lines} lines, ${formatBytes(p.source.bytes)} in ${p.source.files.length} file(s), format ${p.format}, missing ${p.missing}`,
    `malformed lines: ${p.malformed.lines}${p.malformed.lines > 0 ? ` (${Object.entries(p.malformed.byReason).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
  ];
  for (const m of p.malformed.first) lines.push(`  ${m.file}:${m.line}: ${m.detail}`);
  if (p.memory.approximateFeatures.length > 0)
    lines.push(`approximate (memory budget ${formatBytes(p.memory.budgetBytes ?? 0)}): ${p.memory.approximateFeatures.join(', ')}`);
  lines.push('feature     accesses    missing   distinct  top1%  top10%  zipf');
  for (const [name, f] of Object.entries(p.features)) {
    lines.push(
      `${name.padEnd(8)}${String(f.accesses).padStart(12)}${String(f.missing).padStart(11)}${String(f.distinct).padStart(11)}${(f.approximate ? '~' : ' ')}${f.top1PctShare.toFixed(3).padStart(6)}${f.top10PctShare.toFixed(3).padStart(8)}  ${f.zipfAlpha === null ? '-' : f.zipfAlpha.toFixed(3)}`,
    );
  }
  return lines.join('\n');
}

interface StatsCliOptions {
  format: string;
  missing: string;
  out?: string;
  json?: boolean;
  memoryMb?: number;
  strict?: boolean;
  topIds: number;
  idMap: boolean;
  keepCounts?: boolean;
  merge?: boolean;
}

/**
 * The id map beside a profile (`stats --out` and `stats --merge --out`): each id file written atomically
 * (temporary + rename), like the profile, so a kill mid-write keeps the old one; a failed write is exit 2.
 */
async function writeProfileIdMap(out: string, idOrders: Record<string, IdOrder>, format: StatsProfile['format'], ctx: CliContext) {
  const { writeIdMap } = await import('../../data/idmap.js');
  try {
    return writeIdMap(out, idOrders, format === 'criteo' ? 'hex8' : 'decimal', (path, data) => writeFileAtomic(path, data, ctx.temps));
  } catch (e) {
    throw new InputError(`cannot write the id map (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, out);
  }
}

export function registerStats(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description('frequency profile of Criteo-format or id-per-line files (plain or .gz), in one streaming pass')
    .argument('<files...>', 'input files')
    .option('--format <format>', 'criteo (label, I1..I13, C1..C26, TAB-separated) or ids (one integer per line)', 'criteo')
    .option('--missing <mode>', 'skip: a missing value is no access; row: it is its own row (DLRM preprocessing)', 'skip')
    .option('--out <file>', 'write the profile (JSON) to this file')
    .option('--json', 'print the profile as one JSON object')
    .option('--memory-mb <M>', 'memory budget for the count tables; features that do not fit become heavy-hitter summaries', parseNumberOption('--memory-mb', { min: 1, max: 2 ** 30 }))
    .option('--strict', 'stop at the first malformed line (exit 2)')
    .option('--no-id-map', 'with --out: do not write the id-to-rank map beside the profile (PROFILE.ids/)')
    .option('--top-ids <n>', 'hottest ids kept per feature', parseNumberOption('--top-ids', { integer: true, min: 0, max: 1e7 }), 1000)
    .option('--keep-counts', "keep every id's count (and a summary's sketch) in the profile, so that stats --merge can combine it")
    .option('--merge', 'the files are profiles (written with --keep-counts): merge them into the profile of their inputs together')
    .action(
      action(ctx, async (files: string[], opts: StatsCliOptions) => {
        if (opts.merge) {
          if (opts.out) checkOutputFile(opts.out);
          const { readJsonFile } = await import('../../model/validate.js');
          const { mergeProfiles } = await import('../../data/merge.js');
          const profiles = files.map((f) => readJsonFile(f, 'profile') as StatsProfile);
          // the merged id map (as stats --out writes one): from the merged counts, ids by merged count
          const idOrders: Record<string, IdOrder> | undefined = opts.out && opts.idMap ? {} : undefined;
          const merged = mergeProfiles(profiles, files, idOrders ? { idOrders } : {});
          // a merged profile stays mergeable only if asked: the counts can be large
          if (!opts.keepCounts) for (const f of Object.values(merged.features)) delete f.mergeable;
          if (opts.out && idOrders) {
            merged.idMap = await writeProfileIdMap(opts.out, idOrders, merged.format, ctx);
          }
          if (opts.out) writeFileAtomic(opts.out, `${JSON.stringify(merged)}\n`, ctx.temps);
          if (opts.json) printJson(ctx, merged);
          else ctx.out(`${formatStats(merged)}\n`);
          return;
        }
        if (opts.format !== 'criteo' && opts.format !== 'ids') throw new InputError(`"${opts.format}" is not criteo or ids`, 'option --format');
        if (opts.missing !== 'skip' && opts.missing !== 'row') throw new InputError(`"${opts.missing}" is not skip or row`, 'option --missing');
        if (opts.out) checkOutputFile(opts.out);
        // A progress bar only when a person watches: both streams on a terminal, and no --json.
        const tty = ctx.interactive();
        let bar: cliProgress.SingleBar | undefined;
        const t0 = performance.now();
        let lastDraw = 0;
        const onProgress = tty
          ? (p: StatsProgress) => {
              const now = performance.now();
              if (bar === undefined) {
                bar = new cliProgress.SingleBar(
                  { format: '{bar} {percentage}% | {lines} lines | {linesPerSec} lines/s | {mbPerSec} MB/s | {file}', stream: ctx.io.stderr as unknown as NodeJS.WriteStream, hideCursor: true },
                  cliProgress.Presets.shades_classic,
                );
                bar.start(Math.max(p.totalBytes, 1), 0, { lines: 0, linesPerSec: 0, mbPerSec: 0, file: p.file });
              }
              if (now - lastDraw < 100 && p.bytesRead < p.totalBytes) return;
              lastDraw = now;
              const sec = Math.max((now - t0) / 1e3, 1e-3);
              // a pipe has no size: the total grows with what was read
              if (p.bytesRead > p.totalBytes) bar.setTotal(p.bytesRead);
              bar.update(p.bytesRead, {
                lines: p.lines,
                linesPerSec: Math.round(p.lines / sec),
                mbPerSec: (p.bytesRead / sec / 1e6).toFixed(1),
                file: `${p.file} (${p.fileIndex + 1}/${p.files})`,
              });
            }
          : undefined;
        const { computeStats } = await import('../../data/stats.js');
        const idOrders: Record<string, IdOrder> | undefined = opts.out && opts.idMap ? {} : undefined;
        let profile: StatsProfile;
        try {
          profile = await computeStats(files, {
            format: opts.format as StatsFormat,
            missing: opts.missing as MissingMode,
            memoryBytes: opts.memoryMb === undefined ? undefined : opts.memoryMb * 2 ** 20,
            strict: opts.strict,
            topIds: opts.topIds,
            keepCounts: opts.keepCounts,
            onProgress,
            ...(idOrders ? { idOrders } : {}),
          });
        } finally {
          bar?.stop();
        }
        if (opts.out && idOrders) {
          profile.idMap = await writeProfileIdMap(opts.out, idOrders, profile.format, ctx);
        }
        if (opts.out) writeFileAtomic(opts.out, `${JSON.stringify(profile)}\n`, ctx.temps);
        if (opts.json) printJson(ctx, profile);
        else ctx.out(`${formatStats(profile)}\n`);
      }),
    );
}
