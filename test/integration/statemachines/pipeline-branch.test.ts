import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TaskFn } from '../../../functions/migration/core';
import { localPipelineStateMachine, localTestGate } from '../../../functions/pipeline/local';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { ManualClock } from '../../../shared/clock';
import { deploymentOperationId } from '../../../shared/pipeline/input';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { simPorts } from '../../../shared/sim/adapters';
import {
  AslRunner as CoSimulation,
  type ExecutionLogEvent,
  type ExecutionOutcome,
  type TaskHandler,
} from '../../../shared/sim/asl-runner';
import { SimFleet } from '../../../shared/sim/fleet';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { type MemoryRepositories, makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { type SimTestBehaviour, SimTestRunner } from '../../../shared/sim/test-runner';
import { workloadInput } from '../../helpers/fixtures';

/**
 * pipeline-branch.asl.json run by aws-local-stepfunctions with the real task functions over the
 * simulated fleet, in-memory repositories and a simulated test runner. The interpreter has no task
 * tokens, so the `.waitForTaskToken` test gate is overridden by `localTestGate` (functions/pipeline/
 * local.ts): it mints the token, calls the real StartTests task, and waits in simulated time for
 * the runner's SendTaskSuccess / SendTaskFailure / heartbeats, failing with States.Timeout or
 * States.HeartbeatTimeout as Step Functions would.
 */
const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MINUTE = 60_000;
const ID = 'checkout-api';
const V41 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:41';
const V42 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:42';
const INPUT = { workloadId: ID, version: V42, stage: 'prod' };
const OP = deploymentOperationId(INPUT);
// requests capacity: 20 units x 6000 x 0.7 = 84 000 per 5 minutes.
const CAP = 84_000;

interface World {
  clock: ManualClock;
  fleet: SimFleet;
  repos: MemoryRepositories;
  events: MemoryEventPublisher;
  tests: SimTestRunner;
  workload: Workload;
  cosim: CoSimulation;
}

function world(patch: (w: WorkloadInput) => void = () => {}): World {
  const clock = new ManualClock(T0);
  const input = workloadInput();
  input.migration = { ...input.migration, bakeSeconds: 60, healthyTimeoutSeconds: 600 };
  input.deployment = {
    deploySeconds: 600,
    bakeSeconds: 900,
    testRunner: { kind: 'codebuild', projectName: 'checkout-integration-tests' },
  };
  patch(input);
  const workload = Workload.parse(input);
  const fleet = new SimFleet({
    clock,
    workloads: [
      {
        workloadId: ID,
        trace: { name: 'flat', startMs: T0, intervalMs: MINUTE, values: new Float64Array(24 * 60).fill(800) },
        unitCapacity: 100,
        lagMs: 3 * MINUTE,
        metricDelayMs: MINUTE,
        primary: { maxUnits: 20, initialUnits: 12 },
        shadow: { maxUnits: 10 },
        workload,
      },
    ],
  });
  fleet.setVersion(ID, 'primary', V41);
  const repos = makeMemoryRepositories({ clock });
  const events = new MemoryEventPublisher();
  const tests = new SimTestRunner(clock, {
    outcome: 'pass',
    durationSeconds: 600,
    heartbeatEverySeconds: 60,
  });
  const ports = simPorts(fleet);
  setRuntime({
    clock,
    repositories: repos,
    events,
    compute: ports.compute,
    versions: ports.compute,
    traffic: ports.traffic,
    health: ports.targetHealth,
    tests,
  });
  return { clock, fleet, repos, events, tests, workload, cosim: new CoSimulation(fleet) };
}

function forecast(metric: string, values: number[]): Prediction {
  return {
    workloadId: ID,
    metric,
    generatedAt: T0,
    startMs: T0,
    intervalMs: 5 * MINUTE,
    point: values.map((v) => v * 0.8),
    quantiles: [{ q: 0.95, values }],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

/** Contended: requests 20 % over the primary's maximum 10 minutes into the deployment window. */
async function register(w: World, contended = true): Promise<void> {
  await w.repos.workloads.create(w.workload);
  const requests = Array.from({ length: 24 }, (_, i) => (contended && i === 2 ? CAP * 1.2 : 50_000));
  await w.repos.predictions.putPrediction(forecast('requests', requests));
  await w.repos.predictions.putPrediction(
    forecast(
      'cpu',
      Array.from({ length: 24 }, () => 600),
    ),
  );
}

interface Run {
  outcome: ExecutionOutcome;
  states: string[];
}

async function run(
  w: World,
  input: unknown,
  options: {
    name?: string;
    wrap?: (state: string, task: TaskFn) => TaskFn;
    crashAfter?: (state: string) => boolean;
  } = {},
): Promise<Run> {
  const gate = localTestGate({
    answers: w.tests,
    clock: w.clock,
    sleepUntil: (ms) => w.cosim.sleepUntil(ms),
  });
  const { definition, handlers, context } = localPipelineStateMachine(gate);
  const wrapped: Record<string, TaskHandler> = {};
  const control = { abort: () => {} };
  for (const [state, task] of Object.entries(handlers)) {
    const fn = options.wrap ? options.wrap(state, task) : task;
    wrapped[state] = (async (i: unknown) => {
      const output = await fn(i);
      if (options.crashAfter?.(state)) control.abort();
      return output;
    }) as TaskHandler;
  }
  const states: string[] = [];
  const onEvent = (event: ExecutionLogEvent) => {
    if (event.type === 'state-entered') states.push(event.state);
  };
  const execution = w.cosim.start({
    name: options.name ?? 'deploy-run-1',
    definition: definition as unknown as StateMachineDefinition,
    input: input as never,
    handlers: wrapped,
    onEvent,
    context,
  });
  control.abort = () => execution.abort();
  let outcome: ExecutionOutcome | undefined;
  void execution.outcome.then((o) => {
    outcome = o;
  });
  for (let i = 0; i < 600 && outcome === undefined; i++) await w.cosim.advanceTo(w.fleet.now() + MINUTE);
  if (!outcome) throw new Error(`execution did not end; states: ${states.join(' > ')}`);
  return { outcome, states };
}

async function expectNothingLeft(w: World, primaryVersion: string): Promise<void> {
  expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
  expect(w.fleet.describe(ID, 'shadow').exists).toBe(false);
  expect(w.fleet.version(ID, 'primary')).toBe(primaryVersion);
  expect(await w.repos.operations.getLease(ID)).toBeUndefined();
}

jest.setTimeout(60_000);
afterEach(() => resetRuntime());

describe('pipeline-branch over the simulated fleet', () => {
  it('contended: branches, tests pass, moves traffic in gated steps, merges', async () => {
    const w = world();
    await register(w);

    const r = await run(w, INPUT);

    expect(r.outcome.status).toBe('succeeded');
    expect(r.states.at(-1)).toBe('Merged');
    await expectNothingLeft(w, V42);
    const op = await w.repos.operations.get(OP);
    expect(op).toMatchObject({ kind: 'deployment', status: 'succeeded' });
    expect(op?.plan).toMatchObject({ version: V42, stage: 'prod', branch: true, previousVersion: V41 });
    const names = op?.steps.map((s) => s.name) ?? [];
    expect(names.filter((n) => !n.startsWith('gate') && n !== 'shifted' && n !== 'healthy')).toEqual([
      'branched',
      'branch-planned',
      'provisioned',
      'tests-started',
      'tests-passed',
      'primary-deploying',
      'primary-deployed',
      'merge-planned',
      'decommissioned',
      'merged',
    ]);
    // Out to the shadow environment's share of the peak (the planning core sizes it for the 4 units
    // over the primary's 20 of the 24-unit peak: 17 %), then home: the primary's ladder (10, 25, 50,
    // 100 %) continues from the 83 % it has, so one step.
    expect(op?.steps.filter((s) => s.name === 'shifted').map((s) => s.weights?.shadow)).toEqual([
      2, 4, 9, 17, 0,
    ]);
    expect(w.tests.started).toHaveLength(1);
    expect(w.tests.started[0]?.runner).toEqual({
      kind: 'codebuild',
      projectName: 'checkout-integration-tests',
    });
    expect(w.tests.started[0]?.request).toMatchObject({
      version: V42,
      stage: 'prod',
      targetGroupArn: w.workload.traffic.shadowTargetGroupArn,
      heartbeatSeconds: 600,
      timeoutSeconds: 7_200,
    });
    // The tests took 10 simulated minutes: traffic moved only after they passed.
    const passedAt = op?.steps.find((s) => s.name === 'tests-passed')?.at ?? 0;
    const firstShift = op?.steps.find((s) => s.name === 'shifted')?.at ?? 0;
    expect(firstShift).toBeGreaterThanOrEqual(passedAt);
  });

  it('tests fail: discards the branch; nothing left running, traffic where it was, a clear error', async () => {
    const w = world();
    await register(w);
    w.tests.behaviour = { outcome: 'fail', durationSeconds: 300, heartbeatEverySeconds: 60 };

    const r = await run(w, INPUT);

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'DeploymentDiscarded' });
    expect((r.outcome as { cause: string }).cause).toMatch(
      /deployment of .*:42 to prod discarded: TestsFailed: integration tests of .* failed: 3 of 42 tests failed \(traffic primary\/shadow 100\/0, shadow environment deleted\)/,
    );
    expect(r.states).not.toContain('Shift');
    await expectNothingLeft(w, V41);
    expect(await w.repos.operations.get(OP)).toMatchObject({
      status: 'rolled-back',
      error: { name: 'TestsFailed' },
    });
  });

  it.each<[string, SimTestBehaviour, string]>([
    [
      'never answers (heartbeats on): the gate times out',
      { outcome: 'silent', durationSeconds: 0, heartbeatEverySeconds: 60 },
      'States.Timeout',
    ],
    [
      'stops heartbeating: the gate fails at the heartbeat',
      { outcome: 'silent', durationSeconds: 0 },
      'States.HeartbeatTimeout',
    ],
  ])('test runner %s, then discards', async (_name, behaviour, error) => {
    const w = world();
    await register(w);
    w.tests.behaviour = behaviour;

    const r = await run(w, INPUT);

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'DeploymentDiscarded' });
    expect((r.outcome as { cause: string }).cause).toContain(error);
    await expectNothingLeft(w, V41);
    const op = await w.repos.operations.get(OP);
    expect(op?.error?.name).toBe(error);
    const started = op?.steps.find((s) => s.name === 'tests-started')?.at ?? 0;
    const restored = op?.steps.find((s) => s.name === 'restored')?.at ?? 0;
    expect(restored - started).toBeGreaterThanOrEqual((error === 'States.Timeout' ? 7_200 : 600) * 1000);
  });

  it('not contended: deploys to the primary as the pipeline would, no shadow, no tests', async () => {
    const w = world();
    await register(w, false);

    const r = await run(w, INPUT);

    expect(r.outcome.status).toBe('succeeded');
    expect(r.states).toEqual([
      'Validate',
      'Predict',
      'Begin',
      'AlreadyEnded',
      'Route',
      'DeployPrimary',
      'WaitPrimaryStable',
      'CheckPrimaryStable',
      'IsPrimaryStable',
      'FinishPrimary',
      'DeployedToPrimary',
    ]);
    expect(w.fleet.version(ID, 'primary')).toBe(V42);
    expect(w.tests.started).toEqual([]);
    expect(w.fleet.describe(ID, 'shadow').exists).toBe(false);
    expect(await w.repos.operations.get(OP)).toMatchObject({ status: 'succeeded', plan: { branch: false } });
  });

  it('a rerun of a finished deployment does nothing', async () => {
    const w = world();
    await register(w, false);
    await run(w, INPUT);
    const r = await run(w, INPUT, { name: 'deploy-run-2' });
    expect(r.outcome.status).toBe('succeeded');
    expect(r.states.at(-1)).toBe('AlreadyDeployed');
    expect((await w.repos.operations.listByWorkload(ID)).items).toHaveLength(1);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'unknown workload',
      { ...INPUT, workloadId: 'nope' },
      /field `workloadId` = "nope": no such registered workload/,
    ],
    [
      'not a version',
      { ...INPUT, version: 'latest' },
      /field `version` = "latest": must be a task definition ARN/,
    ],
    ['missing stage', { workloadId: ID, version: V42 }, /field `stage` missing/],
    ['a typo', { ...INPUT, stag: 'prod' }, /field `stag` = "prod": is not a known field/],
  ])('bad input (%s) fails in the first state with no side effect', async (_name, input, cause) => {
    const w = world();
    await register(w);
    const r = await run(w, input);
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'ValidationError' });
    expect((r.outcome as { cause: string }).cause).toMatch(cause);
    expect(r.states).toEqual(['Validate', 'InvalidInput']);
    expect((await w.repos.operations.listByWorkload(ID)).items).toEqual([]);
  });
});

describe('pipeline-branch: a rerun after a crash at each step continues, never duplicates', () => {
  const BRANCH_TASKS = [
    'Validate',
    'Predict',
    'Begin',
    'PlanBranch',
    'Provision',
    'CheckHealthy',
    'SmokeTest',
    'IntegrationTests',
    'TestsPassed',
    'Shift',
    'Gate',
    'DeployPrimary',
    'CheckPrimaryStable',
    'PlanMerge',
    'ReturnShift',
    'ReturnGate',
    'Decommission',
    'FinishMerged',
  ];

  it.each(BRANCH_TASKS)('branch path, crash after %s', async (crashState) => {
    const w = world();
    await register(w);
    let crashed = false;
    const first = await run(w, INPUT, {
      // The second time a looped state runs, to crash mid-way through the traffic steps (the
      // merge home from the branch's 17 % share is one step: it crashes the first time).
      crashAfter: (() => {
        let seen = 0;
        return (state: string) => {
          if (state !== crashState || crashed) return false;
          seen++;
          const loop = ['Shift', 'Gate'].includes(state);
          crashed = !loop || seen === 2;
          return crashed;
        };
      })(),
    });
    expect(crashed).toBe(true);
    expect(first.outcome.status).toBe('failed');

    const second = await run(w, INPUT, { name: 'deploy-run-2' });

    expect(second.outcome.status).toBe('succeeded');
    expect(['Merged', 'AlreadyDeployed']).toContain(second.states.at(-1));
    await expectNothingLeft(w, V42);
    const ops = (await w.repos.operations.listByWorkload(ID)).items;
    expect(ops).toHaveLength(1);
    expect(ops[0]?.status).toBe('succeeded');
    const names = ops[0]?.steps.map((s) => s.name) ?? [];
    expect(names.filter((n) => n === 'branched')).toHaveLength(1);
    expect(names.filter((n) => n === 'merge-planned').length).toBeLessThanOrEqual(1);
    expect(names.filter((n) => n === 'primary-deploying').length).toBeLessThanOrEqual(1);
    // Tests ran again only when the crash came before their pass was recorded.
    expect(w.tests.started.length).toBe(
      ['Validate', 'Predict', 'Begin', 'PlanBranch', 'Provision', 'CheckHealthy', 'SmokeTest'].includes(
        crashState,
      )
        ? 1
        : crashState === 'IntegrationTests'
          ? 2
          : 1,
    );
  });

  it('discard path: a crash right after Discard; the rerun reports the discard and changes nothing', async () => {
    const w = world();
    await register(w);
    w.tests.behaviour = { outcome: 'fail', durationSeconds: 300, heartbeatEverySeconds: 60 };
    let crashed = false;
    const first = await run(w, INPUT, {
      crashAfter: (state) => {
        if (state !== 'Discard' || crashed) return false;
        crashed = true;
        return true;
      },
    });
    expect(crashed).toBe(true);
    expect(first.states).not.toContain('Discarded');
    const stepsBefore = (await w.repos.operations.get(OP))?.steps.length;

    const second = await run(w, INPUT, { name: 'deploy-run-2' });

    expect(second.outcome).toMatchObject({ status: 'failed', error: 'DeploymentAlreadyDiscarded' });
    await expectNothingLeft(w, V41);
    expect(w.tests.started).toHaveLength(1);
    expect((await w.repos.operations.get(OP))?.steps.length).toBe(stepsBefore);
    expect((await w.repos.operations.listByWorkload(ID)).items).toHaveLength(1);
  });

  it.each(['Begin', 'DeployPrimary', 'CheckPrimaryStable', 'FinishPrimary'])(
    'primary path, crash after %s',
    async (crashState) => {
      const w = world();
      await register(w, false);
      let crashed = false;
      await run(w, INPUT, {
        crashAfter: (state) => {
          if (state !== crashState || crashed) return false;
          crashed = true;
          return true;
        },
      });
      expect(crashed).toBe(true);
      const second = await run(w, INPUT, { name: 'deploy-run-2' });
      expect(second.outcome.status).toBe('succeeded');
      expect(['DeployedToPrimary', 'AlreadyDeployed']).toContain(second.states.at(-1));
      expect(w.fleet.version(ID, 'primary')).toBe(V42);
      expect(w.fleet.describe(ID, 'shadow').exists).toBe(false);
      expect((await w.repos.operations.listByWorkload(ID)).items).toHaveLength(1);
    },
  );
});
