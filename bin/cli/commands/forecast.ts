import { type Command, Option } from 'commander';
import { z } from 'zod';
import { ForecastInputError, ValidationError } from '../../../shared/errors';
import {
  DEFAULT_QUANTILES,
  engine,
  type ForecastResult,
  hygieneRepairs,
  MODEL_NAMES,
} from '../../../shared/model';
import { Signal } from '../../../shared/schemas/signal';
import { assertMostlyUsable, parseTimestampValueCsv, repairLine } from '../../../shared/series/csv';
import { parseOrThrow } from '../../../shared/validation';
import type { CliIO } from '../context';
import { readJsonFile, readTextFile } from '../io';
import { parseChoice, parseDuration, parseQuantiles } from '../options';

/** `--signals FILE.json`: a list of signals, or `{ "signals": [...] }`; past ones teach the uplift. */
const SignalsFile = z.union([z.array(Signal), z.strictObject({ signals: z.array(Signal) })]);

interface ForecastOpts {
  input: string;
  horizon: number;
  quantiles?: number[];
  signals?: string;
  format: 'json' | 'csv';
  model: string;
}

function toCsv(result: ForecastResult): string {
  const header = ['timestamp', 'point', ...result.quantiles.map((q) => `p${Math.round(q.q * 1000) / 10}`)];
  const rows = result.point.map((p, i) => {
    const t = new Date(result.startMs + i * result.intervalMs).toISOString();
    return [t, p, ...result.quantiles.map((q) => q.values[i] as number)].join(',');
  });
  return `${header.join(',')}\n${rows.join('\n')}\n`;
}

/** An unusable input file is bad input (exit 2), named by its flag. */
function asInputError<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ForecastInputError)
      throw new ValidationError(
        `--input ${JSON.stringify(file)}: ${error.message}`,
        [{ path: '--input', message: error.message, received: file }],
        { cause: error },
      );
    throw error;
  }
}

export function registerForecast(program: Command, io: CliIO): void {
  program
    .command('forecast')
    .description('forecast a metric file (timestamp,value CSV) with quantiles, optionally with signals')
    .requiredOption('--input <file>', 'CSV of timestamp,value rows (ISO-8601 timestamps)')
    .requiredOption('--horizon <duration>', 'how far ahead, e.g. 1h, 24h, 7d', parseDuration)
    .option(
      '--quantiles <list>',
      `quantiles to report (default ${DEFAULT_QUANTILES.join(',')})`,
      parseQuantiles,
    )
    .option('--signals <file>', 'JSON list of signals (future ones apply, past ones teach the uplift)')
    .addOption(
      new Option('--format <format>', 'output format: json or csv')
        .default('json')
        .argParser(parseChoice(['json', 'csv'] as const)),
    )
    .option(
      '--model <name>',
      `auto (chosen by backtest on the series), ensemble, or one of ${MODEL_NAMES.join(', ')}`,
      parseChoice(['auto', 'ensemble', ...MODEL_NAMES]),
      'auto',
    )
    .action((opts: ForecastOpts) => forecastFile(io, opts));
}

/** `forecast`: clean the file, fit, forecast the horizon, print JSON or CSV. */
function forecastFile(io: CliIO, opts: ForecastOpts): void {
  const text = readTextFile(opts.input, '--input');
  const { series, report } = asInputError(opts.input, () => {
    const points = parseTimestampValueCsv(text, opts.input);
    assertMostlyUsable(points, '');
    return engine.clean(points);
  });
  const repaired = repairLine(opts.input, report.inputPoints, hygieneRepairs(report));
  if (repaired) io.err(`${repaired}\n`);
  const steps = Math.max(1, Math.ceil(opts.horizon / series.intervalMs));
  if (steps > 100_000)
    throw new ValidationError(
      `--horizon ${opts.horizon} ms is ${steps} steps of ${series.intervalMs} ms; at most 100000`,
      [{ path: '--horizon', message: 'too many steps', received: opts.horizon }],
    );
  const quantiles = opts.quantiles ?? [...DEFAULT_QUANTILES];
  const signals = opts.signals === undefined ? [] : readSignals(opts.signals);
  const state = asInputError(opts.input, () =>
    engine.fit(series, { horizonSteps: steps, quantiles, model: opts.model }),
  );
  const result = engine.forecast(state, {
    horizonSteps: steps,
    quantiles,
    signals: signals.filter((s) => s.endsAt > state.lastPointMs),
    pastSignals: signals.filter((s) => s.startsAt <= state.lastPointMs),
  });
  if (opts.format === 'csv') {
    io.err(`model: ${result.model}, confidence: ${result.confidence}\n`);
    io.out(toCsv(result));
  } else {
    io.out(
      `${JSON.stringify(
        {
          model: result.model,
          confidence: result.confidence,
          intervalMs: result.intervalMs,
          appliedSignals: result.appliedSignals,
          hygiene: report,
          forecast: result.point.map((p, i) => ({
            timestamp: new Date(result.startMs + i * result.intervalMs).toISOString(),
            point: p,
            ...Object.fromEntries(result.quantiles.map((q) => [`p${q.q * 100}`, q.values[i]])),
          })),
        },
        null,
        2,
      )}\n`,
    );
  }
}

function readSignals(file: string): Signal[] {
  const parsed = parseOrThrow(SignalsFile, readJsonFile(file, '--signals'), `--signals ${file}`);
  return Array.isArray(parsed) ? parsed : parsed.signals;
}
