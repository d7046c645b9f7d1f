import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { runPython, skipTorch, torchSkipNote } from '../helpers/torch.js';

interface Case {
  plan: string;
  ranks: number;
  steps: number;
  coalesce: boolean;
  pooledMaxAbsError: number;
  pooledMaxAbs: number;
  tableMaxAbsError: number;
  everyRowHeld: boolean;
  optimizers: string[];
}

/**
 * python/scarec_torch's embedding stage against a plain nn.EmbeddingBag over the whole table (same ids, same
 * pooled gradients, same optimizer), after 3 steps: test/torch/check_stage.py. Three tables (Zipf with
 * pooling 3, uniform, counts whose id order is not their rank order, pooling 2.5 so bags differ in size);
 * every placement class alone (replicated, gpu, host) and a mixed plan (replicated head, two shards, host
 * tail), coalesced and not; SGD on every table, and row-wise Adagrad, element-wise Adagrad and row-wise
 * Adagrad (optimizerBytesPerRow 4, dim x 4, 4). Tolerance: 1e-5 absolute on values of magnitude <= 2 (the
 * pooled sums), i.e. fp32 rounding of sums of a few dozen terms in another order (measured: <= 7.2e-7).
 * A stage that drops a gradient, pools a wrong row or updates a row twice is off by >= 1e-3 (gradients are
 * 0.1 N(0,1), lr 0.05): the sampler-ordered update bug this test caught was off by 0.3.
 */
const TOL = 1e-5;

function cases(world: number): Case[] {
  const r = runPython([join(repoRoot, 'test', 'torch', 'check_stage.py'), String(world), '3'], 180_000);
  expect(r.stderr.replace(/.*UserWarning.*\n?.*\n?/g, '')).toBe('');
  expect(r.code).toBe(0);
  return r.json() as Case[];
}

function expectAllAgree(res: Case[], world: number) {
  for (const c of res) {
    expect(c.ranks).toBe(world);
    expect(c.everyRowHeld, `${c.plan}: every row held by some worker`).toBe(true);
    expect(c.pooledMaxAbs).toBeGreaterThan(0.5);
    expect(c.pooledMaxAbsError, `${c.plan} ${c.optimizers.join(',')} pooled`).toBeLessThan(TOL);
    expect(c.tableMaxAbsError, `${c.plan} ${c.optimizers.join(',')} table`).toBeLessThan(TOL);
  }
}

describe.skipIf(skipTorch)(`torch embedding stage = nn.EmbeddingBag reference to fp32 rounding${torchSkipNote}`, () => {
  it('one worker: every placement class and a mixed plan, coalesced and not, SGD and (row-wise) Adagrad', () => {
    const res = cases(1);
    const names = res.map((c) => `${c.plan}/${c.optimizers[0]}`);
    for (const p of ['replicated', 'gpu', 'host', 'mixed']) for (const c of ['c', 'u']) for (const o of ['sgd', 'rowwise_adagrad']) expect(names).toContain(`${p}-${c}/${o}`);
    expect(res.some((c) => c.optimizers.includes('adagrad'))).toBe(true);
    expectAllAgree(res, 1);
  });
  it('two workers (gloo): shards exchanged by all-to-all, replicated gradients all-reduced, one shared host table', () => {
    const res = cases(2);
    expect(res.filter((c) => c.plan.startsWith('mixed')).length).toBe(4);
    expectAllAgree(res, 2);
  });
  it('four workers (gloo): the same, with uneven shards (two of four GPUs own rows; the rest only fetch)', () => {
    const res = cases(4);
    expectAllAgree(res, 4);
  });
});
