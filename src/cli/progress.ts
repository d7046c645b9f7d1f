import cliProgress from 'cli-progress';
import type { OnWorkProgress, WorkProgress } from '../progress.js';
import type { CliContext } from './run.js';

export interface ProgressHandle {
  /** true when progress is drawn: pass `onProgress` to a library only then (a solve with it runs in a worker) */
  active: boolean;
  update: OnWorkProgress;
  /** `update` when active, else undefined: what a library's `onProgress` option takes */
  onProgress: OnWorkProgress | undefined;
  stop: () => void;
}

const NONE: ProgressHandle = { active: false, update: () => {}, onProgress: undefined, stop: () => {} };

/** Seconds between redraws (the elapsed time ticks even while nothing reports: a solve runs in a worker). */
export const PROGRESS_REDRAW_SEC = 1;

const num = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toPrecision(6));

/** The solver part of a progress line: `incumbent X, bound Y, gap Z%`, empty when the work reports neither. */
export function solverDetail(p: WorkProgress): string {
  if (p.incumbent === undefined && p.bound === undefined) return '';
  return ` | incumbent ${num(p.incumbent)}, bound ${num(p.bound)}${p.gap === null || p.gap === undefined ? '' : `, gap ${(p.gap * 100).toFixed(3)}%`}`;
}

/** A drawing handle: its update is also the library's onProgress. */
const handle = (update: (p: WorkProgress) => void, stop: () => void): ProgressHandle => ({ active: true, update, onProgress: update, stop });

/**
 * Progress on stderr while a command works, the way `stats` shows one: only when a person watches (stdout
 * and stderr on a terminal, no --json) or SCAREC_PROGRESS=1 forces it, so stdout carries the result alone.
 * On a terminal a bar redraws in place; elsewhere (forced) one plain line per redraw. Both redraw every
 * PROGRESS_REDRAW_SEC while the event loop is free (solves with onProgress run in a worker; loops report
 * between steps), and at every change of stage, so the terminal is never silent for long.
 */
export function startProgress(ctx: CliContext, label: string): ProgressHandle {
  const mode = ctx.progressMode();
  if (mode === 'off') return NONE;
  const t0 = performance.now();
  let last: WorkProgress = { stage: 'starting' };
  const elapsed = () => ((performance.now() - t0) / 1e3).toFixed(0);
  if (mode === 'lines') {
    let lastLine = '';
    let lastAt = -Infinity;
    const line = (force: boolean) => {
      const count = last.done !== undefined && last.total !== undefined ? ` ${last.done}/${last.total}` : '';
      const body = `${label}${count} ${last.stage}${solverDetail(last)}`;
      const now = performance.now();
      if (!force && body === lastLine && now - lastAt < PROGRESS_REDRAW_SEC * 1e3) return;
      lastLine = body;
      lastAt = now;
      ctx.err(`${body} | ${elapsed()} s\n`);
    };
    line(true);
    const timer = setInterval(() => line(true), PROGRESS_REDRAW_SEC * 1e3);
    timer.unref();
    const update = (p: WorkProgress) => {
      const stageChanged = p.stage !== last.stage;
      // a stage's last state when it ends (a solve's final incumbent and bound), unless already written
      if (stageChanged) line(false);
      last = p;
      // a new stage at once; within a stage (a solver reports many incumbents) at most one line a second
      if (stageChanged || performance.now() - lastAt >= PROGRESS_REDRAW_SEC * 1e3) line(false);
    };
    return handle(update, () => {
      clearInterval(timer);
      line(false);
    });
  }
  const stream = ctx.io.stderr as unknown as NodeJS.WriteStream;
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {stage} | {elapsed} s{detail}`, stream, hideCursor: true, clearOnComplete: true, fps: 2 },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => ({ stage: last.stage, elapsed: elapsed(), detail: solverDetail(last) });
  bar.start(1, 0, payload());
  const timer = setInterval(() => bar.update(payload()), PROGRESS_REDRAW_SEC * 1e3);
  timer.unref();
  const update = (p: WorkProgress) => {
    last = p;
    if (p.total !== undefined && p.total > 0) bar.setTotal(p.total);
    if (p.done !== undefined) bar.update(p.done, payload());
    else bar.update(payload());
  };
  return handle(update, () => {
    clearInterval(timer);
    bar.stop();
  });
}
