import { buildScenario, type Scenario } from '../../src/model/scenario.js';
import type { ScenarioInput } from '../../src/model/schema.js';
import type { CheckedPlan } from '../../src/model/plan.js';
import type { PlanRange } from '../../src/model/schema.js';
import { evaluate } from '../../src/model/evaluate.js';

export function scenarioOf(input: ScenarioInput): Scenario {
  return buildScenario(input, { baseDir: '.', file: 'test' });
}

/** Every row-level plan (each row independently: replicated, gpu g, host); returns the best feasible one. */
export function enumerateBest(s: Scenario, coalesce = true, opts: { tablewise?: boolean; classes?: Array<'replicated' | 'gpu' | 'host'> } = {}): { iterationSec: number; plans: number; feasible: number } {
  const W = s.gpus.length;
  const allowed = opts.classes ?? ['replicated', 'gpu', 'host'];
  const cls: Array<{ at: PlanRange['at']; gpu?: number }> = [];
  if (allowed.includes('replicated')) cls.push({ at: 'replicated' });
  if (allowed.includes('gpu')) for (let g = 0; g < W; g++) cls.push({ at: 'gpu', gpu: g });
  if (allowed.includes('host')) cls.push({ at: 'host' });
  const units: Array<{ table: string; from: number; to: number }> = [];
  for (const t of s.tables) {
    if (opts.tablewise) units.push({ table: t.name, from: 0, to: t.rows });
    else for (let r = 0; r < t.rows; r++) units.push({ table: t.name, from: r, to: r + 1 });
  }
  const total = cls.length ** units.length;
  let best = Infinity;
  let feasible = 0;
  for (let code = 0; code < total; code++) {
    const tables: Record<string, PlanRange[]> = {};
    for (const t of s.tables) tables[t.name] = [];
    let c = code;
    for (const u of units) {
      const k = cls[c % cls.length]!;
      c = Math.floor(c / cls.length);
      tables[u.table]!.push({ from: u.from, to: u.to, at: k.at, ...(k.gpu !== undefined ? { gpu: k.gpu } : {}) });
    }
    const e = evaluate(s, { coalesce, tables } as CheckedPlan);
    if (!e.feasible) continue;
    feasible++;
    best = Math.min(best, e.iterationSec);
  }
  return { iterationSec: best, plans: total, feasible };
}

/** A small two-table scenario; memory tight enough that not everything fits on GPUs. */
export function smallInput(over: { overlap?: 'serial' | 'full'; gpus?: number; gpuMemoryBytes?: number; hetero?: boolean; nodes?: boolean; latencySec?: number } = {}): ScenarioInput {
  const W = over.gpus ?? 2;
  return {
    name: 'small',
    tables: [
      { name: 'A', rows: 3, dim: 2, bytesPerElement: 4, pooling: 2, distribution: { kind: 'counts', counts: [6, 3, 1] } },
      { name: 'B', rows: 3, dim: 4, bytesPerElement: 4, pooling: 1, optimizerBytesPerRow: 4, distribution: { kind: 'counts', counts: [5, 4, 1] } },
    ],
    devices: {
      gpus: W,
      gpuMemoryBytes: over.gpuMemoryBytes ?? 60,
      gpuGatherBytesPerSec: 1e9,
      hostMemoryBytes: 1e6,
      hostGatherBytesPerSec: 2e8,
      ...(over.hetero
        ? { gpuList: Array.from({ length: W }, (_, i) => ({ memoryBytes: 40 + 30 * i, hostToGpuBytesPerSec: 1e7 * (1 + i), batchShare: 1 + i })) }
        : {}),
    },
    links: {
      hostToGpuBytesPerSec: 1e7,
      gpuToGpuBytesPerSec: 5e7,
      latencySec: over.latencySec ?? 2e-7,
      ...(over.nodes ? { gpusPerNode: 1, interNodeBytesPerSec: 1e7 } : {}),
    },
    training: { globalBatch: 8, denseSecondsPerSample: 1e-7, overlap: over.overlap ?? 'serial' },
  };
}
