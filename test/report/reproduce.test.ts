import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/model/evaluate.js';
import { loadScenario } from '../../src/model/scenario.js';
import { figureCaching, singleGpuScenario } from '../../src/report/figures.js';
import { builtinPlanProvider, largestReplicatedShare, topRowsPlan } from '../../src/report/plans.js';
import { reproduce, type ReproduceResult } from '../../src/report/reproduce.js';

const FIXTURE = 'test/fixtures/report-small.json';

/** every number anywhere in a JSON value */
function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => numbers(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => numbers(x, out));
  return out;
}

describe('reproduce on a small scenario', () => {
  let dir: string;
  let result: ReproduceResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scarec-report-'));
    result = await reproduce({ scenarioFile: FIXTURE, outDir: dir, simLookupsPerPoint: 5e4, simBatches: 4 });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes report.html, report.md, summary.json and one SVG per panel', () => {
    for (const f of [result.files.html, result.files.markdown, result.files.summary, ...result.files.figures]) expect(existsSync(f)).toBe(true);
    expect(result.files.figures.length).toBeGreaterThanOrEqual(6);
  });

  it('summary.json carries six figures, finite numbers only, and readings that quote its numbers', () => {
    const summary = JSON.parse(readFileSync(result.files.summary, 'utf8'));
    expect(summary.figures.map((f: { number: number }) => f.number)).toEqual([1, 2, 3, 4, 5, 6]);
    const all = numbers(summary);
    expect(all.length).toBeGreaterThan(100);
    expect(all.every(Number.isFinite)).toBe(true);
    // the caching reading names the number of cached rows the data says reach 95% of the best
    const fig2 = summary.figures[1];
    expect(fig2.reading).toContain(`top ${fig2.data.enoughCachedRowsPerTable} rows`);
    // figure 1's simulated points agree with the model within 4 standard errors (fixed seed)
    expect(summary.figures[0].data.maxAbsZ).toBeLessThan(4);
    expect(summary.figures[5].data.maxAbsZ).toBeLessThan(4);
  });

  it('figure 5 puts the TorchRec-space optimum next to exact: its restriction cost is 1 - its throughput / exact\'s, per instance, and the reading quotes it', () => {
    const summary = JSON.parse(readFileSync(result.files.summary, 'utf8'));
    const fig5 = summary.figures[4];
    const fig3 = summary.figures[2];
    expect(fig3.data.algorithms).toContain('exact-torchrec');
    const cost: Array<{ instance: string; cost: number }> = fig5.data.torchrecRestrictionCost;
    expect(cost.map((c) => c.instance)).toEqual(fig5.data.instances.map((i: { instance: string }) => i.instance));
    // at the scenario's own memory: recompute from figure 3's throughputs of the same plans
    const plans = fig3.data.byMemory[fig3.data.byMemory.length - 1].plans as Array<{ algorithm: string; throughputSamplesPerSec: number }>;
    const tp = (a: string) => plans.find((p) => p.algorithm === a)!.throughputSamplesPerSec;
    const here = cost.find((c) => c.instance === 'memory x1')!;
    expect(here.cost).toBeCloseTo(1 - tp('exact-torchrec') / tp('exact'), 12);
    // the TorchRec space is a subset of the full space: it cannot beat exact by more than exact's tolerance (1e-4)
    for (const c of cost) expect(c.cost).toBeGreaterThan(-1e-3);
    expect(fig5.reading).toContain('TorchRec space');
  });

  it('figure 5 shows exact\'s row-level bracket: bound at or above the exact plan, width = bound / plan - 1, quoted in the reading', () => {
    const summary = JSON.parse(readFileSync(result.files.summary, 'utf8'));
    const fig5 = summary.figures[4];
    const inst = fig5.data.instances as Array<{ referenceThroughput: number; boundThroughput: number | null; solverGap: number | null; status: string }>;
    expect(inst.some((i) => i.boundThroughput !== null)).toBe(true);
    for (const i of inst) {
      if (i.boundThroughput === null) continue;
      // the certified row-level bound is never below the plan it certifies
      expect(i.boundThroughput).toBeGreaterThanOrEqual(i.referenceThroughput * (1 - 1e-9));
      expect(i.solverGap!).toBeCloseTo(i.boundThroughput / i.referenceThroughput - 1, 9);
    }
    expect(fig5.reading).toContain('row-level bracket width at most');
  });

  it('the HTML is self-contained and holds the six figures with their SVGs inline', () => {
    const html = readFileSync(result.files.html, 'utf8');
    const doc = new JSDOM(html).window.document;
    const sections = Array.from(doc.querySelectorAll('section.figure'));
    expect(sections.map((s) => s.getAttribute('data-figure'))).toEqual(['1', '2', '3', '4', '5', '6']);
    for (const s of sections) {
      expect(s.querySelectorAll('svg').length).toBeGreaterThanOrEqual(1);
      expect(s.querySelector('.reading')!.textContent!.length).toBeGreaterThan(40);
    }
    expect(doc.querySelectorAll('script, link[rel=stylesheet], img').length).toBe(0);
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('the Markdown links every SVG file, which parses as SVG', () => {
    const md = readFileSync(result.files.markdown, 'utf8');
    const { window } = new JSDOM('');
    for (const f of result.files.figures) {
      const name = f.split('/').pop()!;
      expect(md).toContain(`](${name})`);
      const doc = new window.DOMParser().parseFromString(readFileSync(f, 'utf8'), 'image/svg+xml');
      expect(doc.getElementsByTagName('parsererror').length).toBe(0);
    }
  });
});

describe('report pieces', () => {
  const scenario = loadScenario(FIXTURE);

  it('caching more rows never increases host-link traffic (f is increasing in p: the hottest rows go first)', () => {
    const one = singleGpuScenario(scenario);
    let previous = Infinity;
    for (const c of [0, 1, 10, 100, 1000, 10000, 100000]) {
      const bytes = evaluate(one, topRowsPlan(one, c)).gpus[0]!.bytes.hostLink;
      expect(bytes).toBeLessThanOrEqual(previous * (1 + 1e-12));
      previous = bytes;
    }
    expect(previous).toBe(0); // every table fully cached: nothing crosses the host link
  });

  it('the one-GPU scenario takes GPU 0 and its share of the batch', () => {
    const one = singleGpuScenario(scenario);
    expect(one.gpus).toHaveLength(1);
    expect(one.training.globalBatch).toBe(scenario.gpus[0]!.batchSamples);
    expect(one.gpus[0]!.memoryBytes).toBe(scenario.gpus[0]!.memoryBytes);
  });

  it('the largest replicated share fits and a slightly larger one does not', () => {
    const s = largestReplicatedShare(scenario);
    const used = (share: number) => scenario.tables.reduce((a, t) => a + Math.floor(share * t.rows) * (t.rowBytes + t.optimizerBytesPerRow), 0);
    expect(used(s)).toBeLessThanOrEqual(scenario.gpus[0]!.memoryBytes);
    expect(used(s * 1.001 + 1e-6)).toBeGreaterThan(scenario.gpus[0]!.memoryBytes);
  });

  it('figure 2 reports where the cache stops fitting: the first infeasible point exceeds GPU memory', () => {
    const fig = figureCaching(scenario, { seed: 1, simLookupsPerPoint: 1, simBatches: 1, planner: builtinPlanProvider });
    const data = fig.data as { points: Array<{ cachedBytes: number; feasible: boolean }>; gpuMemoryBytes: number };
    for (const p of data.points) expect(p.feasible).toBe(p.cachedBytes <= data.gpuMemoryBytes);
  });
});
