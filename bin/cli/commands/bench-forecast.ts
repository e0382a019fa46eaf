import { statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type BenchProgress,
  benchSeries,
  benchShort,
  formatReport,
  listTraceFiles,
  loadTrace,
  type SeriesRow,
  type ShortRow,
  type SpeedResult,
  speedOn,
  summarise,
  summariseShort,
} from '../../../bench/forecast';
import { ValidationError } from '../../../shared/errors';
import type { CliIO } from '../context';

/**
 * The `bench` command group, found or created, so several files can add subcommands to it
 * (`bench forecast` here; `bench backtest`, `bench forecaster` elsewhere).
 */
export function benchCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'bench');
  if (existing) return existing;
  return program.command('bench').description('benchmarks on real traces (accuracy and speed)');
}

function progressLine(io: CliIO, p: BenchProgress, startedMs: number): void {
  const elapsed = ((performance.now() - startedMs) / 1000).toFixed(0);
  if (io.isTTY) {
    const width = 30;
    const filled = Math.round((width * p.done) / Math.max(1, p.total));
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    io.err(`\r[${bar}] ${p.done}/${p.total} ${elapsed}s ${p.name.slice(0, 40).padEnd(40)}`);
    if (p.done === p.total) io.err('\n');
  } else if (p.done < p.total) io.err(`bench forecast: ${p.done + 1}/${p.total} ${p.name} (${elapsed}s)\n`);
  else io.err(`bench forecast: done ${p.total} series in ${elapsed}s\n`);
}

export function registerBenchForecast(program: Command, io: CliIO): void {
  benchCommand(program)
    .command('forecast')
    .description(
      'rolling-origin forecast benchmark over every CSV in a folder (horizons 1h and 24h, baselines: daily seasonal naive and augurs MSTL; short horizons 15m and 30m at every step, baselines: persistence, daily seasonal naive and the seasonal forecast without the nowcaster)',
    )
    .requiredOption('--traces <dir>', 'folder of timestamp,value CSV files')
    .option('--json <file>', 'also write the results as JSON (per trace and a summary)')
    .option('--only <names>', 'comma list: only files whose name contains one of these')
    .option('--no-mstl', 'skip the augurs MSTL baseline (faster; rel MAE vs MSTL becomes vs snaive)')
    .option(
      '--no-seasonal-baseline',
      'skip the short-horizon run of the engine without its nowcaster (faster; seas/pers becomes n/a)',
    )
    .action(
      (opts: { traces: string; json?: string; only?: string; mstl: boolean; seasonalBaseline: boolean }) => {
        const dir = resolve(opts.traces);
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
        const filter = opts.only ? opts.only.split(',').map((s) => s.trim()) : [];
        const files = listTraceFiles(dir, filter);
        if (files.length === 0)
          throw new ValidationError(`--traces ${JSON.stringify(opts.traces)}: no .csv files found`, [
            { path: '--traces', message: 'no .csv files', received: opts.traces },
          ]);
        const started = performance.now();
        const rows: SeriesRow[] = [];
        const short: ShortRow[] = [];
        const speed: SpeedResult[] = [];
        const repairs: string[] = [];
        files.forEach((file, i) => {
          const name = basename(file, '.csv');
          progressLine(io, { done: i, total: files.length, name }, started);
          const series = loadTrace(file, (line) => repairs.push(line));
          rows.push(...benchSeries(name, series, { noMstl: !opts.mstl }));
          short.push(...benchShort(name, series, { noSeasonalBaseline: !opts.seasonalBaseline }));
          const sp = opts.mstl ? speedOn(name, series) : null;
          if (sp) speed.push(sp);
        });
        progressLine(io, { done: files.length, total: files.length, name: '' }, started);
        const result = { series: rows, short, summary: { ...summarise(rows), ...summariseShort(short) } };
        io.out(formatReport(result, speed));
        for (const line of repairs) io.out(`${line}\n`);
        if (opts.json) writeFileSync(resolve(opts.json), `${JSON.stringify(result, null, 2)}\n`);
      },
    );
}
