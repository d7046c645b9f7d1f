import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupedBarChart, lineChart } from '../../src/report/charts.js';
import { reproduce, type ReproduceResult } from '../../src/report/reproduce.js';
import { outside, overlappingTexts, textBoxes } from './svg-geometry.js';

describe('chart layout from the SVG geometry', () => {
  it('long group labels are rotated and no two texts overlap (a horizontal layout would)', () => {
    const groups = ['host', 'host-coalesced', 'tablewise-greedy', 'cache-greedy', 'greedy', 'exact', 'exact-tablewise', 'exact-cache'];
    const svg = groupedBarChart({
      title: 'speedup',
      groups,
      series: [1, 2, 3, 4].map((k) => ({ name: `batch ${16384 * k}`, values: groups.map((_, i) => 1 + i * k) })),
      xLabel: 'plan',
      yLabel: 'speedup over B0 (x)',
      yScale: 'log',
      referenceY: { y: 1, label: 'B0' },
      references: [{ y: 6, label: 'paper: up to 6x' }],
    });
    expect(overlappingTexts(svg)).toEqual([]);
    expect(outside(svg)).toEqual([]);
    const ticks = textBoxes(svg).filter((b) => groups.includes(b.text));
    expect(ticks).toHaveLength(groups.length);
    // rotated: the box's top edge is not horizontal
    expect(Math.abs(ticks[0]!.corners[1]![1] - ticks[0]!.corners[0]![1])).toBeGreaterThan(1);
    // the checker itself catches overlap: the same labels side by side, unrotated, overlap
    const flat = svg.replace(/transform="translate\(-4, 6\) rotate\(-40\)"/g, '');
    expect(overlappingTexts(flat).length).toBeGreaterThan(0);
    // both reference lines are drawn and labelled
    expect(svg).toContain('paper: up to 6x');
  });
  it('log axes stay within 5% (in decades) of the data; legends list only drawn series', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'global batch (samples)',
      yLabel: 'throughput (samples/s)',
      xScale: 'log',
      yScale: 'log',
      lines: [
        { name: 'exact', points: [{ x: 16384, y: 3e6 }, { x: 65536, y: 2.9e7 }, { x: 131072, y: 3.2e7 }] },
        { name: 'greedy', points: [{ x: 16384, y: 3e6 }, { x: 65536, y: 2.9e7 }, { x: 131072, y: 3.2e7 }] },
        { name: 'infeasible everywhere', points: [{ x: 16384, y: NaN }] },
      ],
    });
    const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
    const legend = Array.from(doc.querySelectorAll('.legend-item text')).map((t) => t.textContent);
    expect(legend).toEqual(['exact', 'greedy']);
    // greedy on exact: different dashes and symbols, so the one on top does not hide the other
    const paths = Array.from(doc.querySelectorAll('.series-line'));
    expect(paths[0]!.getAttribute('stroke-dasharray')).not.toBe(paths[1]!.getAttribute('stroke-dasharray'));
    const sym = Array.from(doc.querySelectorAll('.series-symbols')).map((g) => g.querySelector('path')!.getAttribute('d'));
    expect(sym).toHaveLength(2);
    expect(sym[0]).not.toBe(sym[1]);
    // the axis spans the data, not whole decades: the lowest and highest points sit within 6% of the plot's
    // height from its edges (d3's nice() made 1e6..1e8 of 3e6..3.2e7: the lowest point 24% up)
    const ys = Array.from(doc.querySelectorAll('.series-symbol')).map((p) => Number(/translate\([^,]+,\s*([-\d.e]+)\)/.exec(p.getAttribute('transform')!)![1]));
    const [top, bottom] = [36, 400 - 52];
    expect((bottom - Math.max(...ys)) / (bottom - top)).toBeLessThan(0.06);
    expect((Math.min(...ys) - top) / (bottom - top)).toBeLessThan(0.06);
    expect(Array.from(doc.querySelectorAll('.y-axis .tick text')).some((t) => t.textContent !== '')).toBe(true);
    expect(overlappingTexts(svg)).toEqual([]);
  });
});

describe('the report figures have no overlapping text', () => {
  let dir: string;
  let result: ReproduceResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scarec-layout-'));
    result = await reproduce({ scenarioFile: 'test/fixtures/report-small.json', outDir: dir, simLookupsPerPoint: 5e4, simBatches: 4 });
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('every panel: no two text boxes intersect, none leaves the SVG; figure 4 draws the paper\'s 6x; legends say "batch"', () => {
    for (const f of result.files.figures) {
      const svg = readFileSync(f, 'utf8');
      expect(overlappingTexts(svg), f).toEqual([]);
      expect(outside(svg), f).toEqual([]);
      const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
      for (const t of Array.from(doc.querySelectorAll('.legend-item text'))) expect(t.textContent, f).not.toMatch(/^B = /);
    }
    const fig4 = readFileSync(result.files.figures.find((f) => f.includes('fig-4'))!, 'utf8');
    expect(fig4).toContain('paper: up to 6x');
  });
});
