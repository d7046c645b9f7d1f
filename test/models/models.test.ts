import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { criteoSample, describeWithCriteo } from '../helpers/criteo.js';
import { computeStats } from '../../src/data/stats.js';
import { evaluate } from '../../src/model/evaluate.js';
import { gpuEmbeddingCapacityBytes } from '../../src/model/loads.js';
import { uniformPlan } from '../../src/model/plan.js';
import { loadScenario } from '../../src/model/scenario.js';
import {
  KAGGLE_ROWS,
  SAMPLE_HEAD_ALPHA,
  TERABYTE_FULL_ROWS,
  TERABYTE_MLPERF_ROWS,
  TERABYTE_TORCHREC_ROWS,
  renderScenario,
  scenarios,
} from '../../models/generate.js';

const modelsDir = resolve(__dirname, '../../models');
const files = readdirSync(modelsDir).filter((f) => f.endsWith('.json')).sort();
const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);

describe('models/', () => {
  it('holds exactly what models/generate.ts writes', () => {
    const generated = scenarios();
    expect(files).toEqual(Object.keys(generated).sort());
    for (const f of files) expect(readFileSync(join(modelsDir, f), 'utf8'), f).toBe(renderScenario(generated[f]));
  });

  it('table-size lists have the published totals', () => {
    expect(sum(KAGGLE_ROWS)).toBe(33_762_577);
    expect(sum(TERABYTE_TORCHREC_ROWS)).toBe(177_944_275);
    expect(sum(TERABYTE_MLPERF_ROWS)).toBe(187_767_399);
    expect(sum(TERABYTE_FULL_ROWS)).toBe(882_774_559);
  });

  for (const f of files) {
    it(`${f} validates and evaluates (all rows on the host) to finite numbers`, () => {
      const s = loadScenario(join(modelsDir, f));
      const json = JSON.parse(readFileSync(join(modelsDir, f), 'utf8'));
      expect(typeof json.comment).toBe('string');
      expect(Object.keys(json.sources ?? {}).length).toBeGreaterThan(0);
      const e = evaluate(s, uniformPlan(s, 'host'));
      expect(Number.isFinite(e.iterationSec) && e.iterationSec > 0).toBe(true);
      expect(Number.isFinite(e.throughputSamplesPerSec) && e.throughputSamplesPerSec > 0).toBe(true);
      for (const g of e.gpus) for (const v of Object.values(g.terms)) expect(Number.isFinite(v)).toBe(true);
      expect(e.host.overfull).toBe(false);
    });
  }

  it('default scenario: Terabyte TorchRec sizes, dim 128, 8 GPUs, batch 65536; replicating every table does not fit', () => {
    const s = loadScenario(join(modelsDir, 'criteo-terabyte-8gpu.json'));
    expect(s.gpus.length).toBe(8);
    expect(s.training.globalBatch).toBe(65536);
    expect(s.tables.map((t) => t.rows)).toEqual(TERABYTE_TORCHREC_ROWS);
    expect(s.tables.every((t) => t.dim === 128 && t.bytesPerElement === 4 && t.optimizerBytesPerRow === 4)).toBe(true);
    const bytes = sum(s.tables.map((t) => t.rows * (t.rowBytes + t.optimizerBytesPerRow)));
    expect(bytes).toBeCloseTo(91.8e9, -8);
    expect(bytes).toBeGreaterThan(gpuEmbeddingCapacityBytes(s, 0)); // all-replicated is infeasible
    const replicated = evaluate(s, uniformPlan(s, 'replicated'));
    expect(replicated.feasible).toBe(false);
  });

});

describeWithCriteo('models/generate.ts and the Criteo sample', () => {
  it('the sample head exponents in models/generate.ts are what scarec stats measures on the sample', async () => {
    const p = await computeStats(criteoSample);
    SAMPLE_HEAD_ALPHA.forEach((a, j) => expect(p.features[`C${j + 1}`]!.zipfAlpha!).toBeCloseTo(a, 3));
  });
});
