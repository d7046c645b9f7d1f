/**
 * Main-thread side of worker solving: start a worker that imports worker.ts (through tsx when running from
 * TypeScript sources), send it the model, relay its log and progress messages, and terminate it when the
 * caller's AbortSignal fires. Terminating a worker stops WebAssembly code too, so a cancelled solve frees
 * its core at once.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { BackendError } from '../errors.js';
import type { Model } from './model.js';
import { packModel } from './packed.js';
import type { SolveOptions, SolveResult } from './result.js';
import { WORKER_MODULE_URL, type WorkerMessage } from './worker.js';

const BOOT = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.url);
})().catch((e) => parentPort.postMessage({ type: 'error', message: 'worker start failed: ' + (e && e.message ? e.message : String(e)) }));
`;

/** A worker solve still running at WATCHDOG_FACTOR x its time limit + WATCHDOG_GRACE_SEC is terminated. */
export const WATCHDOG_FACTOR = 1.25;
export const WATCHDOG_GRACE_SEC = 2;

export function solveInWorker(model: Model, options: SolveOptions): Promise<SolveResult> {
  const { onLog, onProgress, signal, worker: _w, hardLimitSec: _h, ...plain } = options;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('solve cancelled'));
  const fromSource = WORKER_MODULE_URL.endsWith('.ts');
  // the ESM build of tsx's register API (require.resolve would pick the CommonJS build)
  const tsxApi = fromSource ? pathToFileURL(join(dirname(createRequire(WORKER_MODULE_URL).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href : undefined;
  return new Promise<SolveResult>((resolve, reject) => {
    const t0 = performance.now();
    const worker = new Worker(BOOT, { eval: true, workerData: { scarecMipWorker: true, url: WORKER_MODULE_URL, tsxApi } });
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (watchdog) clearTimeout(watchdog);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => done(() => reject(signal?.reason ?? new Error('solve cancelled')));
    signal?.addEventListener('abort', onAbort, { once: true });
    // Watchdog: a backend that runs well past its time limit (HiGHS can, in phases that check the clock
    // rarely) is terminated, and the solve reports the time limit with no solution and no bound.
    const limit = options.timeLimitSec;
    const hard = options.hardLimitSec ?? (limit !== undefined && Number.isFinite(limit) ? limit * WATCHDOG_FACTOR + WATCHDOG_GRACE_SEC : undefined);
    const watchdog =
      hard !== undefined && Number.isFinite(hard)
        ? setTimeout(() => {
            const solver = options.solver ?? 'glpk';
            done(() =>
              resolve({
                status: 'timelimit',
                objective: null,
                values: {},
                bestBound: null,
                boundSource: 'none',
                gap: null,
                solveSeconds: (performance.now() - t0) / 1e3,
                solver,
                solverVersion: '',
                message: `${solver} terminated at the hard limit (${hard.toFixed(2)} s): no solution or bound is known`,
              }),
            );
          }, hard * 1e3)
        : undefined;
    worker.on('message', (m: WorkerMessage | { type: 'ready' }) => {
      if (m.type === 'ready') worker.postMessage({ model: packModel(model) ?? model, options: plain, log: onLog !== undefined, progress: onProgress !== undefined });
      else if (m.type === 'log') onLog?.(m.line);
      else if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'result') done(() => resolve(m.result));
      else if (m.type === 'error') done(() => reject(new BackendError(`solver worker: ${m.message}`)));
    });
    worker.on('error', (e) => done(() => reject(new BackendError(`solver worker: ${e.message}`))));
    worker.on('exit', (code) => done(() => reject(new BackendError(`solver worker exited (code ${code}) without a result`))));
  });
}
