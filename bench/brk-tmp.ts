export {};
import { generated, terabyte } from './placement.bench.js';
import { exactPlacement } from '../src/plan/exact/index.js';
const cases: Array<[number, number, number, number]> = JSON.parse(process.argv[2] ?? '[[26,8,15,8]]');
async function main() {
  for (const [T, W, lim, buckets] of cases) {
    const s = T === 0 ? terabyte() : generated(T, W, 7 + T + W);
    for (const solver of (process.env.SOLVERS ?? 'glpk,highs').split(',') as Array<'glpk' | 'highs'>) {
      const t0 = performance.now();
      let last = '';
      const r = await exactPlacement(s, {
        ...(process.env.STAGES ? { onProgress: (p: { stage: string }) => { if (p.stage !== last) { console.log(((performance.now() - t0) / 1e3).toFixed(2), p.stage); last = p.stage; } } } : {}),
        solver, timeLimitSec: lim, maxBuckets: buckets, ...(process.env.TW ? { targetWidth: Number(process.env.TW) } : {}), ...(T === 0 ? {} : { batches: [s.training.globalBatch] }),
      });
      const rl = r.rowLevel;
      console.log(`${s.name} ${solver} lim=${lim}s: ${((performance.now() - t0) / 1e3).toFixed(1)} s, plan ${rl.throughputSamplesPerSec.toExponential(4)}, bound ${rl.boundSamplesPerSec?.toExponential(4)}, width ${(rl.relativeWidth! * 100).toFixed(2)}%, ${rl.status}, rounds ${rl.rounds}, items ${rl.items}`);
    }
  }
}
await main();
