import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { groupedBarChart, lineChart } from '../../src/report/charts.js';

/** Parse an SVG string as XML (strict: a malformed SVG is a parse error) and return its document. */
function parseSvg(svg: string): Document {
  const { window } = new JSDOM('');
  const doc = new window.DOMParser().parseFromString(svg, 'image/svg+xml');
  expect(doc.getElementsByTagName('parsererror').length).toBe(0);
  expect(doc.documentElement.tagName).toBe('svg');
  return doc;
}

/** Every attribute value of every element: none may be NaN, undefined or Infinity. */
function badAttributes(doc: Document): string[] {
  const bad: string[] = [];
  for (const el of Array.from(doc.getElementsByTagName('*'))) {
    for (const a of Array.from(el.attributes)) {
      if (/NaN|undefined|Infinity/.test(a.value)) bad.push(`${el.tagName}.${a.name}=${a.value}`);
    }
  }
  return bad;
}

const byClass = (doc: Document, cls: string) => Array.from(doc.getElementsByClassName(cls));

describe('lineChart', () => {
  const spec = {
    title: 'distinct rows per lookup',
    xLabel: 'lookups per batch K',
    yLabel: 'E[distinct] / K (rows per lookup)',
    xScale: 'log' as const,
    yScale: 'log' as const,
    lines: [
      { name: 'a', points: [1, 10, 100, 1000].map((x) => ({ x, y: 1 / Math.sqrt(x) })) },
      { name: 'b', points: [1, 10, 100, 1000].map((x) => ({ x, y: 1 / x })) },
      { name: 'c', points: [1, 10, 100].map((x) => ({ x, y: 0.5 })), dashed: true },
    ],
    scatter: [{ name: 'sim a', matchLine: 'a', points: [10, 100].map((x) => ({ x, y: 1 / Math.sqrt(x), yErr: 0.01 })) }],
    markers: [{ x: 50, label: 'knee' }],
  };

  it('draws one path per series, one circle and error bar per simulated point, labels and legend', () => {
    const doc = parseSvg(lineChart(spec));
    expect(byClass(doc, 'series-line')).toHaveLength(3);
    expect(byClass(doc, 'point')).toHaveLength(2);
    expect(byClass(doc, 'error-bar')).toHaveLength(2);
    expect(byClass(doc, 'legend-item')).toHaveLength(4);
    expect(byClass(doc, 'marker')).toHaveLength(1);
    const labels = byClass(doc, 'axis-label').map((e) => e.textContent);
    expect(labels).toEqual(['lookups per batch K', 'E[distinct] / K (rows per lookup)']);
    expect(byClass(doc, 'chart-title')[0]!.textContent).toBe('distinct rows per lookup');
    expect(badAttributes(doc)).toEqual([]);
  });

  it('a simulated series takes the colour of the line it matches', () => {
    const doc = parseSvg(lineChart(spec));
    const lineA = byClass(doc, 'series-line').find((e) => e.getAttribute('data-series') === 'a')!;
    const pt = byClass(doc, 'point')[0]!;
    expect(pt.getAttribute('stroke')).toBe(lineA.getAttribute('stroke'));
  });

  it('puts larger y higher and larger x further right (the scales are not inverted)', () => {
    const doc = parseSvg(
      lineChart({ title: 't', xLabel: 'x (s)', yLabel: 'y (B)', lines: [{ name: 's', points: [{ x: 1, y: 1 }, { x: 2, y: 4 }] }] }),
    );
    const d = byClass(doc, 'series-line')[0]!.getAttribute('d')!;
    const nums = d.match(/-?\d+(\.\d+)?/g)!.map(Number);
    const [x1, y1, x2, y2] = nums;
    expect(x2!).toBeGreaterThan(x1!);
    expect(y2!).toBeLessThan(y1!); // SVG y grows downwards
  });

  it('drops non-finite points and non-positive points on a log axis instead of writing NaN', () => {
    const doc = parseSvg(
      lineChart({
        title: 't',
        xLabel: 'x',
        yLabel: 'y',
        yScale: 'log',
        lines: [{ name: 's', points: [{ x: 1, y: 0 }, { x: 2, y: NaN }, { x: 3, y: 2 }, { x: 4, y: Infinity }, { x: 5, y: 3 }] }],
        scatter: [{ name: 'p', points: [{ x: 1, y: -1 }, { x: 2, y: 2, yErr: 5 }] }],
      }),
    );
    const d = byClass(doc, 'series-line')[0]!.getAttribute('d')!;
    expect(d.match(/[ML]/g)).toHaveLength(2); // the two drawable points
    expect(byClass(doc, 'point')).toHaveLength(1);
    // the error bar reaches below zero on a log axis: it is clipped to the axis, not NaN
    expect(byClass(doc, 'error-bar')).toHaveLength(1);
    expect(badAttributes(doc)).toEqual([]);
  });

  it('survives a chart with a single point and with no data at all', () => {
    for (const lines of [[{ name: 's', points: [{ x: 3, y: 3 }] }], [{ name: 's', points: [] }]]) {
      for (const scale of ['linear', 'log'] as const) {
        const doc = parseSvg(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', xScale: scale, yScale: scale, lines }));
        expect(badAttributes(doc)).toEqual([]);
      }
    }
  });
});

describe('groupedBarChart', () => {
  it('draws one bar per (group, series) with a finite value, heights proportional to values', () => {
    const doc = parseSvg(
      groupedBarChart({
        title: 'speedup over B0',
        groups: ['host', 'cache', 'exact'],
        series: [
          { name: 'batch 4096', values: [1, 2, 4] },
          { name: 'batch 65536', values: [1, 3, NaN] },
        ],
        xLabel: 'plan',
        yLabel: 'speedup (x)',
        referenceY: { y: 1, label: 'B0' },
      }),
    );
    const bars = byClass(doc, 'bar');
    expect(bars).toHaveLength(5);
    const h = bars.map((b) => Number(b.getAttribute('height')));
    // first series: values 1, 2, 4 on a linear axis from 0: heights in ratio 1:2:4
    expect(h[1]! / h[0]!).toBeCloseTo(2, 6);
    expect(h[2]! / h[0]!).toBeCloseTo(4, 6);
    expect(byClass(doc, 'legend-item')).toHaveLength(2);
    expect(byClass(doc, 'axis-label').map((e) => e.textContent)).toEqual(['plan', 'speedup (x)']);
    expect(badAttributes(doc)).toEqual([]);
  });

  it('log-scale bars start at the bottom of the axis and skip non-positive values', () => {
    const doc = parseSvg(
      groupedBarChart({ title: 't', groups: ['a', 'b'], series: [{ name: 's', values: [10, 0] }], xLabel: 'x', yLabel: 'y', yScale: 'log' }),
    );
    expect(byClass(doc, 'bar')).toHaveLength(1);
    expect(badAttributes(doc)).toEqual([]);
  });
});
