import { statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULTS,
  formatBench,
  listTraceFiles,
  loadDemandTrace,
  type SpeedResult,
  setupFor,
  speed,
  summarise,
} from '../../../bench/backtest';
import {
  formatFrontier,
  frontier,
  frontierJson,
  hindsightEnvelope,
  renderFrontierReport,
  riskGrid,
  runFrontier,
} from '../../../bench/frontier';
import { POLICY_NAMES, type PolicyName } from '../../../shared/backtest/policy';
import { type BacktestJson, runBacktest, toJson } from '../../../shared/backtest/runner';
import { describeError, ShadowscaleError, ValidationError } from '../../../shared/errors';
import { renderBacktestReport } from '../../../shared/report';
import { parseTimestampValueCsv, repairLine } from '../../../shared/series/csv';
import { autoUnitCapacity, traceFromPoints, traceRepairs } from '../../../shared/sim/trace';
import type { CliIO } from '../context';
import { readTextFile } from '../io';
import {
  parseChoiceList,
  parseDuration,
  parseHeadrooms,
  parseNonNegativeInt,
  parsePositiveInt,
  parsePositiveNumber,
  parseQuantiles,
} from '../options';

/** `--unit-capacity auto` or a number > 0. */
function parseUnitCapacity(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected "auto" or a number > 0.');
  return n;
}

/** A fraction in (0, 1]. */
function parseUtilization(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n <= 1))
    throw new InvalidArgumentError('expected a number in (0, 1].');
  return n;
}

/** A quantile strictly between 0 and 1. */
function parseQuantile(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n < 1))
    throw new InvalidArgumentError('expected a number strictly between 0 and 1.');
  return n;
}

/** "0" or a duration (metric delay may be zero). */
function parseDurationOrZero(value: string): number {
  return value.trim() === '0' ? 0 : parseDuration(value);
}

function progress(
  io: CliIO,
  label: string,
  done: number,
  total: number,
  what: string,
  startedMs: number,
): void {
  const elapsed = ((performance.now() - startedMs) / 1000).toFixed(0);
  if (io.isTTY) {
    const width = 30;
    const filled = Math.round((width * done) / Math.max(1, total));
    io.err(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${elapsed}s ${what.slice(0, 40).padEnd(40)}`,
    );
    if (done === total) io.err('\n');
  } else if (done < total) io.err(`${label}: ${done + 1}/${total} ${what} (${elapsed}s)\n`);
  else io.err(`${label}: done ${total} in ${elapsed}s\n`);
}

interface BacktestOpts {
  trace: string;
  policies: PolicyName[];
  lag: number;
  metricDelay: number;
  primaryMax: number;
  shadowMax: number;
  unitCapacity: number | 'auto';
  targetUtilization: number;
  quantile?: number;
  headroom?: number;
  json?: string;
  report?: string;
}

function writeOut(path: string, text: string, flag: string): void {
  try {
    writeFileSync(resolve(path), text);
  } catch (error) {
    throw new ValidationError(`${flag} ${JSON.stringify(path)}: cannot write (${(error as Error).message})`, [
      { path: flag, message: 'cannot write', received: path },
    ]);
  }
}

export function registerBacktest(program: Command, io: CliIO): void {
  registerBacktestCommand(program, io);
  registerBenchBacktest(program, io);
}

function registerBacktestCommand(program: Command, io: CliIO): void {
  program
    .command('backtest')
    .description(
      'replay a demand trace through scaling policies under the same physics (lag, metric delay) and compare elasticity metrics',
    )
    .requiredOption('--trace <file>', 'demand trace: timestamp,value CSV')
    .addOption(
      new Option('--policies <list>', `comma list of ${POLICY_NAMES.join(', ')}`)
        .argParser(parseChoiceList(POLICY_NAMES))
        .default([...POLICY_NAMES], 'all five'),
    )
    .addOption(
      new Option('--lag <duration>', 'provisioning lag (units become ready after it)')
        .argParser(parseDuration)
        .default(180_000, '3m'),
    )
    .addOption(
      new Option('--metric-delay <duration>', 'delay before a metric sample is visible ("0" for none)')
        .argParser(parseDurationOrZero)
        .default(60_000, '1m'),
    )
    .option('--primary-max <n>', 'maximum units of the primary pool', parsePositiveInt, DEFAULTS.primaryMax)
    .option(
      '--shadow-max <n>',
      'maximum units of the shadow pool (0: no shadow pool)',
      parseNonNegativeInt,
      DEFAULTS.shadowMax,
    )
    .option(
      '--unit-capacity <auto|n>',
      "one unit's capacity in the trace's unit at 100%; auto: the trace's p95 needs 20 units at target",
      parseUnitCapacity,
      'auto',
    )
    .option('--target-utilization <u>', 'target utilisation', parseUtilization, DEFAULTS.targetUtilization)
    .option(
      '--quantile <q>',
      'demand quantile the shadowscale policy plans against (default 0.99)',
      parseQuantile,
    )
    .option(
      '--headroom <fraction>',
      'shadowscale: cap of the planning headroom above the median forecast (default 0.2)',
      parsePositiveNumber,
    )
    .option('--json <file>', 'write the metrics as JSON')
    .option('--report <file.html>', 'write a self-contained HTML report with charts')
    .action((opts: BacktestOpts) => runBacktestCommand(io, opts));
}

function registerBenchBacktest(program: Command, io: CliIO): void {
  benchCommand(program)
    .command('backtest')
    .description(
      'every policy over every CSV trace of a folder: elasticity metrics, the scaling targets, and 30 simulated days timed per policy',
    )
    .requiredOption('--traces <dir>', 'folder of timestamp,value CSV files')
    .option('--json <file>', 'write the per-trace results and the summary as JSON')
    .option('--only <names>', 'comma list: only files whose name contains one of these')
    .option('--days <n>', 'simulated days for the speed run (0 to skip)', parseNonNegativeInt, 30)
    .option(
      '--quantile <q>',
      'demand quantile the shadowscale policy plans against (default 0.99)',
      parseQuantile,
    )
    .option(
      '--frontier',
      'instead: shadowscale at a grid of quantiles x headroom caps, scored against the targets, with the hindsight envelope',
    )
    .option('--quantiles <list>', 'frontier: planning quantiles (default 0.9,0.99,0.999)', parseQuantiles)
    .option(
      '--headrooms <list>',
      'frontier: headroom caps, fractions of the median or "none" (default 0.05,0.1,0.2,0.35,0.6,none)',
      parseHeadrooms,
    )
    .option('--report <file.html>', 'frontier: write the frontier charts as a self-contained HTML page')
    .addHelpText(
      'after',
      '\nThe frontier replays every trace (settings + 2) times, the shadowscale settings through the deployed\nloop (about 1 s of CPU per simulated day): 4 two-week traces at 6 settings take about 20 minutes;\nthe 26 traces of ../shared/traces at the default grid take hours.',
    )
    .action((opts: BenchOpts) => runBenchBacktest(io, opts));
}

/** `shadowscale backtest`: one trace through the chosen policies; a table, and JSON / HTML on request. */
async function runBacktestCommand(io: CliIO, opts: BacktestOpts): Promise<void> {
  const text = readTextFile(opts.trace, '--trace');
  const points = parseTimestampValueCsv(text, opts.trace);
  const { trace, report } = traceFromPoints(basename(opts.trace).replace(/\.csv$/i, ''), points);
  const repaired = repairLine(opts.trace, points.length, traceRepairs(report));
  if (repaired) io.err(`${repaired}\n`);
  const unitCapacity =
    opts.unitCapacity === 'auto'
      ? autoUnitCapacity(trace, opts.targetUtilization, DEFAULTS.unitsAtP95)
      : opts.unitCapacity;
  const started = performance.now();
  const result = await runBacktest(
    {
      trace,
      unitCapacity,
      targetUtilization: opts.targetUtilization,
      lagMs: opts.lag,
      metricDelayMs: opts.metricDelay,
      primaryMax: opts.primaryMax,
      shadowMax: opts.shadowMax,
      shadowscale: {
        ...(opts.quantile === undefined ? {} : { quantile: opts.quantile }),
        ...(opts.headroom === undefined ? {} : { maxHeadroom: opts.headroom }),
      },
    },
    opts.policies,
    (name, i) => progress(io, 'backtest', i, opts.policies.length, name, started),
  );
  progress(io, 'backtest', opts.policies.length, opts.policies.length, '', started);
  const json = toJson(result);
  const rows = [json];
  io.out(formatBench(rows, summarise(rows)).split('\nsummary')[0] ?? '');
  io.out(
    `\n${trace.values.length} steps of ${trace.intervalMs / 1000} s; unit capacity ${unitCapacity.toPrecision(4)}\n`,
  );
  if (opts.json) writeOut(opts.json, `${JSON.stringify(json, null, 2)}\n`, '--json');
  if (opts.report) {
    writeOut(
      opts.report,
      renderBacktestReport(result, {
        lag: `${opts.lag / 1000} s`,
        'metric delay': `${opts.metricDelay / 1000} s`,
      }),
      '--report',
    );
    io.out(`report: ${opts.report}\n`);
  }
}

/** `shadowscale bench backtest`: every policy over every trace of a folder (or the frontier). */
async function runBenchBacktest(io: CliIO, opts: BenchOpts): Promise<void> {
  if (!opts.frontier && (opts.report || opts.quantiles || opts.headrooms))
    throw new ValidationError('--report, --quantiles and --headrooms need --frontier', [
      { path: '--frontier', message: 'required by --report, --quantiles, --headrooms', received: false },
    ]);
  const files = traceFiles(opts);
  if (opts.frontier) {
    await benchFrontier(io, files, opts);
    return;
  }
  const started = performance.now();
  const rows: BacktestJson[] = [];
  const skipped: { trace: string; reason: string }[] = [];
  const repairs: string[] = [];
  const steps: Record<string, number> = {};
  for (const [i, file] of files.entries()) {
    const name = basename(file, '.csv');
    progress(io, 'bench backtest', i, files.length, name, started);
    try {
      const result = await runBacktest(
        setupFor(
          loadDemandTrace(file, (line) => repairs.push(line)),
          DEFAULTS,
          opts.quantile,
        ),
      );
      steps[result.trace] = result.demandUnits.length;
      rows.push(toJson(result));
    } catch (error) {
      // A trace that cannot be replayed (unreadable, too short, p95 of 0) is reported, not fatal.
      if (!(error instanceof ShadowscaleError)) throw error;
      skipped.push({ trace: name, reason: describeError(error) });
    }
  }
  progress(io, 'bench backtest', files.length, files.length, '', started);
  const summary = summarise(rows, steps);
  let sp: SpeedResult | undefined;
  if (opts.days > 0) {
    io.err(`bench backtest: timing ${opts.days} simulated days through every policy\n`);
    sp = await speed(opts.days, opts.quantile);
  }
  io.out(formatBench(rows, summary, sp));
  for (const line of repairs) io.out(`${line}\n`);
  for (const s of skipped) io.out(`skipped ${s.trace}: ${s.reason}\n`);
  if (opts.json)
    writeOut(
      opts.json,
      `${JSON.stringify({ results: rows, summary, speed: sp, skipped }, null, 2)}\n`,
      '--json',
    );
}

/** The CSV files of `--traces` (filtered by `--only`); a ValidationError when there are none. */
function traceFiles(opts: BenchOpts): string[] {
  let isDir = false;
  try {
    isDir = statSync(resolve(opts.traces)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new ValidationError(`--traces ${JSON.stringify(opts.traces)}: not a directory`, [
      { path: '--traces', message: 'not a directory', received: opts.traces },
    ]);
  const files = listTraceFiles(
    resolve(opts.traces),
    opts.only ? opts.only.split(',').map((s) => s.trim()) : [],
  );
  if (files.length === 0)
    throw new ValidationError(`--traces ${JSON.stringify(opts.traces)}: no .csv files found`, [
      { path: '--traces', message: 'no .csv files', received: opts.traces },
    ]);
  return files;
}

interface BenchOpts {
  traces: string;
  json?: string;
  only?: string;
  days: number;
  quantile?: number;
  frontier?: boolean;
  quantiles?: number[];
  headrooms?: number[];
  report?: string;
}

async function benchFrontier(io: CliIO, files: readonly string[], opts: BenchOpts): Promise<void> {
  if (opts.quantile !== undefined)
    throw new ValidationError('--quantile does not apply to --frontier (use --quantiles)', [
      { path: '--quantile', message: 'not with --frontier', received: opts.quantile },
    ]);
  const settings = riskGrid(opts.quantiles, opts.headrooms);
  const started = performance.now();
  const run = await runFrontier(
    files.map((path) => ({ name: basename(path, '.csv'), path })),
    settings,
    (done, total, what) => progress(io, 'bench backtest --frontier', done, total, what, started),
  );
  const points = frontier(settings, run.baselines, run.runs);
  const envelope = hindsightEnvelope(settings, run.baselines, run.runs);
  io.out(`${run.baselines.length} traces, ${settings.length} settings\n`);
  io.out(formatFrontier(points, envelope));
  for (const s of run.skipped) io.out(`skipped ${s.trace}: ${s.reason}\n`);
  if (opts.json)
    writeOut(opts.json, `${JSON.stringify(frontierJson(points, envelope, run), null, 2)}\n`, '--json');
  if (opts.report) {
    writeOut(
      opts.report,
      renderFrontierReport(points, envelope, { traces: run.baselines.length, settings: settings.length }),
      '--report',
    );
    io.out(`report: ${opts.report}\n`);
  }
}

/** The `bench` group, found or created (another file adds `bench forecast`). */
function benchCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'bench');
  if (existing) return existing;
  return program.command('bench').description('benchmarks on real traces (accuracy and speed)');
}
