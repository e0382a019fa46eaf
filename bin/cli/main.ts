import { Command, CommanderError, Option } from 'commander';
import { ForecastInputError, ShadowscaleError, ValidationError } from '../../shared/errors';
import { registerBacktest } from './commands/backtest';
import { registerBenchAnomaly } from './commands/bench-anomaly';
import { registerBenchCost } from './commands/bench-cost';

import { registerBenchFailover } from './commands/bench-failover';
import { registerBenchForecast } from './commands/bench-forecast';
import { registerBuilds } from './commands/builds';
import { registerForecast } from './commands/forecast';
import { registerForecaster } from './commands/forecaster';
import { registerLocal } from './commands/local';
import { registerMigrate } from './commands/migrate';
import { registerOps } from './commands/ops';
import { registerPipeline } from './commands/pipeline';
import { registerSignals } from './commands/signals';
import { registerValidate } from './commands/validate';
import { registerWorkloads } from './commands/workloads';
import { CliExit, type CliIO, processIO } from './context';

// Read at run time rather than imported so tsc's rootDir and bundlers stay out of package.json.
const VERSION: string = (require('../../package.json') as { version: string }).version;

/** Exit codes: 0 ok, 1 runtime failure, 2 bad input (flag, file, schema). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Usage errors in one line, with where to look, like every other bad input. */
function output(io: CliIO) {
  return {
    writeOut: io.out,
    writeErr: io.err,
    outputError: (text: string, write: (t: string) => void) =>
      write(
        `shadowscale: ${text
          .trim()
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')} (see --help)\n`,
      ),
  };
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('shadowscale')
    .description('Predict capacity contention on AWS and act before it lands.')
    .version(VERSION, '-v, --version', 'print the version')
    .addOption(new Option('--debug', 'print stack traces on errors'))
    // Root options only before the command, so a command may have its own --version (the
    // version a pipeline deploys) instead of printing Shadowscale's.
    .enablePositionalOptions()
    .configureOutput(output(io))
    .exitOverride();
  registerValidate(program, io);
  registerWorkloads(program, io);
  registerSignals(program, io);
  registerOps(program, io);
  registerBenchForecast(program, io);
  registerBenchFailover(program, io);
  registerBenchCost(program, io);
  registerBacktest(program, io);
  registerBenchAnomaly(program, io);
  registerForecast(program, io);
  registerForecaster(program, io);
  registerLocal(program, io);
  registerMigrate(program, io);
  registerBuilds(program, io);

  registerPipeline(program, io);
  // Every subcommand reports usage errors the same way as the root.
  for (const command of program.commands) {
    command.exitOverride().configureOutput(output(io));
    // --debug stays accepted anywhere after the command (main reads it from argv).
    if (!command.options.some((o) => o.long === '--debug'))
      command.addOption(new Option('--debug', 'print stack traces on errors').hideHelp());
  }
  return program;
}

/** Run the CLI; resolves to the process exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const program = buildProgram(io);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    return report(error, io, debug);
  }
}

function report(error: unknown, io: CliIO, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander's exitOverride; they already printed.
    if (error.exitCode === 0) return EXIT_OK;
    return EXIT_USAGE;
  }
  if (error instanceof CliExit) {
    io.err(`shadowscale: ${error.message}\n`);
    return error.code;
  }
  const message = error instanceof Error ? error.message : String(error);
  const oneLine = message.split('\n')[0] ?? message;
  // A file that cannot be read as a series is bad input, like a bad flag: one line, exit 2.
  if (error instanceof ValidationError || error instanceof ForecastInputError) {
    io.err(`shadowscale: ${oneLine}\n`);
    if (debug && error.stack) io.err(`${error.stack}\n`);
    return EXIT_USAGE;
  }
  const label = error instanceof ShadowscaleError ? `${error.name}: ` : '';
  io.err(`shadowscale: ${label}${oneLine}\n`);
  if (debug && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  else io.err('(run with --debug for the stack trace)\n');
  return EXIT_FAILURE;
}
