import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TaskFn } from '../../../functions/lifecycle/core';
import { localLifecycleMachine } from '../../../functions/lifecycle/local';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { ManualClock } from '../../../shared/clock';
import { TransientError } from '../../../shared/errors';
import { runIdOf } from '../../../shared/lifecycle/actions';
import type { TriggerEvent } from '../../../shared/lifecycle/match';
import type { LifecycleRuleInput } from '../../../shared/schemas/lifecycle';
import { Workload } from '../../../shared/schemas/workload';
import { simPorts } from '../../../shared/sim/adapters';
import { AslRunner, type ExecutionOutcome, type TaskHandler } from '../../../shared/sim/asl-runner';
import { SimFleet } from '../../../shared/sim/fleet';
import { MemoryLifecycleRuns, SimLifecycleEffects } from '../../../shared/sim/lifecycle';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { type MemoryRepositories, makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { workloadInput } from '../../helpers/fixtures';

/**
 * The real `lifecycle` ASL file in aws-local-stepfunctions with the real task functions, over the
 * simulated fleet, in-memory repositories, events and lifecycle adapters. Wait states (the drain
 * between scale-down steps) take simulated time; retries take none.
 */
const T0 = Date.UTC(2026, 10, 23, 14, 0);
const MINUTE = 60_000;
const ID = 'checkout-api';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:oncall';

interface World {
  clock: ManualClock;
  fleet: SimFleet;
  repos: MemoryRepositories;
  events: MemoryEventPublisher;
  runs: MemoryLifecycleRuns;
  effects: SimLifecycleEffects;
  cosim: AslRunner;
}

async function world(rules: LifecycleRuleInput[]): Promise<World> {
  const clock = new ManualClock(T0);
  const workload = Workload.parse({ ...workloadInput(), lifecycle: rules });
  const fleet = new SimFleet({
    clock,
    workloads: [
      {
        workloadId: ID,
        trace: { name: 'flat', startMs: T0, intervalMs: MINUTE, values: new Float64Array(24 * 60).fill(400) },
        unitCapacity: 100,
        lagMs: 3 * MINUTE,
        metricDelayMs: MINUTE,
        primary: { maxUnits: 20, initialUnits: 12 },
        shadow: { maxUnits: 10 },
        workload,
      },
    ],
  });
  const repos = makeMemoryRepositories({ clock });
  await repos.workloads.create(workload);
  const events = new MemoryEventPublisher();
  const ports = simPorts(fleet);
  const runs = new MemoryLifecycleRuns(clock);
  const effects = new SimLifecycleEffects(
    clock,
    async (w, role) => (await ports.compute.describe(w, role)).desired,
  );
  setRuntime({
    clock,
    repositories: repos,
    events,
    compute: ports.compute,
    traffic: ports.traffic,
    lifecycleRuns: runs,
    snapshots: effects,
    diagnostics: effects,
    notifier: effects,
  });
  return { clock, fleet, repos, events, runs, effects, cosim: new AslRunner(fleet) };
}

function anomaly(id = 'evt-1'): TriggerEvent {
  return {
    id,
    source: 'shadowscale',
    'detail-type': 'Anomaly Detected',
    time: new Date(T0).toISOString(),
    detail: {
      workloadId: ID,
      metric: 'requests',
      at: T0,
      observed: 900,
      expectedLow: 100,
      expectedHigh: 300,
      score: 0.9995,
    },
  };
}

interface Run {
  outcome: ExecutionOutcome;
  states: string[];
  calls: Record<string, number>;
}

async function run(w: World, rule: string, event: TriggerEvent, name: string): Promise<Run> {
  const { definition, handlers } = localLifecycleMachine();
  const calls: Record<string, number> = {};
  const wrapped: Record<string, TaskHandler> = {};
  for (const [state, task] of Object.entries(handlers) as [string, TaskFn][])
    wrapped[state] = (async (input: unknown) => {
      calls[state] = (calls[state] ?? 0) + 1;
      return task(input);
    }) as TaskHandler;
  const states: string[] = [];
  const execution = w.cosim.start({
    name,
    definition: definition as unknown as StateMachineDefinition,
    input: { workloadId: ID, rule, event } as never,
    handlers: wrapped,
    onEvent: (e) => {
      if (e.type === 'state-entered') states.push(e.state);
    },
  });
  let outcome: ExecutionOutcome | undefined;
  void execution.outcome.then((o) => {
    outcome = o;
  });
  for (let i = 0; i < 120 && outcome === undefined; i++) await w.cosim.advanceTo(w.fleet.now() + MINUTE);
  if (!outcome) throw new Error(`execution did not end; states: ${states.join(' > ')}`);
  return { outcome, states, calls };
}

const completed = (w: World) => w.events.events.filter((e) => e.detailType === 'Lifecycle Completed');

afterEach(() => resetRuntime());

describe('lifecycle state machine', () => {
  it('runs every action in order: notify, snapshot, tests, graceful scale-down with drains, priority', async () => {
    const w = await world([
      {
        name: 'anomaly-response',
        when: { events: ['Anomaly Detected'] },
        if: { timeOfDay: { from: '08:00', to: '20:00' } },
        do: [
          { type: 'notify', topicArn: TOPIC },
          { type: 'snapshot' },
          { type: 'run-tests', target: { kind: 'codebuild', projectName: 'checkout-diagnostics' } },
          { type: 'scale-down', toUnits: 4, stepUnits: 4, drainSeconds: 120 },
          { type: 'set-priority', priority: 95 },
        ],
      },
    ]);

    const r = await run(w, 'anomaly-response', anomaly(), 'exec-1');

    expect(r.outcome.status).toBe('succeeded');
    expect(r.states.at(-1)).toBe('Done');
    expect(w.effects.calls.map((c) => c.kind)).toEqual(['notify', 'snapshot', 'diagnostics']);
    const message = w.effects.calls[0];
    expect(message?.kind === 'notify' && message.message).toContain('anomaly on requests: observed 900');
    // 12 -> 8 -> 4, with a 120 s drain after the first step.
    expect(r.states.filter((s) => s === 'Drain')).toHaveLength(1);
    expect(w.fleet.describe(ID, 'primary').desired).toBe(4);
    expect(w.fleet.now() - T0).toBeGreaterThanOrEqual(120_000);
    expect((await w.repos.workloads.get(ID))?.workload.priority).toBe(95);
    const stored = await w.runs.get(runIdOf(ID, 'anomaly-response', 'evt-1'));
    expect(stored?.status).toBe('succeeded');
    expect(stored?.outcomes.map((o) => [o.type, o.status])).toEqual([
      ['notify', 'succeeded'],
      ['snapshot', 'succeeded'],
      ['run-tests', 'succeeded'],
      ['scale-down', 'succeeded'],
      ['set-priority', 'succeeded'],
    ]);
    expect(completed(w).map((e) => e.detail)).toEqual([
      expect.objectContaining({ rule: 'anomaly-response', eventId: 'evt-1', status: 'succeeded' }),
    ]);
  });

  it('a duplicate event (another execution) is done once', async () => {
    const w = await world([
      { name: 'page', when: { events: ['Anomaly Detected'] }, do: [{ type: 'notify', topicArn: TOPIC }] },
    ]);

    const first = await run(w, 'page', anomaly(), 'exec-1');
    const second = await run(w, 'page', anomaly(), 'exec-2');

    expect(first.outcome.status).toBe('succeeded');
    expect(second.outcome.status).toBe('succeeded');
    expect(second.states.at(-1)).toBe('AlreadyDone');
    expect(second.calls.Notify).toBeUndefined();
    expect(w.effects.calls.filter((c) => c.kind === 'notify')).toHaveLength(1);
    expect(completed(w)).toHaveLength(1);
  });

  it('an action that keeps failing is retried, recorded failed, the next action still runs, and the run is reported failed', async () => {
    const w = await world([
      {
        name: 'page',
        when: { events: ['Anomaly Detected'] },
        do: [
          { type: 'notify', topicArn: TOPIC },
          { type: 'set-priority', priority: 10 },
        ],
      },
    ]);
    w.effects.failNext(
      'notify',
      100,
      () => new TransientError('SNS Publish: ThrottlingException: Rate exceeded'),
    );

    const r = await run(w, 'page', anomaly(), 'exec-1');

    expect(r.calls.Notify).toBe(7); // the first attempt and the file's 6 retries
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'ActionsFailed' });
    expect((await w.repos.workloads.get(ID))?.workload.priority).toBe(10);
    const stored = await w.runs.get(runIdOf(ID, 'page', 'evt-1'));
    expect(stored?.status).toBe('failed');
    expect(stored?.outcomes[0]).toMatchObject({
      type: 'notify',
      status: 'failed',
      error: { name: 'TransientError', message: expect.stringContaining('Rate exceeded') },
    });
    expect(stored?.reason).toContain('action 0 (notify) failed: TransientError');
    expect(completed(w)[0]?.detail).toMatchObject({
      status: 'failed',
      actions: [
        { type: 'notify', status: 'failed', error: { name: 'TransientError' } },
        { type: 'set-priority', status: 'succeeded' },
      ],
    });
  });

  it('an action that fails once is retried and succeeds', async () => {
    const w = await world([
      { name: 'page', when: { events: ['Anomaly Detected'] }, do: [{ type: 'notify', topicArn: TOPIC }] },
    ]);
    w.effects.failNext('notify', 2, () => new TransientError('throttled'));

    const r = await run(w, 'page', anomaly(), 'exec-1');

    expect(r.calls.Notify).toBe(3);
    expect(r.outcome.status).toBe('succeeded');
    expect(w.effects.calls.filter((c) => c.kind === 'notify')).toHaveLength(1);
  });

  it('conditions that do not hold end the run with the reason and nothing done; a duplicate stays skipped', async () => {
    const w = await world([
      {
        name: 'night-only',
        when: { events: ['Anomaly Detected'] },
        if: { timeOfDay: { from: '22:00', to: '06:00' } },
        do: [{ type: 'notify', topicArn: TOPIC }],
      },
    ]);

    const r = await run(w, 'night-only', anomaly(), 'exec-1');
    const again = await run(w, 'night-only', anomaly(), 'exec-2');

    expect(r.states.at(-1)).toBe('ConditionsNotMet');
    expect(again.states.at(-1)).toBe('AlreadyDone');
    expect(w.effects.calls).toEqual([]);
    expect((await w.runs.get(runIdOf(ID, 'night-only', 'evt-1')))?.reason).toBe(
      'timeOfDay: 14:00 in UTC is not within 22:00-06:00',
    );
  });

  it('bad input ends in InvalidInput with nothing done', async () => {
    const w = await world([
      { name: 'page', when: { events: ['Anomaly Detected'] }, do: [{ type: 'notify', topicArn: TOPIC }] },
    ]);
    const r = await run(w, 'no-such-rule', anomaly(), 'exec-1');
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'InvalidInput' });
    expect(w.runs.runs.size).toBe(0);
  });
});
