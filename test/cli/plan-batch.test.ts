import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/model/evaluate.js';
import { uniformPlan } from '../../src/model/plan.js';
import { loadScenario, withGlobalBatch } from '../../src/model/scenario.js';
import { runCli } from '../helpers/cli.js';

// Terabyte on 8 GPUs: the scenario's batch is 65536, its candidate batches include 131072, where greedy and
// exact plan (the batch search picks it). A plan file that forgot its batch would evaluate at 65536.
const TB = 'models/criteo-terabyte-8gpu.json';
const dir = mkdtempSync(join(tmpdir(), 'scarec-batch-'));
const json = (args: string[]) => {
  const r = runCli([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
};

describe('a plan carries the batch it was made for', () => {
  for (const algo of ['greedy', 'exact']) {
    it(`${algo}: plan --out, then evaluate, gives exactly the number plan printed`, () => {
      const file = join(dir, `${algo}.json`);
      const planned = json(['plan', TB, '--algo', algo, '--out', file]);
      const written = JSON.parse(readFileSync(file, 'utf8'));
      expect(planned.evaluation.globalBatch).toBe(131072);
      expect(written.batch).toBe(131072);
      const evaluated = json(['evaluate', TB, '--plan', file]);
      expect(evaluated.globalBatch).toBe(131072);
      expect(evaluated.batchSource).toBe('plan');
      expect(evaluated.throughputSamplesPerSec).toBe(planned.throughputSamplesPerSec);
      expect(evaluated.iterationSec).toBe(planned.evaluation.iterationSec);
      // the text output says where the batch came from
      const text = runCli(['evaluate', TB, '--plan', file]);
      expect(text.stdout).toMatch(/batch 131072, as the plan records/);
      // --batch pins it: the same plan at the scenario's batch is another number, and the output says so
      const pinned = json(['evaluate', TB, '--plan', file, '--batch', '65536']);
      expect(pinned.globalBatch).toBe(65536);
      expect(pinned.batchSource).toBe('pinned');
      expect(pinned.throughputSamplesPerSec).not.toBe(planned.throughputSamplesPerSec);
    }, 300_000);
  }
  it('plan --batch pins the batch (no batch search) and the plan file records it', () => {
    const file = join(dir, 'pinned.json');
    const planned = json(['plan', TB, '--algo', 'greedy', '--batch', '65536', '--out', file]);
    expect(planned.evaluation.globalBatch).toBe(65536);
    expect(JSON.parse(readFileSync(file, 'utf8')).batch).toBe(65536);
    const evaluated = json(['evaluate', TB, '--plan', file]);
    expect(evaluated.throughputSamplesPerSec).toBe(planned.throughputSamplesPerSec);
  }, 300_000);
  it('a plan without a batch is costed at the scenario batch (batchSource "scenario")', () => {
    const f = join(dir, 'tiny-plan.json');
    writeFileSync(f, JSON.stringify({ tables: { A: [{ from: 0, to: 4, at: 'host' }], B: [{ from: 0, to: 10, at: 'host' }] } }));
    const r = json(['evaluate', 'test/fixtures/tiny.json', '--plan', f]);
    expect(r.batchSource).toBe('scenario');
  });
  it('compare: every speedup is over B0 at the same batch', () => {
    const out = json(['compare', TB, '--time-limit', '20']);
    const scenario = loadScenario(TB);
    const host = uniformPlan(scenario, 'host', false);
    for (const row of out.rows) {
      // B0 (all rows on the host, no coalescing) costed in-process at the row's batch
      const b0 = evaluate(withGlobalBatch(scenario, row.globalBatch), host).throughputSamplesPerSec;
      expect(row.b0ThroughputSamplesPerSec).toBeCloseTo(b0, 6);
      expect(row.speedupOverB0).toBeCloseTo(row.throughputSamplesPerSec / b0, 12);
    }
    const exact = out.rows.find((r: { algorithm: string }) => r.algorithm === 'exact');
    expect(exact.globalBatch).toBe(131072);
    // against B0 at the scenario's batch (65536) the number is another one, and it is labelled
    const b0Scenario = out.rows.find((r: { algorithm: string }) => r.algorithm === 'host').throughputSamplesPerSec;
    expect(exact.speedupOverB0AtScenarioBatch).toBeCloseTo(exact.throughputSamplesPerSec / b0Scenario, 12);
    expect(exact.speedupOverB0AtScenarioBatch).not.toBeCloseTo(exact.speedupOverB0, 6);
  }, 300_000);
});

