import type { Scenario } from '../model/scenario.js';
import { bytesText, fmt, type Figure } from './figures.js';

/** Report documents: a self-contained HTML page (SVG inline) and Markdown that links the SVG files. */
export interface ReportMeta {
  scenario: string;
  scenarioFile: string;
  profile: { file: string; backend: string; device: string; date: string } | null;
  planner: readonly string[];
  exactAlgorithm: string | null;
  seed: number;
  generatedAt: string;
  computeSeconds: number;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The scenario in a few rows: what the reader needs to judge the numbers. */
function scenarioFacts(s: Scenario): Array<[string, string]> {
  const rows = s.tables.reduce((a, t) => a + t.rows, 0);
  const bytes = s.tables.reduce((a, t) => a + t.rows * (t.rowBytes + t.optimizerBytesPerRow), 0);
  const g = s.gpus[0]!;
  return [
    ['tables', `${s.tables.length} (${fmt(rows)} rows, ${bytesText(bytes)} with optimizer state)`],
    ['GPUs', `${s.gpus.length} x ${bytesText(g.memoryBytes)}, gather ${fmt(g.gatherBytesPerSec / 1e9)} GB/s`],
    ['links', `host-to-GPU ${fmt(g.hostToGpuBytesPerSec / 1e9)} GB/s, GPU-to-GPU ${fmt(s.links.gpuToGpuBytesPerSec / 1e9)} GB/s, latency ${fmt(s.links.latencySec)} s`],
    ['host', `${bytesText(s.host.memoryBytes)}, gather ${fmt(s.host.gatherBytesPerSec / 1e9)} GB/s`],
    ['training', `global batch ${fmt(s.training.globalBatch)}, overlap ${s.training.overlap}`],
  ];
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
.reading { background: #f4f7fb; border-left: 4px solid #4e79a7; padding: 0.5em 0.8em; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; }
.meta { color: #666; font-size: 0.9em; }
`;

export function renderHtml(scenario: Scenario, figures: Figure[], meta: ReportMeta): string {
  const facts = scenarioFacts(scenario)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  const readings = figures.map((f) => `<li><a href="#fig-${f.number}">Figure ${f.number}</a>: ${escapeHtml(f.reading)}</li>`).join('\n');
  const body = figures
    .map(
      (f) => `<section id="fig-${f.number}" class="figure" data-figure="${f.number}">
<h2>Figure ${f.number}. ${escapeHtml(f.title)}</h2>
<p class="reading">${escapeHtml(f.reading)}</p>
${f.panels.map((p) => `<figure data-panel="${escapeHtml(p.name)}">${p.svg}</figure>`).join('\n')}
</section>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>scarec reproduction: ${escapeHtml(meta.scenario)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Stochastic communication avoidance: reproduction on ${escapeHtml(meta.scenario)}</h1>
<p class="meta">scenario ${escapeHtml(meta.scenarioFile)}${meta.profile ? `, device profile ${escapeHtml(meta.profile.file)} (${escapeHtml(meta.profile.backend)} on ${escapeHtml(meta.profile.device)}, ${escapeHtml(meta.profile.date)})` : ', no device profile (the scenario\'s constants)'}; plans: ${escapeHtml(meta.planner.join(', '))}; seed ${meta.seed}; computed in ${fmt(meta.computeSeconds)} s on ${escapeHtml(meta.generatedAt)}.</p>
<table>${facts}</table>
<h2>Readings</h2>
<ol>${readings}</ol>
${body}
</body>
</html>
`;
}

export function renderMarkdown(scenario: Scenario, figures: Figure[], meta: ReportMeta): string {
  const lines = [
    `# Stochastic communication avoidance: reproduction on ${meta.scenario}`,
    '',
    `Scenario \`${meta.scenarioFile}\`${meta.profile ? `, device profile \`${meta.profile.file}\` (${meta.profile.backend} on ${meta.profile.device})` : ', no device profile'}; plans: ${meta.planner.join(', ')}; seed ${meta.seed}; computed in ${fmt(meta.computeSeconds)} s.`,
    '',
    '| | |',
    '|---|---|',
    ...scenarioFacts(scenario).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ];
  for (const f of figures) {
    lines.push(`## Figure ${f.number}. ${f.title}`, '', `> ${f.reading}`, '');
    for (const p of f.panels) lines.push(`![${f.title}](${p.name}.svg)`, '');
  }
  lines.push('The numbers behind every figure are in `summary.json`.', '');
  return lines.join('\n');
}
