/**
 * Writes the ready scenarios of models/ (run: `npx tsx models/generate.ts`). The JSON files are committed;
 * test/models/models.test.ts checks they equal this script's output, so every constant below is the one
 * place to change. Each constant's source is written into the scenario's `sources` field.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioJson, tablesFromDlrmArgs } from '../src/model/scenario-builder.js';

export const FEATURES = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);

/** Kaggle (DLRM ln_emb for the Kaggle Display Advertising Challenge; 33,762,577 rows). */
export const KAGGLE_ROWS = [1460, 583, 10131227, 2202608, 305, 24, 12517, 633, 3, 93145, 5683, 8351593, 3194, 27, 14992, 5461306, 10, 5652, 2173, 4, 7046547, 18, 15, 286181, 105, 142572];
/** Terabyte, TorchRec's num_embeddings_per_feature (177,944,275 rows). */
export const TERABYTE_TORCHREC_ROWS = [45833188, 36746, 17245, 7413, 20243, 3, 7114, 1441, 62, 29275261, 1572176, 345138, 10, 2209, 11267, 128, 4, 974, 14, 48937457, 11316796, 40094537, 452104, 12606, 104, 35];
/** Terabyte, MLPerf DLRM v1 with --max-ind-range=40000000 (187,767,399 rows). */
export const TERABYTE_MLPERF_ROWS = [39884406, 39043, 17289, 7420, 20263, 3, 7120, 1543, 63, 38532951, 2953546, 403346, 10, 2208, 11938, 155, 4, 976, 14, 39979771, 25641295, 39664984, 585935, 12972, 108, 36];
/** Terabyte, every value of the 24 days kept (882,774,559 rows). */
export const TERABYTE_FULL_ROWS = [227605432, 39060, 17295, 7424, 20265, 3, 7122, 1543, 63, 130229467, 3067956, 405282, 10, 2209, 11938, 155, 4, 976, 14, 292775614, 40790948, 187188510, 590152, 12973, 108, 36];

/**
 * Head Zipf exponents measured by `scarec stats` on the 8,000-line Criteo sample (../shared/data/criteo,
 * missing values skipped; least squares of ln count on ln rank over the rows seen twice or more, at most 1000).
 * test/models/models.test.ts recomputes them from the sample.
 */
export const SAMPLE_HEAD_ALPHA = [1.783, 1.321, 0.78, 0.792, 2.367, 2.833, 0.711, 2.13, 6.397, 0.682, 0.802, 0.799, 0.845, 2.645, 0.88, 0.819, 1.084, 1.067, 0.987, 0.101, 0.813, 2.814, 1.986, 0.898, 1.965, 0.818];

/** The exponent used in the scenarios: the sample's head fit, clamped to [0.9, 1.45] (models/README.md). */
export const ALPHA_MIN = 0.9;
export const ALPHA_MAX = 1.45;
export const scenarioAlpha = (j: number) => Math.round(Math.min(ALPHA_MAX, Math.max(ALPHA_MIN, SAMPLE_HEAD_ALPHA[j]!)) * 1000) / 1000;

/** Provenance of what the preset does not cover (dense compute, activations, optimizer, distributions). */
const SOURCES_DLRM: Record<string, string> = {
  denseSecondsPerSample:
    'DLRM dense MLPs (bottom 13-512-256-d, top 1024-1024-512-256-1): about 7 M multiply-adds per sample forward, x3 with backward = 14 MFLOP; at about 70 TFLOP/s achieved on H100 (TF32/BF16 small GEMMs) 2e-7 s',
  activationBytesPerSample:
    'DLRM forward+backward activations per sample: bottom and top MLP outputs, 27 x d interaction inputs with their gradients and the interaction output, fp32: about 80 KB at d=128, 60 KB at d=64',
  optimizerBytesPerRow: 'row-wise Adagrad keeps one fp32 accumulator per row (TorchRec/FBGEMM EXACT_ROWWISE_ADAGRAD)',
  distribution:
    'per-table Zipf exponent = the 8,000-line Criteo sample head fit clamped to [0.9, 1.45] (models/README.md; the sample understates the full logs skew, 1.45 is the exponent of NVIDIA DeepLearningExamples synthetic Criteo presets)',
};

interface Topology {
  suffix: string;
  gpus: number;
  nodes: number;
}
const TOPOLOGIES: Topology[] = [
  { suffix: '1gpu', gpus: 1, nodes: 1 },
  { suffix: '8gpu', gpus: 8, nodes: 1 },
  { suffix: '2x8gpu', gpus: 16, nodes: 2 },
];

interface Dataset {
  slug: string;
  title: string;
  rows: number[];
}
const DATASETS: Dataset[] = [
  { slug: 'criteo-kaggle', title: 'Criteo Kaggle (DLRM Kaggle table sizes, 33.8 M rows)', rows: KAGGLE_ROWS },
  { slug: 'criteo-terabyte', title: 'Criteo Terabyte (TorchRec table sizes, 177.9 M rows)', rows: TERABYTE_TORCHREC_ROWS },
  { slug: 'criteo-terabyte-mlperf', title: 'Criteo Terabyte (MLPerf 40 M-capped table sizes, 187.8 M rows)', rows: TERABYTE_MLPERF_ROWS },
  { slug: 'criteo-terabyte-full', title: 'Criteo Terabyte (all values of the 24 days, 882.8 M rows)', rows: TERABYTE_FULL_ROWS },
];

export const activationBytes = (dim: number) => (dim >= 128 ? 80e3 : 60e3);

/**
 * One DLRM scenario, built by the library function behind `scarec scenario` (src/model/scenario-builder.ts) from
 * DLRM's arguments and the H100 SXM preset: the ready scenarios exercise the command's code path.
 */
function dlrmScenario(ds: Dataset, dim: number, topo: Topology, globalBatch: number) {
  const tables = tablesFromDlrmArgs(ds.rows.join('-'), dim);
  const totalRows = ds.rows.reduce((s, x) => s + x, 0);
  const embBytes = totalRows * (dim * 4 + 4);
  return scenarioJson({
    name: `${ds.slug}-d${dim}-${topo.suffix}`,
    comment: `${ds.title}, DLRM with embedding dim ${dim} fp32 and row-wise Adagrad (${(embBytes / 1e9).toFixed(1)} GB of rows and optimizer state), on ${topo.gpus} H100 SXM 80GB GPU${topo.gpus > 1 ? 's' : ''}${topo.nodes > 1 ? ` in ${topo.nodes} nodes of 8` : ''}; global batch ${globalBatch}. Host tier = the nodes' DRAM taken together. Generated by models/generate.ts.`,
    tables,
    preset: { gpu: 'h100-sxm', nodes: topo.nodes, gpusPerNode: topo.gpus / topo.nodes },
    distribution: (_t, j) => ({ kind: 'zipf', alpha: scenarioAlpha(j) }),
    optimizerBytesPerRow: 4,
    training: { globalBatch, denseSecondsPerSample: 2e-7, overlap: 'serial', indexBytes: 8, activationBytesPerSample: activationBytes(dim), candidateBatches: [16384, 32768, 65536, 131072] },
    sources: SOURCES_DLRM,
  });
}

function federatedScenario() {
  return {
    name: 'federated-mobile',
    comment:
      'One mobile client of a federated recommender: the phone keeps a tiny cache of embedding rows, the server holds the tables (the host tier) and is reached over a cellular link. Local batch 32. Generated by models/generate.ts.',
    sources: {
      gpuMemoryBytes: '64 MB of app memory for cached rows on a phone (a budget, not a hardware limit)',
      gpuGatherBytesPerSec: 'LPDDR5 about 50 GB/s peak, x 0.2 for a CPU gathering rows',
      hostMemoryBytes: 'the server side: 256 GB of DRAM for the tables',
      hostGatherBytesPerSec: 'server DRAM bandwidth share for one client, 10 GB/s',
      hostToGpuBytesPerSec: '10 Mbit/s cellular link = 1.25 MB/s (the slower, uplink direction of a typical LTE/5G connection)',
      latencySec: '50 ms round trip over a cellular network',
      denseSecondsPerSample: 'small on-device MLP on a phone CPU, about 0.1 ms per sample',
      distribution: 'Zipf exponents 1.1 (items), 1.2 (categories), 0.9 (context): modeling choices (models/README.md)',
    },
    tables: [
      { name: 'item', rows: 5_000_000, dim: 32, bytesPerElement: 4, pooling: 1, optimizerBytesPerRow: 0, distribution: { kind: 'zipf', alpha: 1.1 } },
      { name: 'category', rows: 10_000, dim: 32, bytesPerElement: 4, pooling: 1, optimizerBytesPerRow: 0, distribution: { kind: 'zipf', alpha: 1.2 } },
      { name: 'context', rows: 100_000, dim: 32, bytesPerElement: 4, pooling: 2, optimizerBytesPerRow: 0, distribution: { kind: 'zipf', alpha: 0.9 } },
    ],
    devices: { gpus: 1, gpuMemoryBytes: 64e6, gpuGatherBytesPerSec: 10e9, hostMemoryBytes: 256e9, hostGatherBytesPerSec: 10e9 },
    links: { hostToGpuBytesPerSec: 1.25e6, latencySec: 0.05 },
    training: { globalBatch: 32, denseSecondsPerSample: 1e-4, overlap: 'serial', indexBytes: 8, activationBytesPerSample: 0, candidateBatches: [8, 16, 32, 64, 128] },
  };
}

function warehouseScenario(gpus: number) {
  const base = dlrmScenario(DATASETS[3]!, 128, { suffix: `${gpus}gpu`, gpus, nodes: gpus / 8 }, 262144);
  return {
    ...base,
    name: `warehouse-terabyte-full-${gpus}gpu`,
    comment: `Warehouse scale: Criteo Terabyte with all 882.8 M rows at dim 128 fp32 (row-wise Adagrad), ${gpus} H100 SXM GPUs in ${gpus / 8} nodes of 8 (NVLink within a node, one 400 Gb/s NIC per GPU across nodes), global batch 262144. Generated by models/generate.ts.`,
    training: { ...base.training, candidateBatches: [65536, 131072, 262144, 524288] },
  };
}

/** Every scenario file of models/ with its content. */
export function scenarios(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const ds of DATASETS)
    for (const dim of [128, 64])
      for (const topo of TOPOLOGIES) out[`${ds.slug}${dim === 64 ? '-d64' : ''}-${topo.suffix}.json`] = dlrmScenario(ds, dim, topo, 65536);
  out['federated-mobile.json'] = federatedScenario();
  out['warehouse-terabyte-full-64gpu.json'] = warehouseScenario(64);
  out['warehouse-terabyte-full-128gpu.json'] = warehouseScenario(128);
  return out;
}

export const renderScenario = (s: unknown) => `${JSON.stringify(s, null, 2)}\n`;

/**
 * models/torchrec/criteo-terabyte-tables.json: the 26 Criteo Terabyte tables as a TorchRec config list
 * (EmbeddingBagConfig's fields, torchrec/modules/embedding_configs.py), the input of
 * `scarec scenario --torchrec-config` (README "From TorchRec to a plan and back").
 */
export function torchrecConfigs(): Record<string, unknown> {
  return {
    'criteo-terabyte-tables.json': TERABYTE_TORCHREC_ROWS.map((n, j) => ({
      name: `t_${FEATURES[j]}`,
      num_embeddings: n,
      embedding_dim: 128,
      feature_names: [FEATURES[j]],
      pooling: 'SUM',
      data_type: 'FP32',
    })),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const [file, s] of Object.entries(scenarios())) writeFileSync(join(here, file), renderScenario(s));
  for (const [file, s] of Object.entries(torchrecConfigs())) writeFileSync(join(here, 'torchrec', file), renderScenario(s));
}
