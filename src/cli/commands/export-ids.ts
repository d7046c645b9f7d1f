import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { checkInputFile, writeFileAtomic } from '../output.js';
import type { CliContext } from '../run.js';
import { printJson } from '../run.js';

/**
 * `export --format ids`: a plan's row ids per table and class (README "Formats", "Id map"). Each table's ranks
 * come from the frequency profile its distribution names (`counts` with `file` and `feature`), or --profile.
 */
export async function exportIds(ctx: CliContext, scenarioFile: string, opts: { plan?: string; profile?: string; out?: string; json?: boolean }): Promise<void> {
  if (!opts.plan) throw new InputError('--format ids needs --plan (the plan whose ids to write)', 'option --plan');
  if (!opts.out) throw new InputError('--format ids needs --out DIR (one file per table and class)', 'option --out');
  checkInputFile(scenarioFile, 'scenario file');
  checkInputFile(opts.plan, 'plan file');
  const { loadScenario } = await import('../../model/scenario.js');
  const { loadPlans } = await import('../../model/plan.js');
  const { loadIdOrder, planToIdMap } = await import('../../data/idmap.js');
  const scenario = loadScenario(scenarioFile);
  const { plans, isArray } = loadPlans(opts.plan, scenario);
  if (isArray) throw new InputError('export --format ids takes one plan, not an array', opts.plan);
  const plan = plans[0]!;
  const orders: Record<string, ReturnType<typeof loadIdOrder>> = {};
  const sources: Record<string, { profile: string; feature: string }> = {};
  scenario.spec.tables.forEach((t, i) => {
    const d = t.distribution as { kind: string; file?: string; feature?: string };
    const fromScenario = d.kind === 'counts' && d.file ? resolve(dirname(scenarioFile), d.file) : undefined;
    const profile = opts.profile ?? fromScenario;
    if (!profile)
      throw new InputError(`table "${t.name}" has no frequency profile (its distribution is ${d.kind}): give --profile`, `${scenarioFile}: tables[${i}].distribution`);
    const feature = d.feature ?? t.name;
    orders[t.name] = loadIdOrder(profile, feature);
    sources[t.name] = { profile, feature };
  });
  const tables = planToIdMap(scenario, plan, orders);
  mkdirSync(opts.out, { recursive: true });
  const index: Record<string, unknown> = {};
  for (const t of tables) {
    const o = orders[t.table]!;
    const ext = o.dtype === 'uint32le' ? 'u32' : 'i64';
    index[t.table] = {
      ...sources[t.table],
      dtype: o.dtype,
      idFormat: o.idFormat,
      complete: o.complete,
      classes: t.classes.map((c) => {
        const file = `${t.table}.${c.at === 'gpu' ? `gpu${c.gpu}` : c.at}.${ext}`;
        writeFileAtomic(join(opts.out!, file), new Uint8Array(c.ids.buffer, c.ids.byteOffset, c.ids.byteLength), ctx.temps);
        return { at: c.at, ...(c.gpu !== undefined ? { gpu: c.gpu } : {}), file, ids: c.ids.length, missingRow: c.missingRow, unseenRows: c.unseenRows };
      }),
      unseen: t.unseen,
    };
  }
  const doc = { kind: 'scarec-plan-ids', version: 1, scenario: scenario.name, plan: plan.name ?? plan.algorithm ?? 'plan', batch: plan.batch ?? scenario.training.globalBatch, gpus: scenario.gpus.length, tables: index };
  writeFileAtomic(join(opts.out, 'index.json'), `${JSON.stringify(doc, null, 1)}\n`, ctx.temps);
  const files = tables.reduce((s, t) => s + t.classes.length, 0);
  if (opts.json) printJson(ctx, { out: opts.out, index: join(opts.out, 'index.json'), files });
  else ctx.err(`wrote ${join(opts.out, 'index.json')} and one id file per table and class (${files} files)\n`);
}
