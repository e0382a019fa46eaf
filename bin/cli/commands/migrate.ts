import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { executionInput, localStateMachine, type ShadowPoolKind } from '../../../functions/migration/local';
import { ManualClock } from '../../../shared/clock';
import { ValidationError } from '../../../shared/errors';
import { MigrationInput } from '../../../shared/migration/input';
import {
  AslRunner,
  type JSONValue,
  type RunnerTime,
  runToEnd,
  wallTime,
} from '../../../shared/sim/asl-runner';
import { parseOrThrow } from '../../../shared/validation';
import { CliExit, type CliIO } from '../context';
import { parseNonNegativeInt, parsePositiveInt, parseSteps } from '../options';

/** Environment variables naming the deployed state machines (set from the stack outputs). */
export const STATE_MACHINE_ENV: Record<ShadowPoolKind, string> = {
  migration: 'SHADOWSCALE_MIGRATION_STATE_MACHINE_ARN',
  return: 'SHADOWSCALE_RETURN_STATE_MACHINE_ARN',
};

interface CommonOptions {
  workload: string;
  local?: boolean;
  stateMachineArn?: string;
  name?: string;
  operationId?: string;
  reason?: string;
  pollSeconds?: number;
  skipWaits?: boolean;
  json?: boolean;
}

interface MigrateOptions extends CommonOptions {
  steps?: number[];
  preset?: 'default' | 'linear';
  stepCount?: number;
  bake?: number;
  shadowUnits?: number;
}

interface ReturnOptions extends CommonOptions {
  steps?: number[];
  bake?: number;
  force?: boolean;
}

function parseExecutionName(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(value)) {
    throw new InvalidArgumentError(
      'expected 1-80 chars of letters, digits, _ and - (a Step Functions execution name).',
    );
  }
  return value;
}

function parseStateMachineArn(value: string): string {
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(value)) {
    throw new InvalidArgumentError(
      'expected a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>).',
    );
  }
  return value;
}

function common(command: Command): Command {
  return command
    .requiredOption('--workload <id>', 'workload id (as registered)')
    .option('--local', 'run the ASL file in-process (aws-local-stepfunctions) with the real task handlers')
    .option(
      '--state-machine-arn <arn>',
      'deployed state machine (default: from the environment)',
      parseStateMachineArn,
    )
    .option('--name <name>', 'execution name (default: <kind>-<workload>-<time>)', parseExecutionName)
    .option('--operation-id <id>', 'resume this operation (a rerun of an interrupted execution)')
    .option('--reason <text>', 'why, recorded on the operation and the events')
    .option(
      '--poll-seconds <n>',
      'seconds between status polls of a deployed execution (default 5)',
      parsePositiveInt,
    )
    .option(
      '--skip-waits',
      'with --local: do not sleep in Wait states (bake, polls); for demos against fakes only',
    )
    .option('--json', 'print the final output as JSON');
}

export function registerMigrate(program: Command, io: CliIO): void {
  common(
    program
      .command('migrate')
      .description('move a workload onto a shadow pool in gated, verified steps (shadow-pool-migration)'),
  )
    .option('--steps <list>', 'traffic steps in percent on the shadow pool, e.g. 10,25,50,100', parseSteps)
    .addOption(new Option('--preset <name>', 'step preset instead of --steps').choices(['default', 'linear']))
    .option('--step-count <n>', 'steps of the linear preset (default 4)', parsePositiveInt)
    .option(
      '--bake <seconds>',
      'bake time after each step (default: the workload definition)',
      parseNonNegativeInt,
    )
    .option(
      '--shadow-units <n>',
      'size the shadow pool by hand instead of from the forecast',
      parseNonNegativeInt,
    )
    .action(async (opts: MigrateOptions) => {
      const input = executionInput({
        workloadId: opts.workload,
        operationId: opts.operationId,
        steps: opts.steps,
        preset: opts.preset,
        stepCount: opts.stepCount,
        bakeSeconds: opts.bake,
        shadowUnits: opts.shadowUnits,
        reason: opts.reason,
        trigger: 'cli',
      });
      await execute('migration', input, opts, io);
    });

  common(
    program
      .command('return')
      .description(
        'move traffic home from the shadow pool in gated steps, then decommission it (shadow-pool-return)',
      ),
  )
    .option('--steps <list>', 'traffic steps in percent back on the primary, e.g. 25,50,100', parseSteps)
    .option(
      '--bake <seconds>',
      'bake time after each step (default: the workload definition)',
      parseNonNegativeInt,
    )
    .option('--force', 'do not wait for contention to have cleared for the configured window')
    .action(async (opts: ReturnOptions) => {
      const input = executionInput({
        workloadId: opts.workload,
        operationId: opts.operationId,
        steps: opts.steps,
        bakeSeconds: opts.bake,
        force: opts.force,
        reason: opts.reason,
        trigger: 'cli',
      });
      await execute('return', input, opts, io);
    });
}

async function execute(kind: ShadowPoolKind, input: Record<string, unknown>, opts: CommonOptions, io: CliIO) {
  // The same check the first state makes, so a typo exits 2 here before anything starts.
  parseOrThrow(MigrationInput, input, '--workload/--steps input');
  const name = opts.name ?? `${kind}-${opts.workload}-${Date.now()}`.slice(0, 80);
  const outcome = opts.local
    ? await runLocal(kind, input, name, opts, io)
    : await runDeployed(kind, input, name, opts, io);
  if (opts.json) io.out(`${JSON.stringify(outcome)}\n`);
  if (outcome.status !== 'SUCCEEDED') {
    throw new CliExit(
      1,
      `${kind} ${name} ${outcome.status}: ${outcome.error ?? ''}${outcome.cause ? `: ${outcome.cause}` : ''}`,
    );
  }
  io.out(`${kind} ${name} SUCCEEDED\n`);
}

interface Outcome {
  status: string;
  error?: string;
  cause?: string;
  output?: unknown;
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

/** The ASL file in-process, real handlers, ports from the SDK configuration (AWS or AWS_ENDPOINT_URL). */
async function runLocal(
  kind: ShadowPoolKind,
  input: Record<string, unknown>,
  name: string,
  opts: CommonOptions,
  io: CliIO,
): Promise<Outcome> {
  const { definition, handlers } = localStateMachine(kind);
  // --skip-waits: a virtual clock that jumps to the next instant anything waits for.
  const clock = new ManualClock(Date.now());
  const time: RunnerTime = opts.skipWaits
    ? { now: () => clock.now(), advanceTo: (ms) => clock.set(ms) }
    : wallTime;
  const runner = new AslRunner(time);
  io.err(`${stamp()} started ${kind} ${name} (local)\n`);
  const execution = runner.start({
    name,
    definition,
    handlers,
    input: input as JSONValue,
    onEvent: (event) => {
      if (event.type === 'state-entered') io.err(`${stamp()} > ${event.state}\n`);
      else if (event.type === 'state-retried')
        io.err(`${stamp()}   retry ${event.state} (attempt ${event.attempt})\n`);
      else if (event.type === 'state-failed')
        io.err(`${stamp()}   ${event.state} failed: ${event.error}: ${event.cause}\n`);
      else if (event.type === 'state-caught') io.err(`${stamp()}   caught in ${event.state}\n`);
    },
  });
  const outcome = await runToEnd(
    runner,
    execution,
    opts.skipWaits ? undefined : (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  );
  return outcome.status === 'succeeded'
    ? { status: 'SUCCEEDED', output: outcome.output }
    : { status: 'FAILED', error: outcome.error, cause: outcome.cause };
}

/** StartExecution, then follow it (DescribeExecution + GetExecutionHistory) until it ends. */
async function runDeployed(
  kind: ShadowPoolKind,
  input: Record<string, unknown>,
  name: string,
  opts: CommonOptions,
  io: CliIO,
): Promise<Outcome> {
  const arn = opts.stateMachineArn ?? process.env[STATE_MACHINE_ENV[kind]];
  if (!arn) {
    throw new ValidationError(
      `--state-machine-arn is missing: pass it or set ${STATE_MACHINE_ENV[kind]} (or use --local)`,
      [{ path: '--state-machine-arn', message: 'missing' }],
    );
  }
  parseStateMachineArn(arn);
  const sfn = new SFNClient({});
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }),
    );
    const executionArn = started.executionArn as string;
    io.err(`${stamp()} started ${executionArn}\n`);
    return await follow(sfn, executionArn, (opts.pollSeconds ?? 5) * 1000, io);
  } finally {
    sfn.destroy();
  }
}

/** Prints each state as the history reports it; progress is a plain line per state (a TTY adds a counter). */
export async function follow(
  sfn: Pick<SFNClient, 'send'>,
  executionArn: string,
  pollMs: number,
  io: CliIO,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Outcome> {
  let seen = 0;
  let transitions = 0;
  for (;;) {
    // Status first, then history: when it reports the end, the history already holds every state.
    const status: DescribeExecutionCommandOutput = await sfn.send(
      new DescribeExecutionCommand({ executionArn }),
    );
    const events: HistoryEvent[] = [];
    let next: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken: next }),
      );
      events.push(...(page.events ?? []));
      next = page.nextToken;
    } while (next);
    for (const event of events.slice(seen)) {
      if (event.type?.endsWith('StateEntered')) {
        transitions++;
        const counter = io.isTTY ? ` [${transitions}]` : '';
        io.err(`${stamp()} > ${event.stateEnteredEventDetails?.name}${counter}\n`);
      } else if (event.type === 'TaskFailed' || event.type === 'LambdaFunctionFailed') {
        const d = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
        io.err(`${stamp()}   failed: ${d?.error}: ${d?.cause?.slice(0, 300) ?? ''}\n`);
      }
    }
    seen = events.length;
    if (status.status && status.status !== 'RUNNING' && status.status !== 'PENDING_REDRIVE') {
      return {
        status: status.status,
        ...(status.error ? { error: status.error } : {}),
        ...(status.cause ? { cause: status.cause } : {}),
        ...(status.output ? { output: JSON.parse(status.output) as unknown } : {}),
      };
    }
    await sleep(pollMs);
  }
}
