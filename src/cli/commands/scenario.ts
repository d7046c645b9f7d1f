import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { NvlinkGen, PcieGen } from '../../model/presets.js';
import type { TableInput } from '../../model/scenario-builder.js';
import { checkOutputFile, writeFileAtomic } from '../output.js';
import { action, parseNumberOption, printJson, type CliContext } from '../run.js';

interface ScenarioCliOptions {
  torchrecConfig?: string;
  archEmbeddingSize?: string;
  archSparseFeatureSize?: number;
  maxIndRange?: number;
  miniBatchSize?: number;
  gpu: string;
  pcie?: string;
  nvlink?: string;
  nodes: number;
  gpusPerNode: number;
  dist: string;
  distTable: string[];
  deviceProfile?: string;
  optimizerBytesPerRow: number;
  denseSecondsPerSample: number;
  activationBytesPerSample: number;
  candidateBatches?: string;
  name?: string;
  out?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerScenario(program: Command, ctx: CliContext): void {
  program
    .command('scenario')
    .description('build a validated scenario from a TorchRec config list or DLRM arguments, a hardware preset and per-feature distributions')
    .option('--torchrec-config <file>', 'JSON list of EmbeddingBagConfig-like entries: name, num_embeddings, embedding_dim, feature_names, pooling, data_type, pooling_factors')
    .option('--arch-embedding-size <sizes>', "DLRM's rows per table, e.g. 1460-583-10131227")
    .option('--arch-sparse-feature-size <dim>', "DLRM's embedding dim", parseNumberOption('--arch-sparse-feature-size', { integer: true, min: 1, max: 1 << 20 }))
    .option('--max-ind-range <n>', "DLRM's cap on rows per table", parseNumberOption('--max-ind-range', { integer: true, min: 1 }))
    .option('--mini-batch-size <n>', "DLRM's global mini-batch size", parseNumberOption('--mini-batch-size', { integer: true, min: 1, max: 1e9 }), 65536)
    .option('--gpu <preset>', 'h100-sxm | h100-pcie | h200 | a100-80gb', 'h100-sxm')
    .option('--pcie <gen>', 'gen4 | gen5 (default: the GPU preset\'s)')
    .option('--nvlink <gen>', 'nvlink3 | nvlink4 | none (default: the GPU preset\'s)')
    .option('--nodes <n>', 'nodes', parseNumberOption('--nodes', { integer: true, min: 1, max: 512 }), 1)
    .option('--gpus-per-node <n>', 'GPUs per node', parseNumberOption('--gpus-per-node', { integer: true, min: 1, max: 64 }), 8)
    .option('--dist <spec>', 'every table: zipf:ALPHA | uniform | PROFILE.json (a scarec stats profile; the table\'s first feature)', 'zipf:1.05')
    .option('--dist-table <name=spec>', 'one table\'s distribution (repeatable)', collect, [])
    .option('--device-profile <file>', 'a calibrated device profile (scarec calibrate): its constants replace the preset\'s estimates')
    .option('--optimizer-bytes-per-row <n>', 'optimizer state per row (4: row-wise Adagrad)', parseNumberOption('--optimizer-bytes-per-row', { min: 0 }), 4)
    .option('--dense-seconds-per-sample <s>', 'dense compute per sample', parseNumberOption('--dense-seconds-per-sample', { min: 0, max: 10 }), 2e-7)
    .option('--activation-bytes-per-sample <b>', 'GPU memory reserved per sample', parseNumberOption('--activation-bytes-per-sample', { min: 0 }), 0)
    .option('--candidate-batches <list>', 'comma-separated global batches for the batch search')
    .option('--name <name>', 'scenario name')
    .option('--out <file>', 'write the scenario here (default stdout; profile paths resolve against its directory)')
    .option('--json', 'print one JSON object: { scenario } (and out with --out)')
    .action(
      action(ctx, async (opts: ScenarioCliOptions) => {
        if (opts.out) checkOutputFile(opts.out);
        const { parseGpuModel } = await import('../../model/presets.js');
        const { buildScenarioFile, parseDistribution, tablesFromDlrmArgs, tablesFromTorchRecConfig } = await import('../../model/scenario-builder.js');
        const { readJsonFile } = await import('../../model/validate.js');
        let tables: TableInput[];
        if (opts.torchrecConfig && opts.archEmbeddingSize) throw new InputError('give one of --torchrec-config and --arch-embedding-size', 'option --torchrec-config');
        if (opts.torchrecConfig) tables = tablesFromTorchRecConfig(readJsonFile(opts.torchrecConfig, 'TorchRec config'), opts.torchrecConfig);
        else if (opts.archEmbeddingSize) {
          if (opts.archSparseFeatureSize === undefined) throw new InputError('DLRM arguments need --arch-sparse-feature-size (the embedding dim)', 'option --arch-sparse-feature-size');
          tables = tablesFromDlrmArgs(opts.archEmbeddingSize, opts.archSparseFeatureSize, opts.maxIndRange);
        } else throw new InputError('give --torchrec-config FILE or --arch-embedding-size SIZES', 'option --torchrec-config');
        const pcie = opts.pcie as PcieGen | undefined;
        if (pcie !== undefined && pcie !== 'gen4' && pcie !== 'gen5') throw new InputError(`unknown PCIe generation "${pcie}" (gen4 or gen5)`, 'option --pcie');
        const nvlink = opts.nvlink as NvlinkGen | undefined;
        if (nvlink !== undefined && !['nvlink3', 'nvlink4', 'none'].includes(nvlink)) throw new InputError(`unknown NVLink generation "${nvlink}" (nvlink3, nvlink4 or none)`, 'option --nvlink');
        const perTable = new Map<string, string>();
        for (const d of opts.distTable) {
          const k = d.indexOf('=');
          if (k <= 0) throw new InputError(`"${d}" is not NAME=SPEC`, 'option --dist-table');
          const name = d.slice(0, k);
          if (!tables.some((t) => t.name === name)) throw new InputError(`no table "${name}"`, 'option --dist-table');
          perTable.set(name, d.slice(k + 1));
        }
        const candidateBatches = opts.candidateBatches?.split(',').map((x) => {
          const v = Number(x);
          if (!Number.isInteger(v) || v < 1) throw new InputError(`"${x}" is not a positive integer`, 'option --candidate-batches');
          return v;
        });
        const outDir = opts.out ? dirname(resolve(opts.out)) : process.cwd();
        const json = buildScenarioFile(
          {
            name: opts.name ?? `${opts.torchrecConfig ? 'torchrec' : 'dlrm'}-${opts.gpu}-${opts.nodes * opts.gpusPerNode}gpu`,
            tables,
            preset: { gpu: parseGpuModel(opts.gpu), pcie, nvlink, nodes: opts.nodes, gpusPerNode: opts.gpusPerNode },
            distribution: (t) => {
              const own = perTable.get(t.name);
              return parseDistribution(own ?? opts.dist, t.feature, own ? `option --dist-table ${t.name}` : 'option --dist');
            },
            optimizerBytesPerRow: opts.optimizerBytesPerRow,
            training: {
              globalBatch: opts.miniBatchSize ?? 65536,
              denseSecondsPerSample: opts.denseSecondsPerSample,
              activationBytesPerSample: opts.activationBytesPerSample,
              ...(candidateBatches ? { candidateBatches } : {}),
            },
            deviceProfile: opts.deviceProfile,
          },
          outDir,
          opts.out ?? 'scenario',
        );
        const text = `${JSON.stringify(json, null, 2)}\n`;
        if (opts.out) writeFileAtomic(opts.out, text, ctx.temps);
        if (opts.json) printJson(ctx, { scenario: json, ...(opts.out ? { out: opts.out } : {}) });
        else if (!opts.out) ctx.out(text);
      }),
    );
}
