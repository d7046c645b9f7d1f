import { z } from 'zod';

/**
 * The scenario and plan file formats (JSON). Field names are the public contract (README "Formats").
 * Validation errors are turned into InputError with the field path by `parseWithSchema` (model/validate.ts).
 */

const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();
const positiveInt = z.number().int().positive();
// Physical ranges: wide enough for any real machine, narrow enough that no valid input overflows to
// Infinity or underflows a denominator (a valid input never yields NaN or Infinity).
const bytes = nonNegative.max(1e18, { message: 'must be at most 1e18 bytes' });
const bytesPerSec = z.number().finite().min(1, { message: 'must be at least 1 byte/s' }).max(1e16, { message: 'must be at most 1e16 bytes/s' });
const seconds = nonNegative.max(10, { message: 'must be at most 10 seconds' });

export const distributionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('zipf'), alpha: positive.max(20) }).strict(),
  z.object({ kind: z.literal('uniform') }).strict(),
  z
    .object({
      kind: z.literal('counts'),
      /** per-row access counts (any order; they are ranked by decreasing count) */
      counts: z.array(nonNegative).min(1).optional(),
      /** path relative to the scenario file: a JSON array of counts, or a frequency profile */
      file: z.string().min(1).optional(),
      /** with a frequency profile: which feature (e.g. "C3") */
      feature: z.string().min(1).optional(),
    })
    .strict()
    .refine((d) => (d.counts === undefined) !== (d.file === undefined), {
      message: 'give exactly one of "counts" (an array) or "file" (a path)',
    }),
]);
export type DistributionSpec = z.infer<typeof distributionSchema>;

export const tableSchema = z
  .object({
    name: z.string().min(1),
    rows: positiveInt.max(1e13),
    dim: positiveInt.max(1 << 20),
    bytesPerElement: positive.max(16).default(4),
    /** average lookups per sample into this table (L_t) */
    pooling: positive.max(1e4).default(1),
    /** optimizer-state bytes per row: 0 for SGD, 4 for row-wise Adagrad, 2 r for Adam */
    optimizerBytesPerRow: nonNegative.max(1e7).default(0),
    distribution: distributionSchema,
  })
  .strict();

/** One GPU of a heterogeneous list; fields left out take the scenario-wide values. */
export const gpuSchema = z
  .object({
    name: z.string().optional(),
    memoryBytes: bytes.optional(),
    gatherBytesPerSec: bytesPerSec.optional(),
    gatherSecondsPerRow: seconds.optional(),
    /** pooling reads of rows just received (host or peers) from the receive buffer; default: the gather constants */
    bufferGatherBytesPerSec: bytesPerSec.optional(),
    bufferGatherSecondsPerRow: seconds.optional(),
    hostToGpuBytesPerSec: bytesPerSec.optional(),
    denseSecondsPerSample: seconds.optional(),
    /** relative share of the global batch this GPU takes (default: equal shares) */
    batchShare: z.number().finite().min(1e-6).max(1e6).optional(),
    /** node index for hierarchical links (default: floor(index / gpusPerNode)) */
    node: z.number().int().nonnegative().optional(),
  })
  .strict();

export const devicesSchema = z
  .object({
    gpus: positiveInt.max(4096),
    gpuMemoryBytes: bytes.optional(),
    gpuGatherBytesPerSec: bytesPerSec.optional(),
    /** fixed cost of one random row access in GPU memory (latency not hidden by bandwidth); default 0 */
    gpuGatherSecondsPerRow: seconds.optional(),
    /** pooling reads of rows just received (host or peers) from the receive buffer; default: the gather constants */
    gpuBufferGatherBytesPerSec: bytesPerSec.optional(),
    gpuBufferGatherSecondsPerRow: seconds.optional(),
    hostMemoryBytes: bytes.optional(),
    hostGatherBytesPerSec: bytesPerSec.optional(),
    /** fixed cost of one random row access in host memory; default 0 */
    hostGatherSecondsPerRow: seconds.optional(),
    /** seconds per lookup spent deduplicating ids when coalescing (calibrated) */
    dedupSecondsPerLookup: seconds.optional(),
    /** fixed seconds per table and iteration of the dedup (kernel launch, cold start; calibrated intercept); default 0 */
    dedupLatencySec: seconds.optional(),
    /** seconds per distinct id the dedup emits (proofs/cost-model.md §2; calibrated by bench/calibrate_torch.py); default 0 */
    dedupSecondsPerDistinctRow: seconds.optional(),
    /** path (relative to the scenario) of a device profile written by `scarec calibrate` */
    profile: z.string().min(1).optional(),
    /** heterogeneous GPUs: one entry per GPU (length must equal `gpus`) */
    gpuList: z.array(gpuSchema).optional(),
  })
  .strict();

export const linksSchema = z
  .object({
    hostToGpuBytesPerSec: bytesPerSec.optional(),
    gpuToGpuBytesPerSec: bytesPerSec.optional(),
    latencySec: seconds.optional(),
    /** GPUs per node for hierarchical links (default: all GPUs in one node) */
    gpusPerNode: positiveInt.optional(),
    /** per-GPU bandwidth between nodes (NIC); required when there is more than one node */
    interNodeBytesPerSec: bytesPerSec.optional(),
  })
  .strict()
  .default({});

export const trainingSchema = z
  .object({
    globalBatch: positiveInt.max(1e9),
    denseSecondsPerSample: seconds.default(0),
    overlap: z.enum(['serial', 'full']).default('serial'),
    /** bytes of one row id sent to the host (default 8, int64) */
    indexBytes: nonNegative.max(64).default(8),
    /** GPU memory per sample of the worker's batch (activations), reserved before embeddings */
    activationBytesPerSample: bytes.default(0),
    /** candidate global batches for batch-size selection */
    candidateBatches: z.array(positiveInt.max(1e9)).optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    comment: z.string().optional(),
    /** free-form provenance of the constants, e.g. { "gpuGatherBytesPerSec": "H100 SXM datasheet x 0.6" } */
    sources: z.record(z.string(), z.string()).optional(),
    tables: z.array(tableSchema).min(1),
    devices: devicesSchema,
    links: linksSchema,
    training: trainingSchema,
  })
  .strict();
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioSpec = z.output<typeof scenarioSchema>;

export const placementSchema = z.enum(['replicated', 'gpu', 'host']);
export type Placement = z.infer<typeof placementSchema>;

export const rangeSchema = z
  .object({
    from: z.number().int().nonnegative(),
    to: z.number().int().positive(),
    at: placementSchema,
    gpu: z.number().int().nonnegative().optional(),
  })
  .strict();
export type PlanRange = z.infer<typeof rangeSchema>;

export const planSchema = z
  .object({
    name: z.string().optional(),
    algorithm: z.string().optional(),
    coalesce: z.boolean().default(true),
    /**
     * The global batch (samples per iteration) the plan was made for. A plan's throughput depends on it, so
     * `evaluate` costs the plan at this batch; `--batch` overrides it. Plans without it are costed at the
     * scenario's `training.globalBatch`.
     */
    batch: z.number().int().positive().max(1e12).optional(),
    tables: z.record(z.string(), z.array(rangeSchema).min(1)),
  })
  .passthrough();
export type PlanInput = z.input<typeof planSchema>;
export type Plan = z.output<typeof planSchema>;

/** Device profile written by `scarec calibrate` (src/calibrate) and bench/calibrate_torch.py. */
export const deviceProfileSchema = z
  .object({
    kind: z.literal('scarec-device-profile'),
    version: z.literal(1),
    backend: z.string(),
    device: z.string(),
    date: z.string(),
    constants: z
      .object({
        gpuGatherBytesPerSec: bytesPerSec.optional(),
        gpuGatherSecondsPerRow: seconds.optional(),
        gpuBufferGatherBytesPerSec: bytesPerSec.optional(),
        gpuBufferGatherSecondsPerRow: seconds.optional(),
        hostGatherBytesPerSec: bytesPerSec.optional(),
        hostGatherSecondsPerRow: seconds.optional(),
        hostToGpuBytesPerSec: bytesPerSec.optional(),
        gpuToGpuBytesPerSec: bytesPerSec.optional(),
        latencySec: seconds.optional(),
        dedupSecondsPerLookup: seconds.optional(),
        dedupLatencySec: seconds.optional(),
        dedupSecondsPerDistinctRow: seconds.optional(),
      })
      .passthrough(),
  })
  .passthrough();
export type DeviceProfile = z.infer<typeof deviceProfileSchema>;

/** One feature of a frequency profile written by `scarec stats` (src/data). */
export const featureProfileSchema = z
  .object({
    accesses: nonNegative,
    missing: nonNegative,
    distinct: nonNegative,
    /** frequency of frequencies: [count, rowsWithThatCount] pairs, sorted by decreasing count */
    countHistogram: z.array(z.tuple([positive, positiveInt])),
  })
  .passthrough();

export const frequencyProfileSchema = z
  .object({
    kind: z.literal('scarec-frequency-profile'),
    version: z.literal(1),
    features: z.record(z.string(), featureProfileSchema),
  })
  .passthrough();
export type FrequencyProfile = z.infer<typeof frequencyProfileSchema>;

/**
 * The variable map `scarec export` writes beside a model file (README "Formats"): which table, rank bucket and
 * class each placement variable stands for, and the file's column order (glpsol numbers columns), so
 * `scarec import-solution` turns a solver's solution back into a plan.
 */
export const modelMapSchema = z
  .object({
    kind: z.literal('scarec-model-map'),
    version: z.literal(1),
    scenario: z.string(),
    /** the scenario's tables and rows when exported: a map of another scenario is rejected */
    tables: z.array(z.object({ name: z.string(), rows: z.number().int().positive() }).strict()),
    gpus: z.number().int().positive(),
    model: z.string(),
    format: z.enum(['lp', 'mps']),
    space: z.enum(['tiered', 'cache', 'tablewise']),
    coalesce: z.boolean(),
    /** the --buckets the model was built with: the import rebuilds the same buckets for the row layout */
    bucketsPerTableMax: z.number().int().positive(),
    /** the global batch the model was built at; the imported plan records it */
    batch: z.number().int().positive(),
    sense: z.enum(['minimize', 'maximize']),
    /** the objective is the bucketed iteration time in this unit */
    objectiveUnit: z.literal('us'),
    /** every column, in the order the model file declares it */
    columns: z.array(z.string()),
    /** placement variables: rows of ranks [from, to) of a table in one class; value x rowsPerUnit rows */
    placement: z.array(
      z
        .object({
          var: z.string(),
          table: z.string(),
          from: z.number().int().nonnegative(),
          to: z.number().int().positive(),
          at: placementSchema,
          gpu: z.number().int().nonnegative().optional(),
          rowsPerUnit: z.number().int().positive(),
        })
        .strict(),
    ),
  })
  .passthrough();
export type ModelMap = z.infer<typeof modelMapSchema>;
