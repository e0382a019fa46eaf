import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { ManualClock } from '../../../shared/clock';
import { Workload } from '../../../shared/schemas/workload';
import { simPorts } from '../../../shared/sim/adapters';
import { SimFleet } from '../../../shared/sim/fleet';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { runCli } from '../../helpers/cli';
import { workloadInput } from '../../helpers/fixtures';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:shadow-pool-migration';

const run = runCli;

beforeEach(() => {
  sfn.reset();
  delete process.env.SHADOWSCALE_MIGRATION_STATE_MACHINE_ARN;
});
afterEach(() => resetRuntime());

describe('shadowscale migrate / return: flags', () => {
  it.each(['migrate', 'return'])('%s --help', async (command) => {
    const { code, out } = await run(command, '--help');
    expect(code).toBe(0);
    expect(out).toContain('--workload <id>');
    expect(out).toContain('--local');
  });

  it.each<[string[], RegExp]>([
    [['migrate', '--workload', 'checkout-api', '--steps', '10,50'], /--steps.*10,50.*last step must be 100/],
    [['migrate', '--workload', 'checkout-api', '--preset', 'fast'], /--preset.*fast/],
    [['migrate', '--workload', 'Checkout API'], /`workloadId` = "Checkout API"/],
    [['migrate', '--workload', 'checkout-api', '--state-machine-arn', 'nope'], /--state-machine-arn.*nope/],
    [
      ['migrate', '--workload', 'checkout-api'],
      /--state-machine-arn is missing: pass it or set SHADOWSCALE_MIGRATION_STATE_MACHINE_ARN/,
    ],
    [['return', '--workload', 'checkout-api', '--bake', '-1'], /--bake/],
  ])('bad flags exit 2 with one line naming the flag and value: %p', async (args, message) => {
    const { code, err } = await run(...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('shadowscale migrate against the deployed state machine', () => {
  it('starts the execution with the input and follows it to the end, printing each state', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${ARN}:run-1`.replace('stateMachine', 'execution') });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' })
      .resolves({ status: 'SUCCEEDED', output: '{"result":{"status":"succeeded"}}' });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          {
            id: 1,
            type: 'TaskStateEntered',
            timestamp: new Date(),
            stateEnteredEventDetails: { name: 'Validate' },
          },
        ],
      })
      .resolves({
        events: [
          {
            id: 1,
            type: 'TaskStateEntered',
            timestamp: new Date(),
            stateEnteredEventDetails: { name: 'Validate' },
          },
          {
            id: 2,
            type: 'TaskStateEntered',
            timestamp: new Date(),
            stateEnteredEventDetails: { name: 'AcquireLease' },
          },
          {
            id: 3,
            type: 'SucceedStateEntered',
            timestamp: new Date(),
            stateEnteredEventDetails: { name: 'MigrationSucceeded' },
          },
        ],
      });
    const { code, out, err } = await run(
      'migrate',
      '--workload',
      'checkout-api',
      '--steps',
      '25,100',
      '--state-machine-arn',
      ARN,
      '--name',
      'run-1',
      '--poll-seconds',
      '1',
    );
    expect(code).toBe(0);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '')).toEqual({
      workloadId: 'checkout-api',
      steps: [25, 100],
      trigger: 'cli',
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toMatchObject({
      stateMachineArn: ARN,
      name: 'run-1',
    });
    expect(err.match(/> \w+/g)).toEqual(['> Validate', '> AcquireLease', '> MigrationSucceeded']);
    expect(out).toContain('migration run-1 SUCCEEDED');
  });

  it('exits 1 with the failure when the execution rolls back', async () => {
    process.env.SHADOWSCALE_MIGRATION_STATE_MACHINE_ARN = ARN;
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:y' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'FAILED',
      error: 'MigrationRolledBack',
      cause: 'GateFailedError: gate at 50% failed',
    });
    const { code, err } = await run('migrate', '--workload', 'checkout-api');
    expect(code).toBe(1);
    expect(err).toMatch(/FAILED: MigrationRolledBack: GateFailedError: gate at 50% failed/);
  });
});

describe('shadowscale migrate --local', () => {
  it('runs the ASL file in-process with the real handlers, printing each state', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23));
    const workload = Workload.parse(workloadInput());
    const fleet = new SimFleet({
      clock,
      workloads: [
        {
          workloadId: 'checkout-api',
          trace: {
            name: 'flat',
            startMs: clock.now(),
            intervalMs: 60_000,
            values: new Float64Array(60).fill(100),
          },
          unitCapacity: 100,
          lagMs: 0,
          primary: { maxUnits: 20, initialUnits: 4 },
          shadow: { maxUnits: 10 },
          workload,
        },
      ],
    });
    const repositories = makeMemoryRepositories({ clock });
    await repositories.workloads.create(workload);
    const ports = simPorts(fleet);
    setRuntime({
      clock,
      repositories,
      events: new MemoryEventPublisher(),
      // Waits are skipped, so the simulated clock only moves when the pool is polled.
      compute: {
        describe: async (w, role) => {
          fleet.advanceTo(fleet.now() + 1_000);
          return ports.compute.describe(w, role);
        },
        scale: (w, role, n) => ports.compute.scale(w, role, n),
        setFloor: (w, role, n) => ports.compute.setFloor(w, role, n),
        ensureShadow: (w, spec) => ports.compute.ensureShadow(w, spec),
        deleteShadow: (w) => ports.compute.deleteShadow(w),
      },
      traffic: ports.traffic,
      // Nor do simulated metrics accrue: a healthy reading stands in.
      health: {
        read: async () => ({
          kind: 'data',
          sample: { requestCount: 100, errors5xx: 0, p99LatencyMs: 50, unhealthyHosts: 0, healthyHosts: 2 },
        }),
      },
    });
    const { code, err, out } = await run(
      'migrate',
      '--workload',
      'checkout-api',
      '--local',
      '--skip-waits',
      '--shadow-units',
      '2',
      '--preset',
      'linear',
      '--step-count',
      '2',
      '--name',
      'local-1',
    );
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    expect(err).toContain('> Validate');
    expect(err.match(/> Shift/g)).toHaveLength(2);
    expect(out).toContain('migration local-1 SUCCEEDED');
    expect(fleet.getWeights('checkout-api')).toEqual({ primary: 0, shadow: 100 });
    expect((await repositories.operations.get('local-1'))?.status).toBe('succeeded');
  });
});
