import cliProgress from 'cli-progress';
import type { WorkProgress } from '../progress.js';
import type { CliContext } from './run.js';

export interface ProgressHandle {
  update: (p: WorkProgress) => void;
  stop: () => void;
}

const NONE: ProgressHandle = { update: () => {}, stop: () => {} };

const num = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toPrecision(6));

/**
 * A progress bar on stderr while a command works, the way `stats` shows one: only when a person watches
 * (stdout and stderr on a terminal, no --json), so stdout carries the result alone. The elapsed time
 * redraws every second while the event loop is free (solves run in a worker or yield between steps).
 */
export function startProgress(ctx: CliContext, label: string): ProgressHandle {
  if (!ctx.interactive()) return NONE;
  const stream = ctx.io.stderr as unknown as NodeJS.WriteStream;
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {stage} | {elapsed} s{detail}`, stream, hideCursor: true, clearOnComplete: true, fps: 2 },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  let last: WorkProgress = { stage: 'starting' };
  const payload = () => ({
    stage: last.stage,
    elapsed: ((performance.now() - t0) / 1e3).toFixed(0),
    detail:
      last.incumbent !== undefined || last.bound !== undefined
        ? ` | incumbent ${num(last.incumbent)}, bound ${num(last.bound)}${last.gap === null || last.gap === undefined ? '' : `, gap ${(last.gap * 100).toFixed(3)}%`}`
        : '',
  });
  bar.start(1, 0, payload());
  const timer = setInterval(() => bar.update(payload()), 1000);
  timer.unref();
  return {
    update: (p) => {
      last = p;
      if (p.total !== undefined && p.total > 0) bar.setTotal(p.total);
      if (p.done !== undefined) bar.update(p.done, payload());
      else bar.update(payload());
    },
    stop: () => {
      clearInterval(timer);
      bar.stop();
    },
  };
}
