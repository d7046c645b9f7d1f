// scarec's library entry point: import { ... } from 'scarec'.
export * from './errors.js';
export * from './stats/touch.js';
export * from './stats/distribution.js';
export * from './stats/uniform.js';
export * from './stats/zipf.js';
export * from './stats/counts.js';
export * from './stats/bounds.js';
export * from './stats/buckets.js';
export * from './stats/coalescing.js';
export * from './model/schema.js';
export * from './model/scenario.js';
export * from './model/plan.js';
export * from './model/loads.js';
export * from './model/evaluate.js';
export * from './mip/index.js';
export * from './plan/index.js';
export { reproduce, measuredFromProfile, type ReproduceOptions, type ReproduceResult } from './report/reproduce.js';
export type { MeasuredPoint, Panel, PlanPoint } from './report/figures.js';
export { lineChart, groupedBarChart, type LineChartSpec, type BarChartSpec } from './report/charts.js';
export {
  figureCoalescing,
  figureCaching,
  figureThroughput,
  figureSpeedup,
  figureOptimality,
  figureModelCheck,
  type Figure,
  type FigureOptions,
} from './report/figures.js';
export { builtinPlanProvider, placementPlanProvider, topRowsPlan, type PlanProvider, type PlanRun } from './report/plans.js';
export { simulate, type Simulation, type SimulateOptions, type TableSimulation, type CacheComparison, type DistinctComparison, type GpuLinkComparison } from './sim/simulate.js';
export { Rng } from './sim/rng.js';
export { AliasTable, CountsSampler, UniformSampler, ZipfSampler, probabilityRuns, samplerFor, type RankSampler, type ProbabilityRuns } from './sim/sampler.js';
export { LruCache, LfuCache, type RowCache } from './sim/cache.js';
export { RunningStat, type Comparison as SimComparison } from './sim/stats.js';
export { computeStats, type StatsOptions, type StatsProfile, type StatsProgress, type StatsFormat, type MissingMode, type MalformedLine } from './data/stats.js';
export { KeyCounter, kthLargest, type MemoryBudget } from './data/counter.js';
export { HyperLogLog } from './data/hyperloglog.js';
export { featureProfile, fitZipfHead, topShare, type FeatureProfile } from './data/profile.js';
export { fitLinear, fitBandwidth, type LinearFit, type BandwidthFit, type FitPoint } from './calibrate/fit.js';
export { openBackend, calibrateBackend } from './calibrate/open.js';
export { measureStage, compareStages, calibratedScenario, type StageMeasurement } from './calibrate/stage.js';
export * from './data/idmap.js';
