import { JSDOM } from 'jsdom';
import { labelWidthPx } from '../../src/report/charts.js';

/** A text's box as a quadrilateral in SVG user space (corners in order). */
export interface TextBox {
  text: string;
  corners: Array<[number, number]>;
}

type M = [number, number, number, number, number, number]; // a b c d e f (SVG matrix)
const mul = (p: M, q: M): M => [p[0] * q[0] + p[2] * q[1], p[1] * q[0] + p[3] * q[1], p[0] * q[2] + p[2] * q[3], p[1] * q[2] + p[3] * q[3], p[0] * q[4] + p[2] * q[5] + p[4], p[1] * q[4] + p[3] * q[5] + p[5]];
const apply = (m: M, x: number, y: number): [number, number] => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];

function parseTransform(t: string | null): M {
  let m: M = [1, 0, 0, 1, 0, 0];
  if (!t) return m;
  for (const op of t.matchAll(/(translate|rotate)\(([^)]*)\)/g)) {
    const args = op[2]!.split(/[\s,]+/).filter(Boolean).map(Number);
    if (op[1] === 'translate') m = mul(m, [1, 0, 0, 1, args[0] ?? 0, args[1] ?? 0]);
    else {
      const r = ((args[0] ?? 0) * Math.PI) / 180;
      m = mul(m, [Math.cos(r), Math.sin(r), -Math.sin(r), Math.cos(r), 0, 0]);
    }
  }
  return m;
}

function inherited(el: Element, attr: string): string | null {
  for (let e: Element | null = el; e; e = e.parentElement) {
    const v = e.getAttribute(attr);
    if (v !== null) return v;
  }
  return null;
}

const length = (v: string | null, fontPx: number) => (v === null ? 0 : v.endsWith('em') ? parseFloat(v) * fontPx : parseFloat(v) || 0);

/**
 * Every non-empty <text> of an SVG as a box: width from labelWidthPx (the layout's own upper estimate), height
 * from the font size (ascent 0.8 em above the baseline, descent 0.25 em below), placed by its anchor, x/y/dy and
 * every transform from the root down.
 */
export function textBoxes(svg: string): TextBox[] {
  const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
  const out: TextBox[] = [];
  for (const el of Array.from(doc.querySelectorAll('text'))) {
    const text = el.textContent ?? '';
    if (text.trim() === '') continue;
    const fontPx = parseFloat(inherited(el, 'font-size') ?? '11');
    const anchor = inherited(el, 'text-anchor') ?? 'start';
    const w = labelWidthPx(text, fontPx);
    const x = length(el.getAttribute('x'), fontPx) + length(el.getAttribute('dx'), fontPx);
    const y = length(el.getAttribute('y'), fontPx) + length(el.getAttribute('dy'), fontPx);
    const x0 = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
    let m: M = [1, 0, 0, 1, 0, 0];
    const chain: Element[] = [];
    for (let e: Element | null = el; e; e = e.parentElement) chain.unshift(e);
    for (const e of chain) m = mul(m, parseTransform(e.getAttribute('transform')));
    const top = y - 0.8 * fontPx;
    const bottom = y + 0.25 * fontPx;
    out.push({ text, corners: [apply(m, x0, top), apply(m, x0 + w, top), apply(m, x0 + w, bottom), apply(m, x0, bottom)] });
  }
  return out;
}

/** Separating-axis test for two convex quadrilaterals, with `slack` px of allowed touching. */
export function overlap(a: TextBox, b: TextBox, slack = 0.5): boolean {
  for (const poly of [a.corners, b.corners]) {
    for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i]!;
      const [x2, y2] = poly[(i + 1) % 4]!;
      const len = Math.hypot(x2 - x1, y2 - y1) || 1;
      const nx = (y1 - y2) / len;
      const ny = (x2 - x1) / len;
      const proj = (c: Array<[number, number]>) => c.map(([x, y]) => x * nx + y * ny);
      const pa = proj(a.corners);
      const pb = proj(b.corners);
      if (Math.max(...pa) - slack <= Math.min(...pb) || Math.max(...pb) - slack <= Math.min(...pa)) return false;
    }
  }
  return true;
}

/** Every pair of texts whose boxes overlap. */
export function overlappingTexts(svg: string): Array<[string, string]> {
  const boxes = textBoxes(svg);
  const bad: Array<[string, string]> = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) if (overlap(boxes[i]!, boxes[j]!)) bad.push([boxes[i]!.text, boxes[j]!.text]);
  return bad;
}

/** Whether a box lies inside the SVG's width x height. */
export function outside(svg: string): string[] {
  const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
  const root = doc.documentElement;
  const W = Number(root.getAttribute('width'));
  const H = Number(root.getAttribute('height'));
  return textBoxes(svg)
    .filter((b) => b.corners.some(([x, y]) => x < -0.5 || y < -0.5 || x > W + 0.5 || y > H + 0.5))
    .map((b) => b.text);
}
