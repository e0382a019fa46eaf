import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { CoSimulation, readPath, waitSeconds } from '../../../bin/local/cosim';
import { ManualClock } from '../../../shared/clock';
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

describe('CoSimulation', () => {
  it('lets Wait states take simulated time, never wall time', async () => {
    const f = fleet();
    const sim = new CoSimulation(f);
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
    const sim = new CoSimulation(f);
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
    const sim = new CoSimulation(f);
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
