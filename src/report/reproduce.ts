import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { loadScenario, type Scenario } from '../model/scenario.js';
import { deviceProfileSchema, type DeviceProfile } from '../model/schema.js';
import { parseWithSchema, readJsonFile } from '../model/validate.js';
import {
  figureCaching,
  figureCoalescing,
  figureModelCheck,
  figureOptimality,
  figureSpeedup,
  figureThroughput,
  rebuildScenario,
  type Figure,
  type FigureOptions,
  type MeasuredPoint,
} from './figures.js';
import { placementPlanProvider, type PlanProvider } from './plans.js';
import { renderHtml, renderMarkdown } from './render.js';

export interface ReproduceOptions {
  scenarioFile: string;
  outDir: string;
  /** device profile (from `scarec calibrate`): its constants replace the scenario's, its measurements go into figure 6 */
  profile?: string;
  /** placement algorithms; default: src/plan's six (B0 to exact) and the TorchRec space's optimum */
  planner?: PlanProvider;
  seed?: number;
  /** lookups drawn per simulated point of figure 1 (default 1e6) */
  simLookupsPerPoint?: number;
  /** batches per simulation of figure 6 (default 8) */
  simBatches?: number;
  onProgress?: (event: { figure: number; message: string }) => void;
}

export interface ReproduceResult {
  outDir: string;
  files: { html: string; markdown: string; summary: string; figures: string[] };
  figures: Array<{ number: number; id: string; title: string; reading: string }>;
  seconds: number;
}

/**
 * Measured kernels of a device profile next to what the profile's own constants predict for them:
 * copies (latency + bytes / host link), gathers (bytes / gather bandwidth of their tier) and dedup
 * (lookups x seconds per lookup). The profile's measurements are the calibration's raw points.
 */
export function measuredFromProfile(profile: DeviceProfile): MeasuredPoint[] {
  const c = profile.constants;
  const ms = (profile as { measurements?: unknown }).measurements;
  if (!Array.isArray(ms)) return [];
  const out: MeasuredPoint[] = [];
  for (const m of ms as Array<Record<string, unknown>>) {
    const seconds = Number(m.seconds);
    if (!(seconds > 0) || m.correct === false) continue;
    let predicted: number | undefined;
    let bytes = Number(m.bytes ?? 0);
    let label = String(m.family);
    if (m.family === 'copy' && m.direction === 'hostToDevice' && c.hostToGpuBytesPerSec)
      predicted = (c.latencySec ?? 0) + bytes / c.hostToGpuBytesPerSec;
    else if (m.family === 'gather') {
      // the calibrated law of its tier: per-row access cost plus bytes at bandwidth (proofs/cost-model.md §7)
      const host = m.skew === 'uniform';
      const bw = host ? c.hostGatherBytesPerSec : c.gpuGatherBytesPerSec;
      const perRow = (host ? c.hostGatherSecondsPerRow : c.gpuGatherSecondsPerRow) ?? 0;
      if (bw) predicted = Number(m.lookups ?? 0) * perRow + bytes / bw;
      label = `gather ${m.rowBytes} B rows, ${m.skew}`;
    } else if (m.family === 'dedup' && c.dedupSecondsPerLookup) {
      predicted = (c.dedupLatencySec ?? 0) + Number(m.lookups) * c.dedupSecondsPerLookup;
      bytes = 0;
    }
    if (predicted !== undefined && predicted > 0 && Number.isFinite(predicted)) out.push({ label, bytes, measuredSec: seconds, predictedSec: predicted });
  }
  return out;
}

const CONSTANT_KEYS = [
  'gpuGatherBytesPerSec',
  'gpuGatherSecondsPerRow',
  'hostGatherBytesPerSec',
  'hostGatherSecondsPerRow',
  'dedupSecondsPerLookup',
] as const;

/** The scenario with a device profile's constants in place of its own (the scenario's values would win otherwise). */
export function applyProfile(scenario: Scenario, profileFile: string, profile: DeviceProfile): Scenario {
  const c = profile.constants;
  return rebuildScenario(
    scenario,
    (spec) => {
      const devices = { ...spec.devices, profile: resolve(profileFile), gpuList: undefined } as Record<string, unknown>;
      for (const k of CONSTANT_KEYS) if (c[k] !== undefined) delete devices[k];
      const links = { ...spec.links } as Record<string, unknown>;
      for (const k of ['hostToGpuBytesPerSec', 'gpuToGpuBytesPerSec', 'latencySec'] as const) if (c[k] !== undefined) delete links[k];
      return { ...spec, devices: devices as typeof spec.devices, links: links as typeof spec.links };
    },
    `profile ${profileFile}`,
  );
}

/** No NaN or Infinity may reach summary.json: fail loudly (a bug), naming the path. */
function checkFinite(value: unknown, path = 'summary'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`non-finite number at ${path} (${value})`);
  } else if (Array.isArray(value)) value.forEach((v, i) => checkFinite(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkFinite(v, `${path}.${k}`);
}

/** The main job: every figure of the report on one scenario, written as HTML, Markdown and JSON. */
export async function reproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const t0 = performance.now();
  let scenario = loadScenario(opts.scenarioFile);
  let measured: MeasuredPoint[] = [];
  let profileInfo: { file: string; backend: string; device: string; date: string } | null = null;
  if (opts.profile) {
    const profile = parseWithSchema(deviceProfileSchema, readJsonFile(opts.profile, 'device profile'), opts.profile);
    scenario = applyProfile(scenario, opts.profile, profile);
    measured = measuredFromProfile(profile);
    profileInfo = { file: opts.profile, backend: profile.backend, device: profile.device, date: profile.date };
  }
  const figOpts: FigureOptions = {
    seed: opts.seed ?? 2024,
    simLookupsPerPoint: opts.simLookupsPerPoint ?? 1e6,
    simBatches: opts.simBatches ?? 8,
    planner: opts.planner ?? placementPlanProvider(),
    planCache: new Map(),
    onProgress: opts.onProgress,
  };
  const figures: Figure[] = [
    figureCoalescing(scenario, figOpts),
    figureCaching(scenario, figOpts),
    await figureThroughput(scenario, figOpts),
    await figureSpeedup(scenario, figOpts),
    await figureOptimality(scenario, figOpts),
    await figureModelCheck(scenario, figOpts, measured),
  ];
  const seconds = (performance.now() - t0) / 1e3;

  const outDir = resolve(opts.outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new InputError(`cannot create the output folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, opts.outDir);
  }
  const meta = {
    scenario: scenario.name,
    scenarioFile: opts.scenarioFile,
    profile: profileInfo,
    planner: figOpts.planner.algorithms,
    exactAlgorithm: figOpts.planner.exactAlgorithm ?? null,
    seed: figOpts.seed,
    generatedAt: new Date().toISOString(),
    computeSeconds: seconds,
  };
  const summary = {
    ...meta,
    figures: figures.map((f) => ({ number: f.number, id: f.id, title: f.title, reading: f.reading, panels: f.panels.map((p) => `${p.name}.svg`), data: f.data })),
  };
  checkFinite(summary);
  const figureFiles: string[] = [];
  for (const f of figures)
    for (const p of f.panels) {
      const file = join(outDir, `${p.name}.svg`);
      writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n${p.svg}\n`);
      figureFiles.push(file);
    }
  const files = {
    html: join(outDir, 'report.html'),
    markdown: join(outDir, 'report.md'),
    summary: join(outDir, 'summary.json'),
    figures: figureFiles,
  };
  writeFileSync(files.html, renderHtml(scenario, figures, meta));
  writeFileSync(files.markdown, renderMarkdown(scenario, figures, meta));
  writeFileSync(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return {
    outDir,
    files,
    figures: figures.map((f) => ({ number: f.number, id: f.id, title: f.title, reading: f.reading })),
    seconds,
  };
}
