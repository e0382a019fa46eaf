import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ManualClock, systemClock } from '../../../shared/clock';
import { NotFoundError, ValidationError } from '../../../shared/errors';
import type { StageForecast } from '../../../shared/pipeline/forecast';
import {
  deploymentOperationId,
  PipelineBranchInput,
  StageName,
  Version,
} from '../../../shared/pipeline/input';
import { latestForecasts, predictFromStore } from '../../../shared/pipeline/tasks';
import { WorkloadId } from '../../../shared/schemas/common';
import type { Prediction } from '../../../shared/schemas/series';
import type { Workload } from '../../../shared/schemas/workload';
import type { SimWorkloadOptions } from '../../../shared/sim/fleet';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import type { SimTestBehaviour } from '../../../shared/sim/test-runner';
import { parseOrThrow } from '../../../shared/validation';
import { runDeploymentLocally } from '../../local/deploy';
import { CliExit, type CliIO } from '../context';
import { parseChoice, parseNonNegativeInt, parsePositiveInt } from '../options';
import { follow } from './migrate';
import { type TableOptions, withRepositories, withTableOptions } from './workloads';

/** Environment variable naming the deployed pipeline-branch state machine (a stack output). */
export const PIPELINE_STATE_MACHINE_ENV = 'SHADOWSCALE_PIPELINE_STATE_MACHINE_ARN';

function zodArg<T>(schema: {
  safeParse(
    v: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
}) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(`${parsed.error.issues[0]?.message ?? 'invalid'}.`);
    return parsed.data;
  };
}

interface PredictOptions extends TableOptions {
  workload: string;
  stage: string;
  deploySeconds?: number;
  bakeSeconds?: number;
  mode?: 'auto' | 'branch' | 'primary';
  json?: boolean;
}

/** One line of the decision, then the deficit of each critical metric. */
export function formatStageForecast(f: StageForecast): string {
  const lines = [
    `${f.workloadId} / ${f.stage}: ${f.branch ? 'BRANCH' : 'primary'} (score ${f.score.toFixed(3)})`,
    `  ${f.reason}`,
    `  window ${new Date(f.windowStartMs).toISOString()} .. ${new Date(f.windowEndMs).toISOString()}${f.inFlightUnits > 0 ? `, ${f.inFlightUnits} units held by other deployments` : ''}`,
    ...f.deficits.map(
      (d) =>
        `  ${d.metric}: peak ${Math.round(d.peakDemand)} / capacity ${Math.round(d.capacity)} -> deficit ${(d.deficit * 100).toFixed(1)}%`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerPipeline(program: Command, io: CliIO): void {
  const pipeline = program
    .command('pipeline')
    .description('Deploy-time branching: the contention a pipeline stage would deploy into');
  registerPredict(pipeline, io);
  registerBranch(pipeline, io);
}

/** `pipeline predict`: the stage's contention score and the branch decision, from the store. */
function registerPredict(pipeline: Command, io: CliIO): void {
  withTableOptions(
    pipeline
      .command('predict')
      .description(
        "Score a stage's target environment over the deployment window (deploy + bake) from the stored forecasts and in-flight deployments, and say whether pipeline-branch would branch",
      )
      .requiredOption('--workload <id>', 'registered workload id', zodArg(WorkloadId))
      .requiredOption('--stage <name>', 'pipeline stage name', zodArg(StageName))
      .addOption(
        new Option(
          '--deploy-seconds <n>',
          "deployment duration (default: the workload's deployment.deploySeconds)",
        ).argParser(parsePositiveInt),
      )
      .addOption(
        new Option(
          '--bake-seconds <n>',
          "bake after the deployment (default: the workload's deployment.bakeSeconds)",
        ).argParser(parseNonNegativeInt),
      )
      .addOption(
        new Option(
          '--mode <mode>',
          'auto, or force branch / primary (as the execution input does)',
        ).argParser(parseChoice(['auto', 'branch', 'primary'] as const)),
      )
      .option('--json', 'print the forecast as JSON'),
  ).action((opts: PredictOptions) => predictStage(opts, io));
}

async function predictStage(opts: PredictOptions, io: CliIO): Promise<void> {
  const forecast = await withRepositories(opts, (repositories) =>
    predictFromStore(
      { repositories, clock: systemClock },
      {
        workloadId: opts.workload,
        stage: opts.stage,
        // Not a real deployment: no operation of its own to leave out of the in-flight ones.
        operationId: deploymentOperationId({
          workloadId: opts.workload,
          stage: opts.stage,
          version: 'predict',
        }),
        mode: opts.mode ?? 'auto',
        ...(opts.deploySeconds !== undefined ? { deploySeconds: opts.deploySeconds } : {}),
        ...(opts.bakeSeconds !== undefined ? { bakeSeconds: opts.bakeSeconds } : {}),
      },
    ),
  );
  io.out(opts.json ? `${JSON.stringify(forecast)}\n` : formatStageForecast(forecast));
}

/** `pipeline branch`: the pipeline-branch state machine, deployed or in-process over a simulated fleet. */
function registerBranch(pipeline: Command, io: CliIO): void {
  withTableOptions(
    pipeline
      .command('branch')
      .description(
        'Deploy a version to a stage through the pipeline-branch state machine: predict, then branch to a shadow environment (tests, gated traffic steps, merge or discard) or deploy to the primary. Without --local: StartExecution of the deployed state machine, followed until it ends',
      )
      .requiredOption('--workload <id>', 'registered workload id', zodArg(WorkloadId))
      .requiredOption(
        '--version <version>',
        'task definition ARN, family:revision, or image URI with a tag or digest (EKS workloads: an image)',
        zodArg(Version),
      )
      .requiredOption('--stage <name>', 'pipeline stage name', zodArg(StageName))
      .addOption(
        new Option('--mode <mode>', 'auto, or force branch / primary').argParser(
          parseChoice(['auto', 'branch', 'primary'] as const),
        ),
      )
      .addOption(
        new Option('--attempt <n>', 'a new attempt after a discard (default 1)').argParser(parsePositiveInt),
      )
      .option(
        '--local',
        'run the ASL file in-process (aws-local-stepfunctions) with the real task handlers over a simulated fleet of the workload: its stored definition and latest forecasts, demand following the forecast, from the time that forecast starts; nothing is written to the store',
      )
      .addOption(
        new Option(
          '--tests <outcome>',
          "with --local: the simulated test runner's answer (pass, fail, or silent: never answers)",
        ).argParser(parseChoice(['pass', 'fail', 'silent'] as const)),
      )
      .option(
        '--state-machine-arn <arn>',
        `deployed state machine (default: $${PIPELINE_STATE_MACHINE_ENV})`,
        parseStateMachineArn,
      )
      .option(
        '--poll-seconds <n>',
        'seconds between status polls of a deployed execution (default 5)',
        parsePositiveInt,
      )
      .option('--json', 'print the final outcome as JSON'),
  ).action((opts: BranchOptions) => branchStage(opts, io));
}

async function branchStage(opts: BranchOptions, io: CliIO): Promise<void> {
  const input = parseOrThrow(
    PipelineBranchInput,
    {
      workloadId: opts.workload,
      version: opts.version,
      stage: opts.stage,
      trigger: 'cli',
      ...(opts.mode ? { mode: opts.mode } : {}),
      ...(opts.attempt !== undefined ? { attempt: opts.attempt } : {}),
    },
    '--workload/--version/--stage',
  );
  if (opts.tests && !opts.local)
    throw new ValidationError("--tests: only with --local (a deployed run uses the workload's test runner)", [
      { path: '--tests', message: 'only with --local', received: opts.tests },
    ]);
  const outcome = opts.local ? await branchLocally(input, opts, io) : await branchDeployed(input, opts, io);
  if (opts.json) io.out(`${JSON.stringify(outcome)}\n`);
  if (outcome.status !== 'SUCCEEDED') {
    const line = `pipeline-branch ${outcome.status}: ${outcome.error ?? ''}${outcome.cause ? `: ${outcome.cause}` : ''}`;
    // Input the first state refused (an unknown workload, a version its compute cannot run) is bad input, like a bad flag.
    throw new CliExit(outcome.error === 'ValidationError' ? 2 : 1, line.split('\n')[0] ?? line);
  }
  io.out(`pipeline-branch SUCCEEDED: ${summary(outcome.output)}\n`);
}

interface BranchOptions extends TableOptions {
  workload: string;
  version: string;
  stage: string;
  mode?: 'auto' | 'branch' | 'primary';
  attempt?: number;
  local?: boolean;
  tests?: 'pass' | 'fail' | 'silent';
  stateMachineArn?: string;
  pollSeconds?: number;
  json?: boolean;
}

interface Outcome {
  status: string;
  error?: string;
  cause?: string;
  output?: unknown;
}

/** The final state's `result` (FinishMerged / FinishPrimary), or what a rerun of a finished deployment says. */
function summary(output: unknown): string {
  const result = (
    output as { result?: { outcome?: unknown; version?: unknown; stage?: unknown } } | undefined
  )?.result;
  if (!result) return 'already deployed (a rerun of a finished deployment)';
  return `${String(result.outcome)} ${String(result.version)} to ${String(result.stage)}`;
}

function parseStateMachineArn(value: string): string {
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(value)) {
    throw new InvalidArgumentError(
      'expected a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>).',
    );
  }
  return value;
}

function executionName(input: PipelineBranchInput): string {
  return `deploy-${input.workloadId}-${input.stage}-${Date.now()}`
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 80);
}

/** StartExecution of the deployed state machine, followed until it ends. */
async function branchDeployed(input: PipelineBranchInput, opts: BranchOptions, io: CliIO): Promise<Outcome> {
  const arn = opts.stateMachineArn ?? process.env[PIPELINE_STATE_MACHINE_ENV];
  if (!arn)
    throw new ValidationError(
      `--state-machine-arn is missing: pass it or set ${PIPELINE_STATE_MACHINE_ENV} (or use --local)`,
      [{ path: '--state-machine-arn', message: 'missing' }],
    );
  try {
    parseStateMachineArn(arn);
  } catch {
    throw new ValidationError(`${PIPELINE_STATE_MACHINE_ENV} = "${arn}": not a state machine ARN`, [
      { path: PIPELINE_STATE_MACHINE_ENV, message: 'not a state machine ARN', received: arn },
    ]);
  }
  const sfn = new SFNClient({});
  try {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arn,
        name: executionName(input),
        input: JSON.stringify(input),
      }),
    );
    const executionArn = started.executionArn as string;
    io.err(`started ${executionArn}\n`);
    return await follow(sfn, executionArn, (opts.pollSeconds ?? 5) * 1000, io);
  } finally {
    sfn.destroy();
  }
}

/** The state machine in-process over a simulated fleet built from the stored workload and forecasts. */
async function branchLocally(input: PipelineBranchInput, opts: BranchOptions, io: CliIO): Promise<Outcome> {
  const { workload, forecasts } = await withRepositories(opts, async (repos) => {
    const record = await repos.workloads.get(input.workloadId);
    if (!record) throw new NotFoundError(`workload "${input.workloadId}" is not registered`);
    return {
      workload: record.workload,
      forecasts: await latestForecasts({ repositories: repos }, record.workload),
    };
  });
  const demand = demandForecast(workload, forecasts);
  const clock = new ManualClock(demand.startMs);
  const repositories = makeMemoryRepositories({ clock });
  await repositories.workloads.create(workload);
  for (const f of forecasts) await repositories.predictions.putPrediction(f);
  const stamp = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  io.err(`simulated from ${new Date(demand.startMs).toISOString()} (the latest forecast's start)\n`);
  const run = await runDeploymentLocally({
    workload,
    sim: simulatedWorkload(workload, demand),
    clock,
    repositories,
    input,
    primaryVersion: 'previous:1',
    tests: testBehaviour(opts.tests ?? 'pass'),
    onProgress: (at, line) => io.err(`${stamp(at)}   ${line}\n`),
    onState: (at, state) => io.err(`${stamp(at)} > ${state}\n`),
  });
  return run.outcome.status === 'succeeded'
    ? { status: 'SUCCEEDED', output: run.outcome.output }
    : { status: 'FAILED', error: run.outcome.error, cause: run.outcome.cause };
}

export function testBehaviour(outcome: 'pass' | 'fail' | 'silent'): SimTestBehaviour {
  return outcome === 'silent'
    ? { outcome, durationSeconds: 0, heartbeatEverySeconds: 60 }
    : { outcome, durationSeconds: 600, heartbeatEverySeconds: 60 };
}

/** The forecast of the workload's first critical metric: the demand the simulated fleet replays. */
function demandForecast(workload: Workload, forecasts: readonly Prediction[]): Prediction {
  const critical = workload.metrics.find((m) => m.critical) ?? workload.metrics[0];
  const forecast = forecasts.find((f) => f.metric === critical?.name);
  if (!forecast)
    throw new NotFoundError(
      `workload "${workload.workloadId}" has no stored forecast of ${critical?.name ?? 'any metric'}: run the forecaster first`,
    );
  return forecast;
}

/**
 * The workload's pools as the simulator runs them: demand is the forecast's point path, held at
 * its last value for six hours after it ends (tests and traffic steps outlast a short horizon).
 */
function simulatedWorkload(workload: Workload, forecast: Prediction): SimWorkloadOptions {
  const metric = workload.metrics.find((m) => m.name === forecast.metric);
  if (!metric) throw new NotFoundError(`metric ${forecast.metric} is not in the workload definition`);
  const hold = Math.ceil((6 * 3_600_000) / forecast.intervalMs);
  const last = forecast.point.at(-1) ?? 0;
  const values = Float64Array.from([...forecast.point, ...Array.from({ length: hold }, () => last)]);
  const { capacity } = workload;
  const perUnit = metric.capacityPerUnit * capacity.targetUtilization;
  const initialUnits = Math.min(
    capacity.maxUnits,
    Math.max(capacity.minUnits, Math.ceil((forecast.point[0] ?? 0) / perUnit)),
  );
  return {
    workloadId: workload.workloadId,
    trace: {
      name: `forecast of ${forecast.metric}`,
      startMs: forecast.startMs,
      intervalMs: forecast.intervalMs,
      values,
    },
    unitCapacity: metric.capacityPerUnit,
    targetUtilization: capacity.targetUtilization,
    lagMs: capacity.provisioningLagSeconds * 1000,
    primary: { maxUnits: capacity.maxUnits, minUnits: capacity.minUnits, initialUnits },
    shadow: { maxUnits: capacity.shadowMaxUnits },
    workload,
  };
}
