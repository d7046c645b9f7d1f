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
import type { SolveOptions, SolveResult } from './result.js';
import { WORKER_MODULE_URL, type WorkerMessage } from './worker.js';

const BOOT = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.url);
})().catch((e) => parentPort.postMessage({ type: 'error', message: 'worker start failed: ' + (e && e.message ? e.message : String(e)) }));
`;

export function solveInWorker(model: Model, options: SolveOptions): Promise<SolveResult> {
  const { onLog, onProgress, signal, worker: _w, ...plain } = options;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('solve cancelled'));
  const fromSource = WORKER_MODULE_URL.endsWith('.ts');
  // the ESM build of tsx's register API (require.resolve would pick the CommonJS build)
  const tsxApi = fromSource ? pathToFileURL(join(dirname(createRequire(WORKER_MODULE_URL).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href : undefined;
  return new Promise<SolveResult>((resolve, reject) => {
    const worker = new Worker(BOOT, { eval: true, workerData: { scarecMipWorker: true, url: WORKER_MODULE_URL, tsxApi } });
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => done(() => reject(signal?.reason ?? new Error('solve cancelled')));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerMessage | { type: 'ready' }) => {
      if (m.type === 'ready') worker.postMessage({ model, options: plain, log: onLog !== undefined, progress: onProgress !== undefined });
      else if (m.type === 'log') onLog?.(m.line);
      else if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'result') done(() => resolve(m.result));
      else if (m.type === 'error') done(() => reject(new BackendError(`solver worker: ${m.message}`)));
    });
    worker.on('error', (e) => done(() => reject(new BackendError(`solver worker: ${e.message}`))));
    worker.on('exit', (code) => done(() => reject(new BackendError(`solver worker exited (code ${code}) without a result`))));
  });
}
