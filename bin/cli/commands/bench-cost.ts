import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { listTraceFiles, loadDemandTrace } from '../../../bench/backtest';
import { formatCostBench, runCostBench } from '../../../bench/cost';
import { PRICE_REGIONS } from '../../../shared/cost/prices';
import { ValidationError } from '../../../shared/errors';
import type { CliIO } from '../context';
import { parseChoice, parsePositiveInt } from '../options';
import { benchCommand } from './bench-forecast';

/** The traces shipped in the repo (NAB, MIT), whatever the working directory. */
const FIXTURE_TRACES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'traces');

function parseCounts(value: string): number[] {
  return value.split(',').map((v) => parsePositiveInt(v.trim()));
}

export function registerBenchCost(program: Command, io: CliIO): void {
  benchCommand(program)
    .command('cost')
    .description(
      "what Shadowscale's own control plane costs on AWS: the deployed loop (forecaster, pre-warm, shadow-pool state machines) over simulated workloads on real traces, every AWS request counted by the adapters' meter and priced per region, with the forecaster every 5 minutes and with its adaptive cadence, and the decision quality of both",
    )
    .requiredOption('--workloads <n>', 'workloads in the estate to price', parsePositiveInt)
    .option(
      '--also <list>',
      'comma list of other estate sizes to price from the same runs, e.g. 10,1000',
      parseCounts,
    )
    .option('--metrics <n>', 'forecast metrics per workload (default 3)', parsePositiveInt)
    .option(
      '--days <n>',
      'simulated days per sampled workload after a 7-day warm-up (default 7)',
      parsePositiveInt,
    )
    .option('--sample <n>', 'simulated workloads run, one trace each (default 8)', parsePositiveInt)
    .option('--traces <dir>', 'folder of timestamp,value CSV files (default: the traces shipped in the repo)')
    .option(
      '--region <region>',
      `price table (${PRICE_REGIONS.join(', ')}; default us-east-1)`,
      parseChoice(PRICE_REGIONS),
    )
    .option('--json <file>', 'write the result (summary, per-cadence bills and usage) as JSON')
    .action(
      async (opts: {
        workloads: number;
        also?: number[];
        metrics?: number;
        days?: number;
        sample?: number;
        traces?: string;
        region?: string;
        json?: string;
      }) => {
        const dir = resolve(opts.traces ?? FIXTURE_TRACES);
        let isDir = false;
        try {
          isDir = statSync(dir).isDirectory();
        } catch {
          isDir = false;
        }
        if (!isDir)
          throw new ValidationError(`--traces ${JSON.stringify(opts.traces)}: not a directory`, [
            { path: '--traces', message: 'not a directory', received: opts.traces },
          ]);
        const files = listTraceFiles(dir);
        if (files.length === 0)
          throw new ValidationError(`--traces ${JSON.stringify(opts.traces)}: no .csv files found`, [
            { path: '--traces', message: 'no .csv files', received: opts.traces },
          ]);
        const result = await runCostBench({
          workloads: opts.workloads,
          ...(opts.also ? { alsoWorkloads: opts.also } : {}),
          metrics: opts.metrics ?? 3,
          days: opts.days ?? 7,
          sample: opts.sample ?? 8,
          region: opts.region ?? 'us-east-1',
          traces: files.map((f) => loadDemandTrace(f)),
          onProgress: (line) => io.err(`${line}\n`),
        });
        io.out(formatCostBench(result));
        if (opts.json) {
          const file = resolve(opts.json);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
        }
      },
    );
}
