/**
 * Worker-thread side of solve(model, { worker: true }). Importing this module inside a worker started by
 * worker-client.ts installs a one-shot message handler; in the main thread it does nothing.
 * The worker runs the in-process solve and posts log lines, progress and the result back.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Model } from './model.js';
import { isPackedModel, unpackModel, type PackedModel } from './packed.js';
import type { SolveOptions } from './result.js';
import { solveInProcess } from './solve.js';

/** URL of the module that holds this code (a source file under tsx, a bundle chunk in dist). */
export const WORKER_MODULE_URL = import.meta.url;

export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'progress'; progress: Parameters<NonNullable<SolveOptions['onProgress']>>[0] }
  | { type: 'result'; result: Awaited<ReturnType<typeof solveInProcess>> }
  | { type: 'error'; message: string };

if (!isMainThread && parentPort && (workerData as { scarecMipWorker?: boolean } | null)?.scarecMipWorker === true) {
  const port = parentPort;
  port.once('message', (msg: { model: Model | PackedModel; options: Omit<SolveOptions, 'onLog' | 'onProgress' | 'signal' | 'worker'>; log: boolean; progress: boolean }) => {
    const post = (m: WorkerMessage) => port.postMessage(m);
    solveInProcess(isPackedModel(msg.model) ? unpackModel(msg.model) : msg.model, {
      ...msg.options,
      ...(msg.log ? { onLog: (line: string) => post({ type: 'log', line }) } : {}),
      ...(msg.progress ? { onProgress: (progress) => post({ type: 'progress', progress }) } : {}),
    })
      .then((result) => post({ type: 'result', result }))
      .catch((e: unknown) => post({ type: 'error', message: (e as Error)?.message ?? String(e) }));
  });
  port.postMessage({ type: 'ready' });
}
