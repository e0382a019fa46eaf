import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TaskFn } from '../../../functions/failover/core';
import { localRegionalMachine, type RegionalKind } from '../../../functions/failover/local';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { ManualClock } from '../../../shared/clock';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import {
  AslRunner as CoSimulation,
  type ExecutionLogEvent,
  type ExecutionOutcome,
  type TaskHandler,
} from '../../../shared/sim/asl-runner';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { type MemoryRepositories, makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { SimRegions } from '../../../shared/sim/regions';
import { failoverWorkloadInput, HOME, STANDBY } from '../../helpers/failover';

/**
 * The real regional ASL files in aws-local-stepfunctions with the real task functions, over two
 * simulated regions behind TTL-honouring DNS, in-memory repositories and events. Wait states take
 * simulated time (shared/sim/asl-runner.ts), so TTL waits and readiness polls cost no wall time.
 */
// A few wall seconds each alone (the interpreter, the first test's module loading), more when the
// whole suite shares two cores: above jest's 5 s default.
jest.setTimeout(30_000);
const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MINUTE = 60_000;
const ID = 'checkout-api';

interface World {
  clock: ManualClock;
  sim: SimRegions;
  repos: MemoryRepositories;
  events: MemoryEventPublisher;
  workload: Workload;
  cosim: CoSimulation;
}

function world(patch: (w: WorkloadInput) => void = () => {}): World {
  const clock = new ManualClock(T0);
  const input = failoverWorkloadInput();
  patch(input);
  const workload = Workload.parse(input);
  // 800 requests/s; a unit serves 100/s: home runs 12, the standby holds 1 while calm.
  const sim = new SimRegions({
    clock,
    workload,
    demand: () => 800,
    unitCapacity: 100,
    lagMs: 3 * MINUTE,
    homeUnits: 12,
    standbyUnits: 1,
  });
  const repos = makeMemoryRepositories({ clock });
  const events = new MemoryEventPublisher();
  setRuntime({
    clock,
    repositories: repos,
    events,
    regions: sim.router,
    standby: sim.standbyPool,
    regionalHealth: sim.health,
  });
  return { clock, sim, repos, events, workload, cosim: new CoSimulation(sim) };
}

/** Forecast whose p95 peak needs 10 units (requests: 6000/unit at 0.7 utilisation). */
function forecasts(): Prediction[] {
  return ['requests', 'cpu'].map((metric) => {
    const peak = metric === 'requests' ? 10 * 4_200 : 50;
    const p95 = Array.from({ length: 12 }, (_, i) => (i === 6 ? peak : peak / 2));
    return {
      workloadId: ID,
      metric,
      generatedAt: T0,
      startMs: T0,
      intervalMs: 5 * MINUTE,
      point: p95.map((v) => v / 2),
      quantiles: [{ q: 0.95, values: p95 }],
      model: 'ets',
      confidence: 'high',
      signals: [],
    };
  });
}

async function register(w: World): Promise<void> {
  await w.repos.workloads.create(w.workload);
  for (const p of forecasts()) await w.repos.predictions.putPrediction(p);
}

interface Run {
  outcome: ExecutionOutcome;
  states: string[];
}

async function run(
  w: World,
  kind: RegionalKind,
  input: unknown,
  options: {
    name?: string;
    wrap?: (state: string, task: TaskFn) => TaskFn;
    crashAfter?: (state: string, output: unknown) => boolean;
  } = {},
): Promise<Run> {
  const { definition, handlers } = localRegionalMachine(kind);
  const wrapped: Record<string, TaskHandler> = {};
  const control = { abort: () => {} };
  for (const [state, task] of Object.entries(handlers)) {
    const fn = options.wrap ? options.wrap(state, task) : task;
    wrapped[state] = (async (i: unknown) => {
      const output = await fn(i);
      if (options.crashAfter?.(state, output)) control.abort();
      return output;
    }) as TaskHandler;
  }
  const states: string[] = [];
  const execution = w.cosim.start({
    name: options.name ?? `${kind}-run-1`,
    definition: definition as unknown as StateMachineDefinition,
    input: input as never,
    handlers: wrapped,
    onEvent: (event: ExecutionLogEvent) => {
      if (event.type === 'state-entered') states.push(event.state);
    },
  });
  control.abort = () => execution.abort();
  let outcome: ExecutionOutcome | undefined;
  void execution.outcome.then((o) => {
    outcome = o;
  });
  for (let i = 0; i < 600 && outcome === undefined; i++) await w.cosim.advanceTo(w.sim.now() + MINUTE);
  if (!outcome) throw new Error(`execution did not end; states: ${states.join(' > ')}`);
  return { outcome, states };
}

afterEach(() => resetRuntime());

describe('regional-failover over two simulated regions', () => {
  it('happy path: raises the standby to the forecast size, moves DNS 25/50/100 with TTL waits, succeeds', async () => {
    const w = world();
    await register(w);

    const r = await run(w, 'failover', { workloadId: ID, trigger: 'predicted-shortfall' });

    expect(r.outcome.status).toBe('succeeded');
    expect(r.states.at(-1)).toBe('FailoverSucceeded');
    expect(w.sim.weights()).toEqual({ [HOME]: 0, [STANDBY]: 100 });
    expect(await w.sim.standbyPool.describe(w.workload)).toMatchObject({ desired: 10, ready: 10 });
    const op = await w.repos.operations.get('failover-run-1');
    expect(op?.kind).toBe('failover');
    expect(op?.status).toBe('succeeded');
    const shifted = op?.steps.filter((s) => s.name === 'dns-shifted') ?? [];
    expect(shifted.map((s) => s.weights?.shadow)).toEqual([25, 50, 100]);
    // The run lowered the TTL to 10 s before moving anything and put 60 s back at the end.
    const lowered = op?.steps.find((s) => s.name === 'ttl-lowered');
    expect(lowered?.at).toBeLessThanOrEqual(shifted[0]?.at ?? 0);
    expect(op?.steps.at(-1)?.name).toBe('ttl-restored');
    await expect(w.sim.router.getTtl(w.workload)).resolves.toBe(60);
    // Each gate waited until every resolver had the step's answer (the 10 s TTL, or what was left
    // of the 60 s one from the lowering) plus the 30 s bake.
    const gates = op?.steps.filter((s) => s.name === 'gate-passed') ?? [];
    expect(gates).toHaveLength(3);
    for (const [i, g] of gates.entries()) {
      const at = shifted[i]?.at ?? 0;
      const held = Math.max(10_000, (lowered?.at ?? 0) + 60_000 - at);
      expect(g.at - at).toBeGreaterThanOrEqual(held + 30_000);
    }
    // The DNS moved only once the standby was healthy at its planned size.
    const healthy = op?.steps.find((s) => s.name === 'destination-healthy');
    expect(healthy?.at).toBeLessThanOrEqual(shifted[0]?.at ?? 0);
    expect(await w.repos.operations.getLease(ID)).toBeUndefined();
    expect(w.events.events.map((e) => e.detailType)).toEqual(['Failover Started', 'Failover Succeeded']);
    expect(w.events.ofType('Failover Succeeded')[0]?.detail).toMatchObject({
      fromRegion: HOME,
      toRegion: STANDBY,
      regionWeights: { [HOME]: 0, [STANDBY]: 100 },
    });
    // After the last TTL all demand lands on the standby and is served.
    await w.cosim.advanceTo(w.sim.now() + 2 * MINUTE);
    const after = w.sim.totals(w.sim.now() - MINUTE);
    expect(after.unserved / after.demand).toBeLessThan(0.01);
  });

  it('standby never healthy: rolls back after the bounded wait, DNS untouched, standby back to calm', async () => {
    const w = world();
    await register(w);
    w.sim.failStandbyLaunches();

    const r = await run(w, 'failover', { workloadId: ID, trigger: 'predicted-shortfall' });

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'FailoverRolledBack' });
    if (r.outcome.status === 'failed')
      expect(r.outcome.cause).toMatch(/ProvisioningTimeoutError.*standby region us-west-2 not ready/);
    expect(w.sim.weights()).toEqual({ [HOME]: 100, [STANDBY]: 0 });
    expect(await w.sim.standbyPool.describe(w.workload)).toMatchObject({ desired: 1 });
    const op = await w.repos.operations.get('failover-run-1');
    expect(op?.status).toBe('rolled-back');
    expect(op?.steps.some((s) => s.name === 'dns-shifted')).toBe(false);
    expect(await w.repos.operations.getLease(ID)).toBeUndefined();
    expect(w.events.events.map((e) => e.detailType)).toEqual(['Failover Started', 'Failover Rolled Back']);
  });

  it('gate failure at 50%: restores home 100/0 (verified), scales the standby back, records why', async () => {
    const w = world();
    await register(w);
    const r = await run(
      w,
      'failover',
      { workloadId: ID },
      {
        wrap: (state, task) =>
          state !== 'Shift'
            ? task
            : async (input) => {
                const out = (await task(input)) as { percent: number };
                // The standby loses most of its units right after the 50 % step: overload 5xx.
                if (out.percent === 50) await w.sim.standbyPool.scale(w.workload, 2);
                return out;
              },
      },
    );
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'FailoverRolledBack' });
    if (r.outcome.status === 'failed')
      expect(r.outcome.cause).toMatch(/GateFailedError: gate on us-west-2 at 50%/);
    expect(w.sim.weights()).toEqual({ [HOME]: 100, [STANDBY]: 0 });
    expect(await w.sim.standbyPool.describe(w.workload)).toMatchObject({ desired: 1 });
    const op = await w.repos.operations.get('failover-run-1');
    expect(op?.steps.map((s) => s.name)).toEqual(
      expect.arrayContaining(['gate-failed', 'restored', 'standby-calm']),
    );
    expect(op?.lastVerifiedWeights).toEqual({ primary: 100, shadow: 0 });
    // The rollback puts the configured TTL back with the weights.
    await expect(w.sim.router.getTtl(w.workload)).resolves.toBe(60);
  });

  it('lease held by another operation: refused, nothing touched', async () => {
    const w = world();
    await register(w);
    await w.repos.operations.acquireLease(ID, 'migration-other', 6 * 3_600_000);
    const r = await run(w, 'failover', { workloadId: ID });
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'LeaseHeldError' });
    expect(r.states.at(-1)).toBe('LeaseRefused');
    expect(w.sim.weights()).toEqual({ [HOME]: 100, [STANDBY]: 0 });
    expect(await w.sim.standbyPool.describe(w.workload)).toMatchObject({ desired: 1 });
    expect(w.events.events).toEqual([]);
  });

  it('home with no healthy host: once the standby is up at its planned size, one verified step to 100', async () => {
    const w = world();
    await register(w);
    w.sim.setDown(HOME, true);
    // The detector sees it once the region's ALB minutes stop arriving (publication delay included).
    await w.cosim.advanceTo(w.sim.now() + 3 * MINUTE);

    const r = await run(w, 'failover', { workloadId: ID, trigger: 'observed-degradation' });

    expect(r.outcome.status).toBe('succeeded');
    expect(w.sim.weights()).toEqual({ [HOME]: 0, [STANDBY]: 100 });
    const op = await w.repos.operations.get('failover-run-1');
    const shifted = op?.steps.filter((s) => s.name === 'dns-shifted') ?? [];
    expect(shifted.map((s) => s.weights?.shadow)).toEqual([100]);
    const healthy = op?.steps.find((s) => s.name === 'destination-healthy');
    expect(healthy?.at).toBeLessThanOrEqual(shifted[0]?.at ?? 0);
    expect(await w.sim.standbyPool.describe(w.workload)).toMatchObject({ desired: 10, ready: 10 });
    const gate = op?.steps.find((s) => s.name === 'gate-passed');
    expect((gate?.at ?? 0) - (shifted[0]?.at ?? 0)).toBeGreaterThanOrEqual(60_000);
  });

  it('crash after the 50% step, rerun with the same name: resumes there and finishes', async () => {
    const w = world();
    await register(w);
    const first = await run(
      w,
      'failover',
      { workloadId: ID },
      {
        crashAfter: (state, output) => state === 'Shift' && (output as { percent: number }).percent === 50,
      },
    ).catch((e: unknown) => e);
    expect(first).toBeDefined();
    expect(w.sim.weights()).toEqual({ [HOME]: 50, [STANDBY]: 50 });
    expect((await w.repos.operations.get('failover-run-1'))?.status).toBe('running');
    // The crash leaves the lowered TTL; the rerun's end restores it.
    await expect(w.sim.router.getTtl(w.workload)).resolves.toBe(10);

    const second = await run(w, 'failover', { workloadId: ID });
    expect(second.outcome.status).toBe('succeeded');
    expect(w.sim.weights()).toEqual({ [HOME]: 0, [STANDBY]: 100 });
    const op = await w.repos.operations.get('failover-run-1');
    expect(op?.steps.filter((s) => s.name === 'dns-shifted').map((s) => s.weights?.shadow)).toEqual([
      25, 50, 50, 100,
    ]);
    expect(op?.steps.filter((s) => s.name === 'planned')).toHaveLength(1);
    expect(op?.steps.filter((s) => s.name === 'ttl-lowered')).toHaveLength(1);
    await expect(w.sim.router.getTtl(w.workload)).resolves.toBe(60);
    expect(w.events.ofType('Failover Started')).toHaveLength(1);
    expect(await w.repos.operations.getLease(ID)).toBeUndefined();
  });

  it('bad input is named field by field, nothing touched', async () => {
    const w = world();
    await register(w);
    const r = await run(w, 'failover', { workloadId: 'Bad_Id', steps: [50, 20], standbyUnits: -1 });
    expect(r.outcome.status).toBe('failed');
    if (r.outcome.status === 'failed') {
      expect(r.outcome.error).toBe('ValidationError');
      expect(r.outcome.cause).toMatch(/workloadId/);
      expect(r.outcome.cause).toMatch(/steps/);
      expect(r.outcome.cause).toMatch(/standbyUnits/);
    }
    expect(r.states.at(-1)).toBe('InvalidInput');
    expect(w.events.events).toEqual([]);
  });

  it('a workload without failover configuration is bad input', async () => {
    const w = world();
    await w.repos.workloads.create(
      Workload.parse({ ...failoverWorkloadInput(), workloadId: 'plain', failover: undefined }),
    );
    const r = await run(w, 'failover', { workloadId: 'plain' });
    expect(r.states.at(-1)).toBe('InvalidInput');
    if (r.outcome.status === 'failed')
      expect(r.outcome.cause).toMatch(/no failover record set or standby region/);
  });
});

describe('regional-failback', () => {
  it('after the hold, moves DNS home in steps and scales the standby back to calm', async () => {
    const w = world((input) => {
      if (input.failover) input.failover.failbackHoldSeconds = 600;
    });
    await register(w);
    w.sim.setDown(HOME, true);
    expect((await run(w, 'failover', { workloadId: ID })).outcome.status).toBe('succeeded');
    w.sim.setDown(HOME, false);
    const started = w.sim.now();

    const r = await run(
      w,
      'failback',
      { workloadId: ID, trigger: 'home-recovered' },
      { name: 'failback-run-1' },
    );

    expect(r.outcome.status).toBe('succeeded');
    expect(r.states.at(-1)).toBe('FailbackSucceeded');
    expect(w.sim.weights()).toEqual({ [HOME]: 100, [STANDBY]: 0 });
    expect(await w.sim.standbyPool.describe(w.workload)).toMatchObject({ desired: 1 });
    const op = await w.repos.operations.get('failback-run-1');
    const shifted = op?.steps.filter((s) => s.name === 'dns-shifted') ?? [];
    expect(shifted.map((s) => s.weights?.primary)).toEqual([25, 50, 100]);
    expect((shifted[0]?.at ?? 0) - started).toBeGreaterThanOrEqual(600_000);
    expect(w.events.ofType('Failover Succeeded').at(-1)?.detail).toMatchObject({
      fromRegion: STANDBY,
      toRegion: HOME,
    });
  });

  it('home still failing: refuses after the bounded wait and keeps traffic on the standby', async () => {
    const w = world((input) => {
      if (input.failover) {
        input.failover.failbackHoldSeconds = 0;
        input.failover.healthyTimeoutSeconds = 300;
      }
    });
    await register(w);
    w.sim.setDown(HOME, true);
    expect((await run(w, 'failover', { workloadId: ID })).outcome.status).toBe('succeeded');
    const r = await run(w, 'failback', { workloadId: ID }, { name: 'failback-run-1' });
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'FailbackRolledBack' });
    expect(w.sim.weights()).toEqual({ [HOME]: 0, [STANDBY]: 100 });
    expect(await w.sim.standbyPool.describe(w.workload)).toMatchObject({ desired: 10 });
  });
});
