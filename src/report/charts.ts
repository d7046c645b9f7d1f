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
  /** more reference lines (e.g. the paper's 6x) */
  references?: Array<{ y: number; label: string }>;
  width?: number;
  height?: number;
}

const MARGIN = { top: 36, right: 170, bottom: 52, left: 72 };
type Margin = typeof MARGIN;
const MARGIN_DEFAULT: Margin = MARGIN;
const PALETTE = d3.schemeTableau10;
/** dash patterns and point symbols cycled over line series, so coinciding series stay distinguishable */
const DASHES = [null, '7,3', '2,3', '9,3,2,3', '4,2'];
const SYMBOLS = [d3.symbolCircle, d3.symbolSquare, d3.symbolTriangle, d3.symbolDiamond, d3.symbolCross, d3.symbolStar, d3.symbolWye];
/** symbol areas (px^2) shrink with the series index, so a later symbol drawn on an earlier one shows inside it */
const symbolSize = (i: number) => Math.max(30, 110 - 16 * i);

/**
 * Upper estimate of the width of a label in the charts' sans-serif font: 0.62 em per character (wider than
 * the average of digits and lower-case letters in common sans-serif faces). The layout reserves this much, and
 * test/report/layout.test.ts checks from the SVG geometry that no two texts' boxes overlap.
 */
export function labelWidthPx(text: string, fontSizePx: number): number {
  return text.length * fontSizePx * 0.62;
}

/** Angle (degrees) at which the bar chart's group labels are drawn: 0 when they fit their band, else -40. */
export const ROTATED_LABEL_DEG = -40;

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
    // a little room around the data (5% of its span in decades, at least 0.05 decade), never whole decades
    const pad = 10 ** Math.max(0.05, 0.05 * Math.log10(hi / lo));
    return [lo / pad, hi * pad];
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

function makeScale(scale: AxisScale, domain: [number, number], range: [number, number]) {
  // d3's nice() on a log scale rounds out to whole decades (one or two past the data): log axes keep the data's span
  return scale === 'log' ? d3.scaleLog().domain(domain).range(range) : d3.scaleLinear().domain(domain).range(range).nice();
}

/**
 * SI-style tick labels (1k, 2.5M, 1e-6) for large values and plain decimals (0.5, 0.02) below 1: short and
 * unit-free (the unit is in the axis label). A log axis spanning many decades labels only powers of ten.
 */
function tickFormat(scale: AxisScale, domain?: readonly number[]) {
  const si = d3.format('~s');
  const plain = d3.format('~g');
  const decades = scale === 'log' && domain ? Math.abs(Math.log10(Number(domain[1]) / Number(domain[0]))) : 0;
  // within a decade or two every tick is labelled (a log axis short of a decade may hold no 1, 2 or 5)
  const leads = decades > 4 ? [1] : decades > 1.5 ? [1, 2, 5] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
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

/** d3 axes write tick labels at 10 px */
const TICK_FONT_PX = 10;

/**
 * Blank tick labels that would touch a neighbour: along x a label needs its estimated width plus 4 px, along
 * y the font's height plus 2 px. Powers of ten (and, on a linear axis, every tick in order) are placed first,
 * the others only where they fit, so no two kept labels overlap by construction.
 */
function thinTicks(axis: d3.Selection<SVGGElement, unknown, null, undefined>, along: 'x' | 'y'): void {
  type Tick = { pos: number; extent: number; text: d3.Selection<d3.BaseType, unknown, null, undefined>; value: number };
  const ticks: Tick[] = [];
  axis.selectAll<SVGGElement, d3.NumberValue | string>('.tick').each(function (d) {
    const m = /translate\(([-\d.e]+),\s*([-\d.e]+)\)/.exec(this.getAttribute('transform') ?? '');
    if (!m) return;
    const text = d3.select(this).select('text');
    const label = text.text();
    if (label === '') return;
    const pos = Number(along === 'x' ? m[1] : m[2]);
    const extent = along === 'x' ? labelWidthPx(label, TICK_FONT_PX) + 4 : TICK_FONT_PX + 2;
    ticks.push({ pos, extent, text, value: typeof d === 'string' ? NaN : Number(d) });
  });
  const isPow10 = (v: number) => v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
  const kept: Tick[] = [];
  const fits = (t: Tick) => kept.every((k) => Math.abs(k.pos - t.pos) >= (k.extent + t.extent) / 2);
  const order = [...ticks.filter((t) => isPow10(t.value)), ...ticks.filter((t) => !isPow10(t.value))];
  for (const t of order) {
    if (fits(t)) kept.push(t);
    else t.text.text('');
  }
}

/** The x axis along the bottom margin and the y axis along the left one (both chart kinds). */
function drawAxes<X extends d3.AxisDomain, Y extends d3.AxisDomain>(svg: Svg, xAxis: d3.Axis<X>, yAxis: d3.Axis<Y>, height: number, margin: Margin = MARGIN) {
  const gx = svg.append('g').attr('class', 'x-axis').attr('transform', `translate(0, ${height - margin.bottom})`).call(xAxis);
  svg.append('g').attr('class', 'y-axis').attr('transform', `translate(${margin.left}, 0)`).call(yAxis);
  return gx;
}

function drawFrame(svg: Svg, spec: { title: string; xLabel: string; yLabel: string }, width: number, height: number, M: Margin = MARGIN_DEFAULT) {
  const MARGIN = M;
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

type LegendItem = { name: string; color: string; kind: 'line' | 'point' | 'bar'; dashed?: boolean; dash?: string | null; symbol?: d3.SymbolType; size?: number };

/** Right margin that holds the legend's longest name (11 px text starting 38 px into the margin). */
function marginFor(names: string[], bottom = MARGIN.bottom): Margin {
  const widest = Math.max(0, ...names.map((n) => labelWidthPx(n, 11)));
  return { ...MARGIN, right: Math.max(MARGIN.right, Math.ceil(38 + widest + 8)), bottom };
}

function drawLegend(svg: Svg, items: LegendItem[], width: number, M: Margin = MARGIN) {
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${width - M.right + 14}, ${M.top})`);
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
        .attr('stroke-dasharray', item.dash ?? (item.dashed ? '4,3' : null));
    if (item.kind === 'line') {
      if (item.symbol)
        row.append('path').attr('class', 'legend-symbol').attr('transform', 'translate(9, 0)').attr('d', d3.symbol(item.symbol, item.size ?? 64)()).attr('fill', 'white').attr('stroke', item.color).attr('stroke-width', 1.5);
    } else if (item.kind === 'point') row.append('circle').attr('cx', 9).attr('cy', 0).attr('r', 3.5).attr('fill', item.color);
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
  // the legend lists only series with something drawn
  const M = marginFor([...lines.filter((l) => l.points.length > 0).map((l) => l.name), ...scatter.filter((l) => l.points.length > 0).map((l) => l.name)]);
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
  const x = makeScale(xs, domainOf(allX, xs, false), [M.left, width - M.right]);
  const y = makeScale(ys, domainOf(allY, ys, true), [height - M.bottom, M.top]);
  const [yMin, yMax] = y.domain() as [number, number];
  const clampY = (v: number) => y(Math.min(yMax, Math.max(yMin, v)));

  const { dom, svg } = newSvg(width, height);
  const gx = drawAxes(svg, d3.axisBottom(x).ticks(8).tickFormat(tickFormat(xs, x.domain())), d3.axisLeft(y).ticks(6).tickFormat(tickFormat(ys, y.domain())), height, M);
  thinTicks(gx, 'x');
  thinTicks(svg.select<SVGGElement>('.y-axis'), 'y');
  drawFrame(svg, spec, width, height, M);

  const colorOf = new Map<string, string>();
  lines.forEach((s, i) => colorOf.set(s.name, PALETTE[i % PALETTE.length]!));
  const line = d3
    .line<LinePoint>()
    .x((p) => x(p.x))
    .y((p) => y(p.y));
  const legend: Parameters<typeof drawLegend>[1] = [];
  // Several series: each its own dash and point symbol (sizes shrinking with the index), so a series lying on
  // another (greedy on exact) still shows; a single series or a reference line stays plain.
  const styled = lines.filter((l) => !l.dashed).length > 1;
  lines.forEach((s, i) => {
    const color = colorOf.get(s.name)!;
    if (s.points.length === 0) return;
    const dash = s.dashed ? '5,4' : styled ? DASHES[i % DASHES.length]! : null;
    const symbol = styled && !s.dashed ? SYMBOLS[i % SYMBOLS.length]! : undefined;
    legend.push({ name: s.name, color, kind: 'line', dashed: s.dashed, dash, symbol, size: symbolSize(i) });
    svg
      .append('path')
      .attr('class', 'series-line')
      .attr('data-series', s.name)
      .attr('fill', 'none')
      .attr('stroke', color)
      .attr('stroke-width', 2)
      .attr('stroke-dasharray', dash)
      .attr('d', line([...s.points].sort((a, b) => a.x - b.x)));
    if (symbol) {
      const g = svg.append('g').attr('class', 'series-symbols').attr('data-series', s.name);
      for (const p of s.points)
        g.append('path')
          .attr('class', 'series-symbol')
          .attr('transform', `translate(${x(p.x)}, ${y(p.y)})`)
          .attr('d', d3.symbol(symbol, symbolSize(i))())
          .attr('fill', 'none')
          .attr('stroke', color)
          .attr('stroke-width', 1.5);
    }
  });
  scatter.forEach((s, i) => {
    const color = (s.matchLine && colorOf.get(s.matchLine)) || PALETTE[(lines.length + i) % PALETTE.length]!;
    if (s.points.length > 0) legend.push({ name: s.name, color, kind: 'point' });
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
  // marker labels at the top of the plot, each moved down a line while it would touch one placed before
  const placed: Array<{ x0: number; x1: number; y: number }> = [];
  for (const m of markers) {
    const g = svg.append('g').attr('class', 'marker');
    g.append('line')
      .attr('x1', x(m.x))
      .attr('x2', x(m.x))
      .attr('y1', M.top)
      .attr('y2', height - M.bottom)
      .attr('stroke', '#555')
      .attr('stroke-dasharray', '2,3');
    // the label stays inside the plot: to the left of the line when it would run into the legend
    const w = labelWidthPx(m.label, 11);
    const right = x(m.x) + 4 + w > width - M.right;
    const x0 = right ? x(m.x) - 4 - w : x(m.x) + 4;
    let ly = M.top + 10;
    while (placed.some((p) => Math.abs(p.y - ly) < 14 && p.x0 < x0 + w + 2 && x0 < p.x1 + 2)) ly += 14;
    placed.push({ x0, x1: x0 + w, y: ly });
    g.append('text').attr('x', right ? x(m.x) - 4 : x(m.x) + 4).attr('y', ly).attr('text-anchor', right ? 'end' : 'start').attr('fill', '#333').text(m.label);
  }
  drawLegend(svg, legend, width, M);
  return finish(dom);
}

/** Grouped bar chart: one group per category, one bar per series inside each group. */
export function groupedBarChart(spec: BarChartSpec): string {
  const width = spec.width ?? 720;
  const ys: AxisScale = spec.yScale ?? 'linear';
  const values = spec.series.flatMap((s) => s.values.filter((v) => drawable(v, ys)));
  const refs = [...(spec.referenceY ? [spec.referenceY] : []), ...(spec.references ?? [])].filter((r) => drawable(r.y, ys));
  for (const r of refs) values.push(r.y);
  // the legend lists only series with a bar drawn
  const shown = spec.series.map((s, i) => ({ s, i })).filter(({ s }) => s.values.some((v) => drawable(v, ys)));
  // Group labels: horizontal when each fits its band, else rotated (ROTATED_LABEL_DEG) with the bottom margin
  // grown to hold the longest; rotated labels are parallel, one band apart, so they cannot overlap while the
  // band step times sin(angle) exceeds the label height (checked in test/report/layout.test.ts).
  const plotWidth = width - marginFor(shown.map(({ s }) => s.name)).right - MARGIN.left;
  const step = plotWidth / Math.max(1, spec.groups.length);
  const widest = Math.max(0, ...spec.groups.map((g) => labelWidthPx(g, TICK_FONT_PX)));
  const rotate = widest + 6 > step * 0.8;
  const rad = (Math.abs(ROTATED_LABEL_DEG) * Math.PI) / 180;
  const bottom = rotate ? Math.ceil(MARGIN.bottom + widest * Math.sin(rad) + TICK_FONT_PX) : MARGIN.bottom;
  const M = marginFor(shown.map(({ s }) => s.name), bottom);
  const height = (spec.height ?? 400) + (bottom - MARGIN.bottom);
  const x0 = d3
    .scaleBand<string>()
    .domain(spec.groups)
    .range([M.left, width - M.right])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const x1 = d3
    .scaleBand<string>()
    .domain(spec.series.map((s) => s.name))
    .range([0, x0.bandwidth()])
    .padding(0.05);
  const y = makeScale(ys, domainOf(values, ys, true), [height - M.bottom, M.top]);
  const base = ys === 'log' ? (y.domain()[0] as number) : 0;

  const { dom, svg } = newSvg(width, height);
  const gx = drawAxes(svg, d3.axisBottom(x0), d3.axisLeft(y).ticks(6).tickFormat(tickFormat(ys, y.domain())), height, M);
  if (rotate) gx.selectAll('.tick text').attr('text-anchor', 'end').attr('dy', '0.32em').attr('transform', `translate(-4, 6) rotate(${ROTATED_LABEL_DEG})`);
  thinTicks(svg.select<SVGGElement>('.y-axis'), 'y');
  drawFrame(svg, spec, width, height, M);

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
      // a cap at the value: a bar of (nearly) zero height still shows where it is
      g.append('line')
        .attr('class', 'bar-cap')
        .attr('x1', x0(group)! + x1(s.name)!)
        .attr('x2', x0(group)! + x1(s.name)! + x1.bandwidth())
        .attr('y1', top)
        .attr('y2', top)
        .attr('stroke', d3.color(color)!.darker(1).formatHex())
        .attr('stroke-width', 2);
    });
  });
  // reference lines, labels at the right end, each above its line (moved below when two would touch)
  let lastLabelY = Infinity;
  for (const r of [...refs].sort((p, q) => q.y - p.y)) {
    const ry = y(r.y);
    const g = svg.append('g').attr('class', 'marker');
    g.append('line')
      .attr('x1', M.left)
      .attr('x2', width - M.right)
      .attr('y1', ry)
      .attr('y2', ry)
      .attr('stroke', '#555')
      .attr('stroke-dasharray', '4,3');
    let ly = ry - 4;
    if (Math.abs(ly - lastLabelY) < 13) ly = lastLabelY + 13;
    lastLabelY = ly;
    g.append('text').attr('x', width - M.right - 4).attr('y', ly).attr('text-anchor', 'end').text(r.label);
  }
  drawLegend(
    svg,
    shown.map(({ s, i }) => ({ name: s.name, color: PALETTE[i % PALETTE.length]!, kind: 'bar' as const })),
    width,
    M,
  );
  return finish(dom);
}
