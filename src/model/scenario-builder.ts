import { z } from 'zod';
import { InputError } from '../errors.js';
import { resolvePreset, type PresetChoice } from './presets.js';
import { buildScenario } from './scenario.js';
import type { DistributionSpec, ScenarioInput } from './schema.js';
import { parseWithSchema } from './validate.js';

/**
 * `scarec scenario`: a scenario from what a TorchRec / DLRM user already has (issue 15). Tables come from a
 * TorchRec-style config list (EmbeddingBagConfig's fields: torchrec/modules/embedding_configs.py) or DLRM's
 * command-line arguments; devices and links from a hardware preset (src/model/presets.ts) or a calibrated device
 * profile; distributions per feature from a `scarec stats` profile, `zipf:ALPHA` or `uniform`.
 */

/** DataType values (torchrec/types.py, `class DataType`) and their bytes per element. */
const DATA_TYPE_BYTES: Record<string, number> = { FP32: 4, FP16: 2, BF16: 2, INT8: 1, UINT8: 1, INT4: 0.5, INT2: 0.25 };

/** One entry of a TorchRec-style config list: EmbeddingBagConfig's field names, plus ParameterConstraints.pooling_factors. */
export const embeddingBagConfigSchema = z
  .object({
    name: z.string().min(1),
    num_embeddings: z.number().int().positive().max(1e13),
    embedding_dim: z.number().int().positive().max(1 << 20),
    feature_names: z.array(z.string().min(1)).min(1).optional(),
    /** PoolingType (torchrec/modules/embedding_configs.py): the reduction; it does not change the cost */
    pooling: z.enum(['SUM', 'MEAN', 'NONE']).optional(),
    data_type: z.enum(Object.keys(DATA_TYPE_BYTES) as [string, ...string[]]).optional(),
    /** ParameterConstraints.pooling_factors: average lookups per sample of each feature (default 1 each) */
    pooling_factors: z.array(z.number().finite().positive().max(1e4)).optional(),
  })
  .passthrough();
export const torchrecConfigListSchema = z.array(embeddingBagConfigSchema).min(1);

/** A table before its distribution is chosen. */
export interface TableInput {
  name: string;
  rows: number;
  dim: number;
  bytesPerElement: number;
  pooling: number;
  /** the feature whose statistics describe the table (its first feature name) */
  feature: string;
}

export function tablesFromTorchRecConfig(data: unknown, file: string): TableInput[] {
  const list = parseWithSchema(torchrecConfigListSchema, data, file);
  const seen = new Set<string>();
  return list.map((c, i) => {
    if (seen.has(c.name)) throw new InputError(`duplicate table name "${c.name}"`, `${file}: [${i}].name`);
    seen.add(c.name);
    const features = c.feature_names ?? [c.name];
    if (c.pooling_factors && c.pooling_factors.length !== features.length)
      throw new InputError(`${c.pooling_factors.length} pooling factors for ${features.length} features (one per feature)`, `${file}: [${i}].pooling_factors`);
    return {
      name: c.name,
      rows: c.num_embeddings,
      dim: c.embedding_dim,
      bytesPerElement: DATA_TYPE_BYTES[c.data_type ?? 'FP32']!,
      pooling: c.pooling_factors ? c.pooling_factors.reduce((s, x) => s + x, 0) : features.length,
      feature: features[0]!,
    };
  });
}

/**
 * DLRM's arguments (dlrm_s_pytorch.py): `--arch-embedding-size 1460-583-...` (rows per table), `--arch-sparse-feature-size`
 * (the embedding dim) and `--max-ind-range` (rows capped at this, as DLRM does when it hashes ids modulo the range).
 * Tables are C1..Cn, one lookup per sample, fp32.
 */
export function tablesFromDlrmArgs(archEmbeddingSize: string, archSparseFeatureSize: number, maxIndRange?: number): TableInput[] {
  const parts = archEmbeddingSize.split('-');
  return parts.map((p, j) => {
    const n = Number(p);
    if (p.trim() === '' || !Number.isInteger(n) || n < 1) throw new InputError(`entry ${j + 1} ("${p}") is not a positive integer`, 'option --arch-embedding-size');
    const rows = maxIndRange !== undefined && maxIndRange > 0 ? Math.min(n, maxIndRange) : n;
    return { name: `C${j + 1}`, rows, dim: archSparseFeatureSize, bytesPerElement: 4, pooling: 1, feature: `C${j + 1}` };
  });
}

/** `zipf:ALPHA`, `uniform`, or a path to a `scarec stats` profile (the table's feature taken from it). */
export function parseDistribution(text: string, feature: string, where = 'option --dist'): DistributionSpec {
  if (text === 'uniform') return { kind: 'uniform' };
  const m = /^zipf:(.+)$/.exec(text);
  if (m) {
    const alpha = Number(m[1]);
    if (!Number.isFinite(alpha) || alpha <= 0 || alpha > 20) throw new InputError(`zipf exponent "${m[1]}" must be a number in (0, 20]`, where);
    return { kind: 'zipf', alpha };
  }
  if (text.endsWith('.json')) return { kind: 'counts', file: text, feature };
  throw new InputError(`"${text}" is not a distribution (zipf:ALPHA, uniform, or a profile PROFILE.json from scarec stats)`, where);
}

export interface ScenarioRequest {
  name: string;
  comment?: string;
  tables: TableInput[];
  preset: PresetChoice;
  /** per table (by index): its distribution */
  distribution: (t: TableInput, j: number) => DistributionSpec;
  optimizerBytesPerRow?: number;
  training: {
    globalBatch: number;
    denseSecondsPerSample?: number;
    overlap?: 'serial' | 'full';
    indexBytes?: number;
    activationBytesPerSample?: number;
    candidateBatches?: number[];
  };
  /** a calibrated device profile (path relative to the scenario file): its constants replace the preset's estimates */
  deviceProfile?: string;
  /** more provenance (dense compute, activations, optimizer, distributions), appended to the preset's */
  sources?: Record<string, string>;
}

/** The scenario JSON (as written to a file). Its field order is the one of models/. */
export function scenarioJson(req: ScenarioRequest): ScenarioInput {
  const p = resolvePreset(req.preset);
  const devices: Record<string, unknown> = { gpus: p.gpus, gpuMemoryBytes: p.devices.gpuMemoryBytes };
  const links: Record<string, unknown> = {};
  if (req.deviceProfile) {
    // the profile's measured constants win: leave out the preset's estimates of the same constants
    Object.assign(devices, { hostMemoryBytes: p.devices.hostMemoryBytes, profile: req.deviceProfile });
    if (p.links.gpusPerNode !== undefined) Object.assign(links, { gpusPerNode: p.links.gpusPerNode, interNodeBytesPerSec: p.links.interNodeBytesPerSec });
  } else {
    Object.assign(devices, {
      gpuGatherBytesPerSec: p.devices.gpuGatherBytesPerSec,
      hostMemoryBytes: p.devices.hostMemoryBytes,
      hostGatherBytesPerSec: p.devices.hostGatherBytesPerSec,
      dedupSecondsPerLookup: p.devices.dedupSecondsPerLookup,
    });
    Object.assign(links, p.links);
  }
  const sources = { ...p.sources, ...(req.sources ?? {}) };
  if (req.deviceProfile) sources.profile = `calibrated device profile ${req.deviceProfile} (scarec calibrate): its constants replace the preset's estimates`;
  return {
    name: req.name,
    ...(req.comment !== undefined ? { comment: req.comment } : {}),
    sources,
    tables: req.tables.map((t, j) => ({
      name: t.name,
      rows: t.rows,
      dim: t.dim,
      bytesPerElement: t.bytesPerElement,
      pooling: t.pooling,
      optimizerBytesPerRow: req.optimizerBytesPerRow ?? 0,
      distribution: req.distribution(t, j),
    })),
    devices: devices as ScenarioInput['devices'],
    links: links as ScenarioInput['links'],
    training: {
      globalBatch: req.training.globalBatch,
      denseSecondsPerSample: req.training.denseSecondsPerSample ?? 0,
      overlap: req.training.overlap ?? 'serial',
      indexBytes: req.training.indexBytes ?? 8,
      activationBytesPerSample: req.training.activationBytesPerSample ?? 0,
      ...(req.training.candidateBatches ? { candidateBatches: req.training.candidateBatches } : {}),
    },
  };
}

/**
 * Build and validate: the scenario is checked exactly as `loadScenario` would check the file written to
 * `outDir` (profiles resolve against it), so a scenario this returns is ready to plan.
 */
export function buildScenarioFile(req: ScenarioRequest, outDir: string, file = 'scenario'): ScenarioInput {
  const json = scenarioJson(req);
  buildScenario(json, { baseDir: outDir, file });
  return json;
}
