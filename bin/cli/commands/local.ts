import { type Command, Option } from 'commander';
import { type LocalOptions, parseLocalOptions } from '../../local/options';
import { runLocal } from '../../local/run';
import { runDeployUnderLoadScenario } from '../../local/scenarios/deploy-under-load-cli';
import { runRegionOutageScenario } from '../../local/scenarios/region-outage-cli';
import { CliExit, type CliIO } from '../context';
import { parseDuration, parseNonNegativeInt, parsePositiveInt, parsePositiveNumber } from '../options';

interface LocalFlags {
  trace?: string;
  days?: number;
  warmupDays?: number;
  speed?: string;
  injectFailure?: 'gate' | 'provision' | 'tests';
  incident?: boolean;
  report?: string;
  keepDb?: string;
  port?: number;
  primaryMax?: number;
  verbose?: boolean;
  quiet?: boolean;
  scenario?: 'default' | 'region-outage' | 'deploy-under-load';
  outageAt?: number;
  outageFor?: number;
  compute?: 'ecs' | 'eks';
}

/** The flags of the default run: the trace, its length and speed, failures to inject, the store, the output. */
function withRunOptions(command: Command): Command {
  return command
    .option('--trace <file>', 'timestamp,value CSV of demand to replay (default: NYC taxi, NAB)')
    .option('--days <n>', 'simulated days with Shadowscale in the loop (default 1)', parsePositiveNumber)
    .option(
      '--warmup-days <n>',
      'simulated days of history first, reactive only (default 14)',
      parsePositiveNumber,
    )
    .option('--speed <x>', 'simulated seconds per wall second, or "max" (default max)')
    .addOption(
      new Option(
        '--inject-failure <kind>',
        'make the shadow pool fail to show a rollback (gate, provision), or the integration tests fail (tests: deploy-under-load)',
      ).choices(['gate', 'provision', 'tests']),
    )
    .option(
      '--no-incident',
      'replay the trace as recorded: without the labelled incident injected 13 h into the first replayed day (demand at 30 % for 45 min), which the anomaly detector and the Anomaly Detected rule answer',
    )
    .option('--report <file>', 'HTML report path (default reports/local-run.html)')
    .option('--keep-db <dir>', 'persist the local DynamoDB store in this directory between runs')
    .option('--port <n>', 'loopback port for the local DynamoDB (default: a free one)', parseNonNegativeInt)
    .option('--primary-max <n>', 'primary pool maximum of the demo workload (default 14)', parsePositiveInt)
    .option('--verbose', 'print every forecast, not one per simulated hour')
    .option('--quiet', 'print only the summary');
}

/** The flags choosing a scenario and its settings: the outage's time and length, the compute kind. */
function withScenarioOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--scenario <name>',
        'region-outage: the home region fails; detection, standby warm-up, DNS steps, failback (--inject-failure provision: a standby that never becomes healthy). deploy-under-load: a new version is deployed while the primary is predicted contended; the branch decision, the shadow environment, the test gate and the traffic steps (--inject-failure tests: the tests fail and the branch is discarded)',
      ).choices(['default', 'region-outage', 'deploy-under-load']),
    )
    .option(
      '--outage-at <duration>',
      'region-outage: when the home region fails, from the trace start (default 30h)',
      parseDuration,
    )
    .option('--outage-for <duration>', 'region-outage: how long it stays down (default 1h)', parseDuration)
    .addOption(
      new Option(
        '--compute <kind>',
        'deploy-under-load: the demo runs as an ECS service (default) or an EKS nodegroup with its Deployment (versions are then images)',
      ).choices(['ecs', 'eks']),
    );
}

/**
 * Runs the local loop until it ends or SIGINT/SIGTERM aborts it (exit 130), removing its signal
 * handlers either way.
 */
async function runLocalUntilSignal(options: LocalOptions, io: CliIO): Promise<void> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runLocal(options, io, controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (controller.signal.aborted) throw new CliExit(130, 'interrupted');
}

/** `shadowscale local`: runs the chosen scenario, refusing flags that belong to another one. */
async function runLocalCommand({ incident, ...flags }: LocalFlags, io: CliIO): Promise<void> {
  if (flags.scenario === 'deploy-under-load') {
    await runDeployUnderLoadScenario(flags, io);
    return;
  }
  if (flags.compute !== undefined) {
    throw new CliExit(2, '--compute: only with --scenario deploy-under-load');
  }
  const injectFailure = flags.injectFailure;
  if (injectFailure === 'tests') {
    throw new CliExit(2, '--inject-failure tests: only with --scenario deploy-under-load');
  }
  if (flags.scenario === 'region-outage') {
    await runRegionOutageScenario({ ...flags, injectFailure }, io);
    return;
  }
  const speed = flags.speed === undefined || flags.speed === 'max' ? flags.speed : parseSpeed(flags.speed);
  const options = parseLocalOptions({
    ...flags,
    injectFailure,
    speed,
    ...(incident === undefined ? {} : { incident }),
  });
  await runLocalUntilSignal(options, io);
}

export function registerLocal(program: Command, io: CliIO): void {
  const command = program
    .command('local')
    .description(
      'run the whole loop on this machine (no AWS account): local DynamoDB, the real forecaster, pre-warm and shadow-pool state machines over a simulated fleet replaying a real trace',
    );
  withScenarioOptions(withRunOptions(command)).action((flags: LocalFlags) => runLocalCommand(flags, io));
}

function parseSpeed(value: string): number {
  try {
    return parsePositiveNumber(value);
  } catch {
    throw new CliExit(2, `--speed ${value}: expected "max" or a number > 0 (simulated seconds per second)`);
  }
}
