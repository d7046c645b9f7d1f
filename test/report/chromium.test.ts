import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reproduce } from '../../src/report/reproduce.js';

/**
 * The report rendered by a real browser: headless Chromium lays out every SVG text with its real font, and a
 * script measures each text's box (getBBox in its own coordinates, mapped through getCTM, so rotated labels
 * are quadrilaterals, not their bounding rectangles) and lists every pair that intersects.
 * Debian: apt-get install chromium (in .ci/system-packages.sh). Without it the test is skipped, except under CI.
 */
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => spawnSync(b, ['--version'], { encoding: 'utf8' }).status === 0);

const MEASURE = `<script>
(() => {
  const quad = (t) => {
    const b = t.getBBox(), m = t.getCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]].map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  const apart = (p, q, slack) => {
    for (const poly of [p, q]) for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
      const len = Math.hypot(x2 - x1, y2 - y1) || 1, nx = (y1 - y2) / len, ny = (x2 - x1) / len;
      const a = p.map(([x, y]) => x * nx + y * ny), b = q.map(([x, y]) => x * nx + y * ny);
      if (Math.max(...a) - slack <= Math.min(...b) || Math.max(...b) - slack <= Math.min(...a)) return true;
    }
    return false;
  };
  const out = { svgs: 0, texts: 0, overlaps: [] };
  for (const svg of document.querySelectorAll('svg')) {
    out.svgs++;
    const ts = [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim() !== '');
    const qs = ts.map(quad);
    out.texts += ts.length;
    for (let i = 0; i < ts.length; i++) for (let j = i + 1; j < ts.length; j++)
      if (!apart(qs[i], qs[j], 1)) out.overlaps.push([ts[i].textContent, ts[j].textContent, svg.querySelector('.chart-title')?.textContent ?? '']);
  }
  const pre = document.createElement('pre');
  pre.id = 'layout-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`;

const dir = mkdtempSync(join(tmpdir(), 'scarec-chromium-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the report in headless Chromium', () => {
  const title = 'no two texts of any figure overlap as the browser draws them';
  if (!chromium && !process.env.CI) {
    it.skip(`${title} (skipped: no chromium on PATH; Debian: apt-get install chromium)`, () => {});
    return;
  }
  it(title, async () => {
    expect(chromium, 'chromium is required under CI').toBeDefined();
    const result = await reproduce({ scenarioFile: 'test/fixtures/report-small.json', outDir: dir, simLookupsPerPoint: 5e4, simBatches: 4 });
    const html = readFileSync(result.files.html, 'utf8').replace('</body>', `${MEASURE}</body>`);
    const page = join(dir, 'measure.html');
    writeFileSync(page, html);
    const r = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--user-data-dir=' + join(dir, 'profile'), '--dump-dom', `file://${page}`], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 64 << 20,
    });
    expect(r.status, r.stderr).toBe(0);
    const m = /<pre id="layout-result">([^<]*)<\/pre>/.exec(r.stdout);
    expect(m, 'the measuring script ran').not.toBeNull();
    const out = JSON.parse(m![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
    expect(out.svgs).toBeGreaterThanOrEqual(6);
    expect(out.texts).toBeGreaterThan(100);
    expect(out.overlaps).toEqual([]);
  }, 200_000);
});
