import * as d3 from 'd3';
import { JSDOM } from 'jsdom';

/**
 * SVG charts for the reproduction report: pure functions from data to an SVG string, drawn with d3 on a
 * throw-away jsdom document (one per call, so there is no shared DOM state between charts).
 *
 * Points that cannot be drawn (non-finite values, or values <= 0 on a log axis) are dropped, never written:
 * an SVG attribute must never hold NaN. Class names are stable so tests (and readers of the SVG) can count
 * elements: `series-line`, `point`, `error-bar`, `bar`, `legend-item`, `axis-label`, `chart-title`, `marker`.
 */

export type AxisScale = 'linear' | 'log';

export interface LinePoint {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: LinePoint[];
  /** dashed line (e.g. a bound or a reference) */
  dashed?: boolean;
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** half-width of the error bar in y units (e.g. 2 standard errors); omitted: no bar */
  yErr?: number;
}

export interface ScatterSeries {
  name: string;
  points: ScatterPoint[];
  /** colour of the line series with this name (a simulation on top of its model line) */
  matchLine?: string;
}

export interface VerticalMarker {
  x: number;
  label: string;
}

export interface LineChartSpec {
  title: string;
  /** axis labels carry their units, e.g. "global batch (samples)" */
  xLabel: string;
  yLabel: string;
  xScale?: AxisScale;
  yScale?: AxisScale;
  lines: LineSeries[];
  scatter?: ScatterSeries[];
  markers?: VerticalMarker[];
  width?: number;
  height?: number;
}

export interface BarSeries {
  name: string;
  /** one value per group (same order as `groups`); non-finite values draw no bar */
  values: number[];
}

export interface BarChartSpec {
  title: string;
  /** category labels along x, e.g. plan names */
  groups: string[];
  series: BarSeries[];
  xLabel: string;
  yLabel: string;
  yScale?: AxisScale;
  /** a horizontal reference line, e.g. y = 1 for speedups */
  referenceY?: { y: number; label: string };
  width?: number;
  height?: number;
}

const MARGIN = { top: 36, right: 170, bottom: 52, left: 72 };
const PALETTE = d3.schemeTableau10;

/** A fresh detached document for one chart. */
function newSvg(width: number, height: number) {
  const dom = new JSDOM('<!DOCTYPE html><body></body>');
  const body = d3.select(dom.window.document.body);
  const svg = body
    .append('svg')
    .attr('xmlns', 'http://www.w3.org/2000/svg')
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('font-family', 'sans-serif')
    .attr('font-size', 11);
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', 'white');
  return { dom, svg };
}

function finish(dom: JSDOM): string {
  const el = dom.window.document.body.firstElementChild!;
  return el.outerHTML;
}

/** Keep values that can be drawn on the given axis scale. */
function drawable(v: number, scale: AxisScale): boolean {
  return Number.isFinite(v) && (scale === 'linear' || v > 0);
}

/** Extent of values padded for a pleasant axis; a degenerate extent (one value) is widened. */
function domainOf(values: number[], scale: AxisScale, includeZero: boolean): [number, number] {
  let lo = d3.min(values) ?? (scale === 'log' ? 1 : 0);
  let hi = d3.max(values) ?? (scale === 'log' ? 10 : 1);
  if (scale === 'linear' && includeZero) lo = Math.min(0, lo);
  if (scale === 'log') {
    if (lo === hi) {
      lo /= 2;
      hi *= 2;
    }
    return [lo, hi];
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

function makeScale(scale: AxisScale, domain: [number, number], range: [number, number]) {
  return scale === 'log' ? d3.scaleLog().domain(domain).range(range).nice() : d3.scaleLinear().domain(domain).range(range).nice();
}

/**
 * SI-style tick labels (1k, 2.5M, 1e-6) for large values and plain decimals (0.5, 0.02) below 1: short and
 * unit-free (the unit is in the axis label). A log axis spanning many decades labels only powers of ten.
 */
function tickFormat(scale: AxisScale, domain?: readonly number[]) {
  const si = d3.format('~s');
  const plain = d3.format('~g');
  const decades = scale === 'log' && domain ? Math.abs(Math.log10(Number(domain[1]) / Number(domain[0]))) : 0;
  const leads = decades > 4 ? [1] : [1, 2, 5];
  return (v: d3.NumberValue) => {
    const x = Number(v);
    if (scale === 'log') {
      const e = Math.log10(x);
      // label only 1, 2 and 5 times a power of ten (or only powers of ten) so log axes stay legible
      const lead = Math.round(x / 10 ** Math.floor(e + 1e-9));
      if (!leads.includes(lead)) return '';
    }
    if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e15)) return d3.format('.0e')(x);
    if (Math.abs(x) < 1) return plain(x);
    return si(x);
  };
}

type Svg = d3.Selection<SVGSVGElement, unknown, null, undefined>;

/** The x axis along the bottom margin and the y axis along the left one (both chart kinds). */
function drawAxes<X extends d3.AxisDomain, Y extends d3.AxisDomain>(svg: Svg, xAxis: d3.Axis<X>, yAxis: d3.Axis<Y>, height: number): void {
  svg.append('g').attr('class', 'x-axis').attr('transform', `translate(0, ${height - MARGIN.bottom})`).call(xAxis);
  svg.append('g').attr('class', 'y-axis').attr('transform', `translate(${MARGIN.left}, 0)`).call(yAxis);
}

function drawFrame(svg: Svg, spec: { title: string; xLabel: string; yLabel: string }, width: number, height: number) {
  svg
    .append('text')
    .attr('class', 'chart-title')
    .attr('x', MARGIN.left)
    .attr('y', 20)
    .attr('font-size', 14)
    .attr('font-weight', 'bold')
    .text(spec.title);
  svg
    .append('text')
    .attr('class', 'axis-label x-label')
    .attr('x', MARGIN.left + (width - MARGIN.left - MARGIN.right) / 2)
    .attr('y', height - 10)
    .attr('text-anchor', 'middle')
    .text(spec.xLabel);
  svg
    .append('text')
    .attr('class', 'axis-label y-label')
    .attr('transform', `translate(16, ${MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(spec.yLabel);
}

function drawLegend(svg: Svg, items: { name: string; color: string; kind: 'line' | 'point' | 'bar'; dashed?: boolean }[], width: number) {
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${width - MARGIN.right + 14}, ${MARGIN.top})`);
  items.forEach((item, i) => {
    const row = g.append('g').attr('class', 'legend-item').attr('transform', `translate(0, ${i * 16})`);
    if (item.kind === 'line')
      row
        .append('line')
        .attr('x1', 0)
        .attr('x2', 18)
        .attr('y1', 0)
        .attr('y2', 0)
        .attr('stroke', item.color)
        .attr('stroke-width', 2)
        .attr('stroke-dasharray', item.dashed ? '4,3' : null);
    else if (item.kind === 'point') row.append('circle').attr('cx', 9).attr('cy', 0).attr('r', 3.5).attr('fill', item.color);
    else row.append('rect').attr('x', 3).attr('y', -5).attr('width', 12).attr('height', 10).attr('fill', item.color);
    row.append('text').attr('x', 24).attr('y', 4).text(item.name);
  });
}

/**
 * Multi-series line chart with optional scatter points (with y error bars) on top, log or linear axes,
 * vertical markers, legend and title.
 */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 400;
  const xs: AxisScale = spec.xScale ?? 'linear';
  const ys: AxisScale = spec.yScale ?? 'linear';
  const lines = spec.lines.map((s) => ({ ...s, points: s.points.filter((p) => drawable(p.x, xs) && drawable(p.y, ys)) }));
  const scatter = (spec.scatter ?? []).map((s) => ({
    ...s,
    points: s.points.filter((p) => drawable(p.x, xs) && drawable(p.y, ys)),
  }));
  const markers = (spec.markers ?? []).filter((m) => drawable(m.x, xs));
  const allX = [...lines.flatMap((s) => s.points.map((p) => p.x)), ...scatter.flatMap((s) => s.points.map((p) => p.x)), ...markers.map((m) => m.x)];
  const allY = [
    ...lines.flatMap((s) => s.points.map((p) => p.y)),
    ...scatter.flatMap((s) =>
      s.points.flatMap((p) => {
        const e = p.yErr !== undefined && Number.isFinite(p.yErr) ? Math.abs(p.yErr) : 0;
        return [p.y + e, p.y - e].filter((v) => drawable(v, ys));
      }),
    ),
  ];
  const x = makeScale(xs, domainOf(allX, xs, false), [MARGIN.left, width - MARGIN.right]);
  const y = makeScale(ys, domainOf(allY, ys, true), [height - MARGIN.bottom, MARGIN.top]);
  const [yMin, yMax] = y.domain() as [number, number];
  const clampY = (v: number) => y(Math.min(yMax, Math.max(yMin, v)));

  const { dom, svg } = newSvg(width, height);
  drawAxes(svg, d3.axisBottom(x).ticks(8).tickFormat(tickFormat(xs, x.domain())), d3.axisLeft(y).ticks(6).tickFormat(tickFormat(ys, y.domain())), height);
  drawFrame(svg, spec, width, height);

  const colorOf = new Map<string, string>();
  lines.forEach((s, i) => colorOf.set(s.name, PALETTE[i % PALETTE.length]!));
  const line = d3
    .line<LinePoint>()
    .x((p) => x(p.x))
    .y((p) => y(p.y));
  const legend: Parameters<typeof drawLegend>[1] = [];
  lines.forEach((s) => {
    const color = colorOf.get(s.name)!;
    legend.push({ name: s.name, color, kind: 'line', dashed: s.dashed });
    if (s.points.length === 0) return;
    svg
      .append('path')
      .attr('class', 'series-line')
      .attr('data-series', s.name)
      .attr('fill', 'none')
      .attr('stroke', color)
      .attr('stroke-width', 2)
      .attr('stroke-dasharray', s.dashed ? '5,4' : null)
      .attr('d', line([...s.points].sort((a, b) => a.x - b.x)));
  });
  scatter.forEach((s, i) => {
    const color = (s.matchLine && colorOf.get(s.matchLine)) || PALETTE[(lines.length + i) % PALETTE.length]!;
    legend.push({ name: s.name, color, kind: 'point' });
    const g = svg.append('g').attr('class', 'scatter').attr('data-series', s.name);
    for (const p of s.points) {
      if (p.yErr !== undefined && Number.isFinite(p.yErr) && p.yErr > 0) {
        g.append('line')
          .attr('class', 'error-bar')
          .attr('x1', x(p.x))
          .attr('x2', x(p.x))
          .attr('y1', clampY(p.y - p.yErr))
          .attr('y2', clampY(p.y + p.yErr))
          .attr('stroke', color)
          .attr('stroke-width', 1.5);
      }
      g.append('circle')
        .attr('class', 'point')
        .attr('cx', x(p.x))
        .attr('cy', y(p.y))
        .attr('r', 3.5)
        .attr('fill', 'white')
        .attr('stroke', color)
        .attr('stroke-width', 1.5);
    }
  });
  for (const m of markers) {
    const g = svg.append('g').attr('class', 'marker');
    g.append('line')
      .attr('x1', x(m.x))
      .attr('x2', x(m.x))
      .attr('y1', MARGIN.top)
      .attr('y2', height - MARGIN.bottom)
      .attr('stroke', '#555')
      .attr('stroke-dasharray', '2,3');
    g.append('text').attr('x', x(m.x) + 4).attr('y', MARGIN.top + 10).attr('fill', '#333').text(m.label);
  }
  drawLegend(svg, legend, width);
  return finish(dom);
}

/** Grouped bar chart: one group per category, one bar per series inside each group. */
export function groupedBarChart(spec: BarChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 400;
  const ys: AxisScale = spec.yScale ?? 'linear';
  const values = spec.series.flatMap((s) => s.values.filter((v) => drawable(v, ys)));
  if (spec.referenceY && drawable(spec.referenceY.y, ys)) values.push(spec.referenceY.y);
  const x0 = d3
    .scaleBand<string>()
    .domain(spec.groups)
    .range([MARGIN.left, width - MARGIN.right])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const x1 = d3
    .scaleBand<string>()
    .domain(spec.series.map((s) => s.name))
    .range([0, x0.bandwidth()])
    .padding(0.05);
  const y = makeScale(ys, domainOf(values, ys, true), [height - MARGIN.bottom, MARGIN.top]);
  const base = ys === 'log' ? (y.domain()[0] as number) : 0;

  const { dom, svg } = newSvg(width, height);
  drawAxes(svg, d3.axisBottom(x0), d3.axisLeft(y).ticks(6).tickFormat(tickFormat(ys, y.domain())), height);
  drawFrame(svg, spec, width, height);

  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const g = svg.append('g').attr('class', 'bar-series').attr('data-series', s.name);
    spec.groups.forEach((group, j) => {
      const v = s.values[j];
      if (v === undefined || !drawable(v, ys)) return;
      const top = y(v);
      const bottom = y(base);
      g.append('rect')
        .attr('class', 'bar')
        .attr('data-group', group)
        .attr('x', x0(group)! + x1(s.name)!)
        .attr('width', x1.bandwidth())
        .attr('y', Math.min(top, bottom))
        .attr('height', Math.abs(bottom - top))
        .attr('fill', color)
        .append('title')
        .text(`${s.name}, ${group}: ${d3.format('.4~g')(v)}`);
    });
  });
  if (spec.referenceY && drawable(spec.referenceY.y, ys)) {
    const ry = y(spec.referenceY.y);
    const g = svg.append('g').attr('class', 'marker');
    g.append('line')
      .attr('x1', MARGIN.left)
      .attr('x2', width - MARGIN.right)
      .attr('y1', ry)
      .attr('y2', ry)
      .attr('stroke', '#555')
      .attr('stroke-dasharray', '4,3');
    g.append('text').attr('x', width - MARGIN.right - 4).attr('y', ry - 4).attr('text-anchor', 'end').text(spec.referenceY.label);
  }
  drawLegend(
    svg,
    spec.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]!, kind: 'bar' as const })),
    width,
  );
  return finish(dom);
}
