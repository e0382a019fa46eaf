import { createHook } from 'node:async_hooks';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { ManualClock } from '../../../shared/clock';
import { AslRunner, readPath, waitSeconds } from '../../../shared/sim/asl-runner';
import { SimFleet } from '../../../shared/sim/fleet';

const T0 = Date.UTC(2026, 0, 1);

function fleet(): SimFleet {
  return new SimFleet({
    clock: new ManualClock(T0),
    workloads: [
      {
        workloadId: 'w',
        trace: { name: 't', startMs: T0, intervalMs: 60_000, values: new Float64Array(1000).fill(10) },
        unitCapacity: 1,
        primary: { maxUnits: 10 },
      },
    ],
  });
}

/** Poll → Wait (SecondsPath) → Poll … until `done`, then Succeed. */
const definition = {
  StartAt: 'Poll',
  States: {
    Poll: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:poll', Next: 'Done?' },
    'Done?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Finished' }],
      Default: 'Pause',
    },
    Pause: { Type: 'Wait', SecondsPath: '$.pause.seconds', Next: 'Poll' },
    Finished: { Type: 'Succeed' },
  },
} as unknown as StateMachineDefinition;

describe('AslRunner', () => {
  it('lets Wait states take simulated time, never wall time', async () => {
    const f = fleet();
    const sim = new AslRunner(f);
    const seen: number[] = [];
    const execution = sim.start({
      name: 'x',
      definition,
      input: {},
      handlers: {
        Poll: () => {
          seen.push(f.now() - T0);
          return { done: seen.length === 3, pause: { seconds: 90 } };
        },
      },
    });
    await sim.advanceTo(T0 + 10 * 60_000);
    expect(seen).toEqual([0, 90_000, 180_000]);
    await expect(execution.outcome).resolves.toEqual({ status: 'succeeded', output: expect.anything() });
    expect(sim.running).toBe(0);
    expect(f.now()).toBe(T0 + 10 * 60_000);
  });

  it('stops the clock where the execution waits, and never passes the target', async () => {
    const f = fleet();
    const sim = new AslRunner(f);
    const seen: number[] = [];
    sim.start({
      name: 'x',
      definition,
      input: {},
      handlers: {
        Poll: () => {
          seen.push(f.now() - T0);
          return { done: false, pause: { seconds: 120 } };
        },
      },
    });
    await sim.advanceTo(T0 + 300_000);
    expect(seen).toEqual([0, 120_000, 240_000]);
    expect(sim.nextWakeUp()).toBe(T0 + 360_000);
    await sim.abortAll();
    expect(sim.running).toBe(0);
  });

  it('reports a failed execution with its error name', async () => {
    const f = fleet();
    const sim = new AslRunner(f);
    const execution = sim.start({
      name: 'x',
      definition,
      input: {},
      handlers: {
        Poll: () => {
          throw Object.assign(new Error('gate failed'), { name: 'GateFailedError' });
        },
      },
    });
    await sim.advanceTo(T0 + 60_000);
    const outcome = await execution.outcome;
    expect(outcome.status).toBe('failed');
  });

  /** Timers the interpreter creates and has not cleared or fired yet (what keeps jest from exiting). */
  const interpreterTimers = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout' && /aws-local-stepfunctions/.test(new Error().stack ?? ''))
        interpreterTimers.add(id);
    },
    destroy(id) {
      interpreterTimers.delete(id);
    },
  });
  beforeAll(() => hook.enable());
  afterAll(() => hook.disable());
  const timers = async (): Promise<number> => {
    await new Promise((resolve) => setImmediate(resolve));
    return interpreterTimers.size;
  };

  it('leaves no timer pending after abortAll (a Task blocked on simulated time is rejected)', async () => {
    const f = fleet();
    const sim = new AslRunner(f);
    sim.start({
      name: 'x',
      definition,
      input: {},
      handlers: { Poll: () => ({ done: false, pause: { seconds: 120 } }) },
    });
    await sim.advanceTo(T0 + 60_000);
    await sim.abortAll();
    expect(sim.running).toBe(0);
    expect(await timers()).toBe(0);
  });

  /** Wait 10 simulated minutes, then a Task allowed 1 s, then Succeed. */
  const bakeThenTask = {
    StartAt: 'Bake',
    TimeoutSeconds: 3600,
    States: {
      Bake: { Type: 'Wait', Seconds: 600, Next: 'Gate' },
      Gate: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:123456789012:function:gate',
        TimeoutSeconds: 1,
        Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
        End: true,
      },
      TimedOut: { Type: 'Fail', Error: 'TimedOut' },
    },
  } as unknown as StateMachineDefinition;

  it('counts a Task timeout in simulated time: a slow pace never times a Task out', async () => {
    const f = fleet();
    const sim = new AslRunner(f);
    const execution = sim.start({
      name: 'x',
      definition: bakeThenTask,
      input: {},
      handlers: { Gate: () => ({ ok: true }) },
    });
    // A slow pace: 1.5 s of wall time pass before the clock reaches the end of the bake.
    await sim.advanceTo(T0 + 300_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await sim.advanceTo(T0 + 900_000);
    await expect(execution.outcome).resolves.toEqual({ status: 'succeeded', output: { ok: true } });
  });

  it('times a Task out once simulated time passes its TimeoutSeconds while it waits on the clock', async () => {
    const f = fleet();
    const sim = new AslRunner(f);
    const execution = sim.start({
      name: 'x',
      definition: bakeThenTask,
      input: {},
      handlers: {
        Gate: async (_input, context) => {
          await context?.sleepUntil(f.now() + 5_000);
          return { ok: true };
        },
      },
    });
    await sim.advanceTo(T0 + 900_000);
    await expect(execution.outcome).resolves.toMatchObject({ status: 'failed', error: 'TimedOut' });
  });

  it('times an execution out in simulated time (top-level TimeoutSeconds), at once in wall time', async () => {
    const f = fleet();
    const sim = new AslRunner(f);
    const execution = sim.start({
      name: 'x',
      definition: { ...bakeThenTask, TimeoutSeconds: 300 } as unknown as StateMachineDefinition,
      input: {},
      handlers: { Gate: () => ({ ok: true }) },
    });
    await sim.advanceTo(T0 + 900_000);
    await expect(execution.outcome).resolves.toMatchObject({ status: 'failed', error: 'States.Timeout' });
    expect(sim.running).toBe(0);
    expect(await timers()).toBe(0);
  });

  it.each([
    ['$', { a: 1 }, { a: 1 }],
    ['$.a.b', { a: { b: 2 } }, 2],
    ['$.a[1].b', { a: [{ b: 1 }, { b: 3 }] }, 3],
    ['$.missing.b', { a: 1 }, undefined],
  ])('readPath(%s)', (path, value, expected) => {
    expect(readPath(value, path)).toEqual(expected);
  });

  it.each([
    [{ Type: 'Wait', Seconds: 30 }, {}, 30],
    [{ Type: 'Wait', SecondsPath: '$.s' }, { s: 45 }, 45],
    [{ Type: 'Wait', SecondsPath: '$.s', InputPath: '$.inner' }, { inner: { s: 5 } }, 5],
    [{ Type: 'Wait', Timestamp: new Date(T0 + 20_000).toISOString() }, {}, 20],
  ])('waitSeconds(%j)', (state, input, expected) => {
    expect(waitSeconds(state, input, T0)).toBe(expected);
  });
});
