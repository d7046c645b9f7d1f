import { evaluate, expectedRangeSums, type Evaluation } from '../model/evaluate.js';
import { addRangeLoads, emptyLoads, resourceSeconds } from '../model/loads.js';
import type { CheckedPlan } from '../model/plan.js';
import type { Scenario, Table } from '../model/scenario.js';
import { planToTorchRec, type TorchRecChoice } from '../plan/torchrec-space.js';
import { scaleBytes } from '../units.js';

/**
 * A TorchRec-like summary of a plan for the terminal (`plan` and `compare` on a TTY or with --summary): per rank
 * HBM, host memory and the time of each term; per table its placement; the five costliest tables. TorchRec's
 * planner prints its stats table this way (torchrec/distributed/planner/stats.py). `--json` stays the machine
 * interface; this is for people.
 */

const ms = (sec: number) => (sec * 1e3).toFixed(3);
const bytes = (b: number) => {
  const { value, unit } = scaleBytes(b);
  return `${value.toFixed(unit === 'B' ? 0 : 1)} ${unit}`;
};

export interface TableCost {
  name: string;
  /** seconds the table's own loads take on the bottleneck GPU (gather + 2 max(a2a in, out) + host link + all-reduce + host DRAM; no latencies) */
  seconds: number;
}

/** Per table: the seconds its own loads add to the bottleneck GPU's iteration (latencies left out: they are shared). */
export function tableCosts(scenario: Scenario, plan: CheckedPlan, bottleneck: number): TableCost[] {
  return scenario.tables.map((t) => {
    const loads = emptyLoads(scenario.gpus.length);
    for (const r of plan.tables[t.name]!) addRangeLoads(loads, scenario, t, r.at, r.gpu, expectedRangeSums(scenario, t, r.from, r.to), plan.coalesce);
    const sec = resourceSeconds(scenario, loads);
    const w = bottleneck;
    return {
      name: t.name,
      seconds: sec.gatherSec[w]! + 2 * Math.max(sec.allToAllInSec[w]!, sec.allToAllOutSec[w]!) + sec.hostLinkSec[w]! + sec.allReduceSec + sec.hostDramSec,
    };
  });
}

function placementText(scenario: Scenario, t: Table, plan: CheckedPlan, tr: Record<string, TorchRecChoice> | null): string {
  const c = tr?.[t.name];
  if (c) return `${c.shardingType} / ${c.computeKernel}${c.cacheLoadFactor !== undefined ? ` lf ${c.cacheLoadFactor}` : ''} ranks ${c.ranks.length === scenario.gpus.length && c.ranks.length > 1 ? 'all' : c.ranks.length ? c.ranks.join(',') : '-'}`;
  let rep = 0;
  let host = 0;
  const perGpu = new Map<number, number>();
  for (const r of plan.tables[t.name]!) {
    const n = r.to - r.from;
    if (r.at === 'replicated') rep += n;
    else if (r.at === 'host') host += n;
    else perGpu.set(r.gpu!, (perGpu.get(r.gpu!) ?? 0) + n);
  }
  const parts: string[] = [];
  const pct = (n: number) => `${((100 * n) / t.rows).toPrecision(3)}%`;
  if (rep) parts.push(`replicated ${pct(rep)}`);
  const sharded = [...perGpu.values()].reduce((a, b) => a + b, 0);
  if (sharded) parts.push(`sharded ${pct(sharded)} on ${perGpu.size === 1 ? `GPU ${[...perGpu.keys()][0]}` : `${perGpu.size} GPUs`}`);
  if (host) parts.push(`host ${pct(host)}`);
  return parts.join(', ');
}

/** The summary as lines of text. */
export function planSummary(scenario: Scenario, plan: CheckedPlan, evaluation: Evaluation = evaluate(scenario, plan)): string {
  let tr: Record<string, TorchRecChoice> | null = null;
  try {
    tr = planToTorchRec(scenario, plan);
  } catch {
    tr = null; // outside the TorchRec space: placements in scarec's own terms
  }
  const lines: string[] = [];
  const head = `  rank  ${'HBM used / capacity'.padEnd(24)}${['dense', 'dedup', 'gather', 'a2a', 'hostlink', 'allreduce', 'hostDRAM', 'total'].map((h) => h.padStart(10)).join('')}`;
  lines.push(`--- plan summary (${evaluation.plan}, batch ${evaluation.globalBatch}, times in ms) ---`, head);
  for (const g of evaluation.gpus) {
    const t = g.terms;
    lines.push(
      `  ${String(g.gpu).padStart(4)}${g.gpu === evaluation.bottleneckGpu ? '*' : ' '} ${`${bytes(g.memoryUsedBytes)} / ${bytes(g.memoryCapacityBytes)}`.padEnd(24)}${[t.denseSec, t.dedupSec, t.localGatherSec, t.allToAllSec, t.hostLinkSec, t.allReduceSec, t.hostGatherSec, g.iterationSec].map((v) => ms(v).padStart(10)).join('')}`,
    );
  }
  lines.push(`  host memory: ${bytes(evaluation.host.memoryUsedBytes)} / ${bytes(evaluation.host.memoryCapacityBytes)}   (* = bottleneck rank)`);
  lines.push(`  ${'table'.padEnd(10)}${'rows'.padStart(12)}  placement${tr ? ' (TorchRec sharding / kernel)' : ''}`);
  for (const t of scenario.tables) lines.push(`  ${t.name.padEnd(10)}${String(t.rows).padStart(12)}  ${placementText(scenario, t, plan, tr)}`);
  const costs = tableCosts(scenario, plan, evaluation.bottleneckGpu).sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  lines.push(`  top ${costs.length} costliest tables (their own loads on rank ${evaluation.bottleneckGpu}, ms): ${costs.map((c) => `${c.name} ${ms(c.seconds)}`).join(', ')}`);
  return lines.join('\n');
}
