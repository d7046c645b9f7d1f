import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { renderScenario, scenarioAlpha, TERABYTE_TORCHREC_ROWS, torchrecConfigs } from '../../models/generate.js';
import { loadScenario } from '../../src/model/scenario.js';
import { GPU_PRESETS, NVLINK, PCIE, resolvePreset, EFFICIENCY } from '../../src/model/presets.js';

const dir = mkdtempSync(join(tmpdir(), 'scarec-scenario-'));
const model = (f: string) => JSON.parse(readFileSync(join('models', f), 'utf8'));

describe('scarec scenario', () => {
  it('models/torchrec/ holds what models/generate.ts writes', () => {
    for (const [f, c] of Object.entries(torchrecConfigs())) expect(readFileSync(join('models/torchrec', f), 'utf8')).toBe(renderScenario(c));
  });

  it('DLRM arguments + the H100 SXM preset + per-table Zipf exponents give the committed default scenario (tables, devices, links, training)', () => {
    const out = join(dir, 'dlrm.json');
    const args = ['scenario', '--arch-embedding-size', TERABYTE_TORCHREC_ROWS.join('-'), '--arch-sparse-feature-size', '128', '--mini-batch-size', '65536', '--gpu', 'h100-sxm', '--nodes', '1',
      '--activation-bytes-per-sample', '80000', '--candidate-batches', '16384,32768,65536,131072', '--out', out];
    for (let j = 0; j < 26; j++) args.push('--dist-table', `C${j + 1}=zipf:${scenarioAlpha(j)}`);
    const r = runCli(args);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    const want = model('criteo-terabyte-8gpu.json');
    for (const k of ['tables', 'devices', 'links', 'training']) expect(got[k], k).toEqual(want[k]);
    expect(() => loadScenario(out)).not.toThrow();
  });

  it('the TorchRec config list of the 26 Terabyte tables gives the same tables (names from the config, rows, dim, fp32)', () => {
    const out = join(dir, 'tr.json');
    const r = runCli(['scenario', '--torchrec-config', 'models/torchrec/criteo-terabyte-tables.json', '--gpu', 'h200', '--nodes', '2', '--dist', 'zipf:1.05', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const s = loadScenario(out);
    expect(s.tables.map((t) => t.rows)).toEqual(TERABYTE_TORCHREC_ROWS);
    expect(s.tables.map((t) => t.name)).toEqual(TERABYTE_TORCHREC_ROWS.map((_, j) => `t_C${j + 1}`));
    expect(s.tables.every((t) => t.dim === 128 && t.rowBytes === 512)).toBe(true);
    expect(s.gpus.length).toBe(16);
    expect(s.gpus[0]!.memoryBytes).toBe(141e9 - 8 * 2 ** 30);
    expect(s.gpus[0]!.gatherBytesPerSec).toBe(4.8e12 * EFFICIENCY.hbmGather);
    expect(s.links.interNodeBytesPerSec).toBe(50e9 * EFFICIENCY.nic);
    expect(JSON.parse(readFileSync(out, 'utf8')).sources.gpuMemoryBytes).toMatch(/H200 datasheet/);
  });

  it('a stats profile as the distribution: the counts come from the feature named in the config', () => {
    const prof = join(dir, 'p.json');
    writeFileSync(prof, JSON.stringify({ kind: 'scarec-frequency-profile', version: 1, features: { f1: { accesses: 10, missing: 0, distinct: 3, countHistogram: [[5, 1], [3, 1], [2, 1]] } } }));
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify([{ name: 't1', num_embeddings: 100, embedding_dim: 16, feature_names: ['f1'], pooling_factors: [2.5], data_type: 'FP16' }]));
    const out = join(dir, 'p-scn.json');
    const r = runCli(['scenario', '--torchrec-config', cfg, '--dist', 'p.json', '--gpu', 'a100-80gb', '--gpus-per-node', '4', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const s = loadScenario(out);
    expect(s.tables[0]!.pooling).toBe(2.5);
    expect(s.tables[0]!.bytesPerElement).toBe(2);
    expect(s.tables[0]!.distribution.mass(0, 1).value).toBeCloseTo(0.5, 12);
    expect(s.gpus[0]!.hostToGpuBytesPerSec).toBe(PCIE.gen4.bytesPerSec);
    expect(s.links.gpuToGpuBytesPerSec).toBe(NVLINK.nvlink3.bytesPerSec! * EFFICIENCY.nvlink);
  });

  it('bad inputs exit 2 naming the option or the file and field', () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify([{ name: 't1', num_embeddings: -3, embedding_dim: 16 }]));
    const cases: Array<[string[], RegExp]> = [
      [['--torchrec-config', cfg], /bad\.json.*\[0\]\.num_embeddings/],
      [['--arch-embedding-size', '10-x', '--arch-sparse-feature-size', '4'], /--arch-embedding-size: entry 2/],
      [['--arch-embedding-size', '10-20'], /--arch-sparse-feature-size/],
      [['--arch-embedding-size', '10-20', '--arch-sparse-feature-size', '4', '--gpu', 'v100'], /unknown GPU preset "v100"/],
      [['--arch-embedding-size', '10-20', '--arch-sparse-feature-size', '4', '--dist', 'zipf:0'], /--dist: zipf exponent/],
      [['--arch-embedding-size', '10-20', '--arch-sparse-feature-size', '4', '--dist-table', 'C9=uniform'], /no table "C9"/],
      [['--arch-embedding-size', '10-20', '--arch-sparse-feature-size', '4', '--dist', join(dir, 'none.json')], /none\.json/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(['scenario', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('every preset resolves to finite constants with a source for each', () => {
    for (const gpu of Object.keys(GPU_PRESETS) as Array<keyof typeof GPU_PRESETS>)
      for (const nodes of [1, 3]) {
        const p = resolvePreset({ gpu, nodes });
        expect(p.gpus).toBe(8 * nodes);
        for (const v of [...Object.values(p.devices), ...Object.values(p.links)]) expect(Number.isFinite(v)).toBe(true);
        for (const k of [...Object.keys(p.devices), ...Object.keys(p.links).filter((k) => k !== 'gpusPerNode')]) expect(p.sources[k], `${gpu} ${k}`).toBeTruthy();
      }
  });
});
