import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TaskFn } from '../../../functions/migration/core';
import { localStateMachine, type ShadowPoolKind } from '../../../functions/migration/local';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { ManualClock } from '../../../shared/clock';
import type { TargetHealthSource } from '../../../shared/ports/metrics';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { simPorts } from '../../../shared/sim/adapters';
import {
  AslRunner,
  type ExecutionLogEvent,
  type ExecutionOutcome,
  type TaskHandler,
} from '../../../shared/sim/asl-runner';
import { SimFleet } from '../../../shared/sim/fleet';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { type MemoryRepositories, makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { workloadInput } from '../../helpers/fixtures';

/**
 * The real ASL files, run by aws-local-stepfunctions with the real task functions over the
 * simulated fleet, in-memory repositories and events. Wait states take simulated time (the local
 * one local runner, shared/sim/asl-runner.ts), so bakes and readiness polls cost no wall time.
 */
const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MINUTE = 60_000;
const ID = 'checkout-api';

interface World {
  clock: ManualClock;
  fleet: SimFleet;
  repos: MemoryRepositories;
  events: MemoryEventPublisher;
  workload: Workload;
  cosim: AslRunner;
}

function world(patch: (w: WorkloadInput) => void = () => {}): World {
  const clock = new ManualClock(T0);
  const input = workloadInput();
  // The whole workload moves (blue/green onto the shadow pool), with a 20 % shadow buffer; overflow moves are tested below.
  input.migration = {
    ...input.migration,
    move: 'whole',
    bakeSeconds: 60,
    healthyTimeoutSeconds: 600,
    bufferFraction: 0.2,
  };
  patch(input);
  const workload = Workload.parse(input);
  const fleet = new SimFleet({
    clock,
    workloads: [
      {
        workloadId: ID,
        // 800 requests a minute; one unit serves 100 at 100%: the primary needs 8, runs 12.
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
  const repos = makeMemoryRepositories({ clock });
  const events = new MemoryEventPublisher();
  const ports = simPorts(fleet);
  setRuntime({
    clock,
    repositories: repos,
    events,
    compute: ports.compute,
    traffic: ports.traffic,
    health: ports.targetHealth,
  });
  return { clock, fleet, repos, events, workload, cosim: new AslRunner(fleet) };
}

/** A forecast whose p95 peak needs 8 units at target utilisation (6000/unit at 0.7): shadow = 10. */
function forecast(): Prediction {
  const p95 = Array.from({ length: 12 }, (_, i) => (i === 6 ? 8 * 4_200 : 4_000));
  return {
    workloadId: ID,
    metric: 'requests',
    generatedAt: T0,
    startMs: T0,
    intervalMs: 5 * MINUTE,
    point: p95.map((v) => v / 2),
    quantiles: [{ q: 0.95, values: p95 }],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

async function register(w: World): Promise<void> {
  await w.repos.workloads.create(w.workload);
  await w.repos.predictions.putPrediction(forecast());
}

interface Run {
  outcome: ExecutionOutcome;
  states: string[];
  transitions: number;
  retries: number;
  failures: { state: string; error: string; cause: string }[];
}

/**
 * Run one execution to its end. `wrap` can replace a task (by state name) to inject a failure or
 * stop the execution mid-way; `stop` aborts it (a crash) when it returns true after a task.
 */
async function run(
  w: World,
  kind: ShadowPoolKind,
  input: unknown,
  options: {
    name?: string;
    wrap?: (state: string, task: TaskFn) => TaskFn;
    /** Abort the execution (a crash: no Catch, no compensation) once this returns true after a task. */
    crashAfter?: (state: string, output: unknown) => boolean;
  } = {},
): Promise<Run> {
  const { definition, handlers } = localStateMachine(kind);
  const wrapped: Record<string, TaskHandler> = {};
  const control = { abort: () => {} };
  for (const [state, task] of Object.entries(handlers)) {
    const fn: TaskFn = options.wrap ? options.wrap(state, task as TaskFn) : (task as TaskFn);
    wrapped[state] = (async (input: unknown) => {
      const output = await fn(input as never);
      if (options.crashAfter?.(state, output)) control.abort();
      return output;
    }) as TaskHandler;
  }
  const states: string[] = [];
  const failures: Run['failures'] = [];
  let retries = 0;
  const onEvent = (event: ExecutionLogEvent) => {
    if (event.type === 'state-entered') states.push(event.state);
    if (event.type === 'state-retried') retries++;
    if (event.type === 'state-failed')
      failures.push({ state: event.state, error: event.error, cause: event.cause });
  };
  const execution = w.cosim.start({
    name: options.name ?? `${kind}-run-1`,
    definition: definition as unknown as StateMachineDefinition,
    input: input as never,
    handlers: wrapped,
    onEvent,
  });
  control.abort = () => execution.abort();
  let outcome: ExecutionOutcome | undefined;
  void execution.outcome.then((o) => {
    outcome = o;
  });
  // Bounded: six simulated hours is far beyond any run here.
  for (let i = 0; i < 360 && outcome === undefined; i++) await w.cosim.advanceTo(w.fleet.now() + MINUTE);
  if (!outcome) throw new Error(`execution did not end; states: ${states.join(' > ')}`);
  return { outcome, states, transitions: states.length, retries, failures };
}

afterEach(() => resetRuntime());

describe('shadow-pool-migration over the simulated fleet', () => {
  it('happy path: provisions, moves 10/25/50/100 with read-back and gates, records, releases', async () => {
    const w = world();
    await register(w);

    const r = await run(w, 'migration', { workloadId: ID, reason: 'test' });

    expect(r.outcome).toEqual({ status: 'succeeded', output: expect.anything() });
    expect(r.states.at(-1)).toBe('MigrationSucceeded');
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 0, shadow: 100 });
    expect(w.fleet.describe(ID, 'shadow')).toMatchObject({ exists: true, desired: 10, ready: 10 });
    const op = await w.repos.operations.get('migration-run-1');
    expect(op?.status).toBe('succeeded');
    expect(op?.steps.filter((s) => s.name === 'shifted').map((s) => s.weights)).toEqual([
      { primary: 90, shadow: 10 },
      { primary: 75, shadow: 25 },
      { primary: 50, shadow: 50 },
      { primary: 0, shadow: 100 },
    ]);
    expect(op?.steps.filter((s) => s.name === 'gate-passed')).toHaveLength(4);
    expect(op?.lastVerifiedWeights).toEqual({ primary: 0, shadow: 100 });
    expect(await w.repos.operations.getLease(ID)).toBeUndefined();
    expect(w.events.events.map((e) => e.detailType)).toEqual(['Migration Started', 'Migration Succeeded']);
    expect(w.events.ofType('Migration Succeeded')[0]?.detail).toMatchObject({
      shadowUnits: 10,
      kind: 'migration',
    });
    // Step Functions bills state transitions: keep them well under 60 for four steps.
    expect(r.transitions).toBeLessThan(60);
  });

  it('linear preset from the input', async () => {
    const w = world();
    await register(w);
    const r = await run(w, 'migration', { workloadId: ID, preset: 'linear', stepCount: 2 });
    expect(r.outcome.status).toBe('succeeded');
    const op = await w.repos.operations.get('migration-run-1');
    expect(op?.steps.filter((s) => s.name === 'shifted').map((s) => s.weights?.shadow)).toEqual([50, 100]);
  });

  it('gate failure at 50% rolls back to 100/0, scales the shadow to zero, records why', async () => {
    const w = world();
    await register(w);
    const r = await run(
      w,
      'migration',
      { workloadId: ID },
      {
        wrap: (state, task) =>
          state !== 'Shift'
            ? task
            : async (input) => {
                const out = (await task(input)) as { percent: number };
                if (out.percent === 50) w.fleet.injectFailure({ kind: 'gate', errorRate: 0.2 });
                return out;
              },
      },
    );

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'MigrationRolledBack' });
    expect((r.outcome as { cause: string }).cause).toMatch(
      /GateFailedError: gate failed with \d+% of traffic on the shadow pool \(read back primary \d+ \/ shadow \d+; planned step 50%\): 5xx rate/,
    );
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
    expect(w.fleet.describe(ID, 'shadow').desired).toBe(0);
    const op = await w.repos.operations.get('migration-run-1');
    expect(op).toMatchObject({ status: 'rolled-back', error: { name: 'GateFailedError' } });
    expect(op?.lastVerifiedWeights).toEqual({ primary: 100, shadow: 0 });
    expect(op?.steps.map((s) => s.name)).toEqual(
      expect.arrayContaining(['gate-failed', 'restored', 'shadow-scaled-to-zero']),
    );
    expect(w.events.ofType('Migration Rolled Back')[0]?.detail).toMatchObject({
      weights: { primary: 100, shadow: 0 },
      error: { name: 'GateFailedError' },
    });
    expect(await w.repos.operations.getLease(ID)).toBeUndefined();
  });

  it('onRollback delete removes the shadow pool', async () => {
    const w = world((x) => {
      x.migration = { ...x.migration, onRollback: 'delete' };
    });
    await register(w);
    w.fleet.injectFailure({ kind: 'gate', errorRate: 0.5 });
    const r = await run(w, 'migration', { workloadId: ID });
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'MigrationRolledBack' });
    expect(w.fleet.describe(ID, 'shadow').exists).toBe(false);
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
  });

  it('provisioning timeout: the bounded readiness loop gives up and compensates; no weight ever moves', async () => {
    const w = world((x) => {
      x.migration = { ...x.migration, healthyTimeoutSeconds: 300 };
    });
    await register(w);
    w.fleet.injectFailure({ kind: 'provision' });

    const r = await run(w, 'migration', { workloadId: ID });

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'MigrationRolledBack' });
    expect((r.outcome as { cause: string }).cause).toMatch(/ProvisioningTimeoutError/);
    // First poll after the 180 s lag, then every 15 s up to 300 s: 9 polls, then compensation.
    expect(r.states.filter((s) => s === 'CheckHealthy')).toHaveLength(9);
    expect(r.states).not.toContain('Shift');
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
    expect(w.fleet.describe(ID, 'shadow').desired).toBe(0);
    expect((await w.repos.operations.get('migration-run-1'))?.status).toBe('rolled-back');
  });

  it('no data at the gate is retried a bounded number of times, never a pass, then compensates', async () => {
    const w = world();
    await register(w);
    const silent: TargetHealthSource = { read: async () => ({ kind: 'no-data', reason: 'no datapoints' }) };
    setRuntime({ health: silent });

    const r = await run(w, 'migration', { workloadId: ID });

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'MigrationRolledBack' });
    expect((r.outcome as { cause: string }).cause).toMatch(/GateNoDataError/);
    // noDataRetries 3: four checks at the first step, then compensation.
    expect(r.states.filter((s) => s === 'Gate')).toHaveLength(4);
    expect(r.states.filter((s) => s === 'Shift')).toHaveLength(1);
    const op = await w.repos.operations.get('migration-run-1');
    expect(op?.steps.some((s) => s.name === 'gate-passed')).toBe(false);
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
  });

  it('lease held by another operation: clear failure, nothing touched', async () => {
    const w = world();
    await register(w);
    await w.repos.operations.acquireLease(ID, 'someone-else', 3_600_000);

    const r = await run(w, 'migration', { workloadId: ID });

    expect(r.outcome).toMatchObject({ status: 'failed', error: 'LeaseHeldError' });
    expect((r.outcome as { cause: string }).cause).toMatch(/leased by operation someone-else/);
    expect(r.states).toEqual(['Validate', 'AcquireLease', 'LeaseRefused']);
    expect(await w.repos.operations.get('migration-run-1')).toBeUndefined();
    expect(w.events.events).toEqual([]);
    expect(w.fleet.describe(ID, 'shadow').exists).toBe(false);
    expect((await w.repos.operations.getLease(ID))?.holder).toBe('someone-else');
  });

  it.each<[string, unknown, RegExp]>([
    ['unknown workload', { workloadId: 'nope' }, /field `workloadId` = "nope": no such registered workload/],
    ['bad steps', { workloadId: ID, steps: [10, 50] }, /field `steps` = \[10,50\]: must end at 100/],
    ['a typo', { workloadId: ID, bake: 5 }, /field `bake` = 5: is not a known field/],
  ])(
    'bad input (%s) fails in the first state, naming the field, with no side effect',
    async (_name, input, cause) => {
      const w = world();
      await register(w);
      const r = await run(w, 'migration', input);
      expect(r.outcome).toMatchObject({ status: 'failed', error: 'ValidationError' });
      expect((r.outcome as { cause: string }).cause).toMatch(cause);
      expect(r.states).toEqual(['Validate', 'InvalidInput']);
      expect(w.events.events).toEqual([]);
      expect(await w.repos.operations.getLease(ID)).toBeUndefined();
    },
  );

  it('throttling then success: transient errors are retried by the state machine', async () => {
    const w = world();
    await register(w);
    w.fleet.injectFailure({ kind: 'throttle', times: 4 });
    const r = await run(w, 'migration', { workloadId: ID });
    expect(r.outcome.status).toBe('succeeded');
    expect(r.retries).toBeGreaterThanOrEqual(1);
    expect(r.failures.every((f) => f.error === 'TransientError')).toBe(true);
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 0, shadow: 100 });
  });

  it('crash mid-shift, then a rerun of the same input resumes the operation and finishes', async () => {
    const w = world();
    await register(w);
    // The execution stops dead right after the 50% shift was verified (no Catch runs).
    const crashed = await run(
      w,
      'migration',
      { workloadId: ID },
      {
        name: 'crashy',
        crashAfter: (state, output) => state === 'Shift' && (output as { percent: number }).percent === 50,
      },
    );
    expect(crashed.outcome).toMatchObject({ status: 'failed', error: 'ExecutionAbortedError' });
    const before = await w.repos.operations.get('crashy');
    expect(before).toMatchObject({ status: 'running', lastVerifiedWeights: { primary: 50, shadow: 50 } });
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 50, shadow: 50 });
    expect((await w.repos.operations.getLease(ID))?.holder).toBe('crashy');
    // The operator reruns it a few minutes later; a newer forecast must not resize the pool mid-operation.
    await w.repos.predictions.putPrediction({
      ...forecast(),
      quantiles: [{ q: 0.95, values: Array(12).fill(1_000) }],
    });

    await w.cosim.advanceTo(w.fleet.now() + 5 * MINUTE);
    const rerun = await run(w, 'migration', { workloadId: ID }, { name: 'crashy' });

    expect(rerun.outcome.status).toBe('succeeded');
    const op = await w.repos.operations.get('crashy');
    expect(op?.status).toBe('succeeded');
    // Repeating a step is a no-op: the rerun finds the pool and the 50% weights it had verified
    // and records neither again; it gates 50% (the crash came before that gate), then 100%.
    expect(op?.steps.filter((s) => s.name === 'planned')).toHaveLength(1);
    expect(op?.steps.filter((s) => s.name === 'provisioned')).toHaveLength(1);
    expect(op?.steps.filter((s) => s.name === 'shifted').map((s) => s.weights?.shadow)).toEqual([
      10, 25, 50, 100,
    ]);
    expect(op?.steps.filter((s) => s.name === 'gate-passed').map((s) => s.detail.percent)).toEqual([
      10, 25, 50, 100,
    ]);
    expect(w.fleet.describe(ID, 'shadow').desired).toBe(10);
    expect(w.events.ofType('Migration Started')).toHaveLength(1);
    expect(await w.repos.operations.getLease(ID)).toBeUndefined();
  });

  it('a rerun after the crash can also undo: a failing gate compensates from the recorded state', async () => {
    const w = world();
    await register(w);
    await run(
      w,
      'migration',
      { workloadId: ID },
      {
        name: 'crash-then-fail',
        crashAfter: (state, output) => state === 'Shift' && (output as { percent: number }).percent === 25,
      },
    );
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 75, shadow: 25 });
    w.fleet.injectFailure({ kind: 'gate', errorRate: 0.3 });
    const rerun = await run(w, 'migration', { workloadId: ID }, { name: 'crash-then-fail' });
    expect(rerun.outcome).toMatchObject({ status: 'failed', error: 'MigrationRolledBack' });
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
    expect((await w.repos.operations.get('crash-then-fail'))?.status).toBe('rolled-back');
    expect(await w.repos.operations.getLease(ID)).toBeUndefined();
  });

  describe('HTTP smoke test against a real local server', () => {
    let server: Server;
    let status = 200;
    let url = '';
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.statusCode = status;
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it.each([
      [200, 'succeeded'],
      [503, 'failed'],
    ])('answering %i -> the migration %s', async (answer, expected) => {
      status = answer;
      const w = world((x) => {
        x.migration = { ...x.migration, smokeTest: { kind: 'http', url, expectStatus: 200 } };
      });
      await register(w);
      const r = await run(w, 'migration', { workloadId: ID });
      expect(r.outcome.status).toBe(expected);
      if (expected === 'failed') {
        expect((r.outcome as { cause: string }).cause).toMatch(
          /SmokeTestFailedError: smoke test \(http\) failed: GET .* -> 503/,
        );
        expect(r.states).not.toContain('Shift');
        expect(w.fleet.describe(ID, 'shadow').desired).toBe(0);
      }
      const op = await w.repos.operations.get('migration-run-1');
      expect(op?.steps.some((s) => s.name === (answer === 200 ? 'smoke-passed' : 'smoke-failed'))).toBe(true);
    });
  });

  it('a rerun of a finished operation does nothing', async () => {
    const w = world();
    await register(w);
    await run(w, 'migration', { workloadId: ID }, { name: 'done-once' });
    const again = await run(w, 'migration', { workloadId: ID }, { name: 'done-once' });
    expect(again.outcome.status).toBe('succeeded');
    expect(again.states).toEqual(['Validate', 'AcquireLease', 'AlreadyFinished']);
    expect(w.events.ofType('Migration Succeeded')).toHaveLength(1);
  });
});

describe('shadow-pool-return over the simulated fleet', () => {
  async function migrated(): Promise<World> {
    const w = world();
    await register(w);
    const r = await run(w, 'migration', { workloadId: ID }, { name: 'out' });
    expect(r.outcome.status).toBe('succeeded');
    w.events.clear();
    return w;
  }

  it('moves traffic home in gated steps, verifies, decommissions the shadow pool', async () => {
    const w = await migrated();
    await w.repos.predictions.putDecision({
      workloadId: ID,
      contended: false,
      score: 0,
      since: w.clock.now() - 3_600_000,
      updatedAt: w.clock.now(),
    });

    const r = await run(w, 'return', { workloadId: ID }, { name: 'home' });

    expect(r.outcome.status).toBe('succeeded');
    expect(r.states.at(-1)).toBe('ReturnSucceeded');
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
    expect(w.fleet.describe(ID, 'shadow').exists).toBe(false);
    const op = await w.repos.operations.get('home');
    expect(op?.kind).toBe('return');
    expect(op?.steps.filter((s) => s.name === 'shifted').map((s) => s.weights)).toEqual([
      { primary: 10, shadow: 90 },
      { primary: 25, shadow: 75 },
      { primary: 50, shadow: 50 },
      { primary: 100, shadow: 0 },
    ]);
    expect(w.events.ofType('Migration Succeeded')[0]?.detail).toMatchObject({
      kind: 'return',
      shadowUnits: 0,
    });
    expect(r.transitions).toBeLessThan(60);
  });

  it('waits out the contention-cleared window before moving anything', async () => {
    const w = await migrated();
    // Cleared 5 minutes ago; the workload wants 15 minutes (returnAfterClearSeconds 900).
    await w.repos.predictions.putDecision({
      workloadId: ID,
      contended: false,
      score: 0,
      since: w.clock.now() - 5 * MINUTE,
      updatedAt: w.clock.now(),
    });
    const start = w.clock.now();
    let firstShiftAt: number | undefined;
    const r = await run(
      w,
      'return',
      { workloadId: ID },
      {
        name: 'held',
        wrap: (state, task) =>
          state !== 'Shift'
            ? task
            : async (input) => {
                firstShiftAt ??= w.clock.now();
                return task(input);
              },
      },
    );
    expect(r.outcome.status).toBe('succeeded');
    expect((firstShiftAt ?? 0) - start).toBeGreaterThanOrEqual(10 * MINUTE);
  });

  it('a return stopped during its hold waits out the rest of the window when rerun', async () => {
    const w = await migrated();
    await w.repos.predictions.putDecision({
      workloadId: ID,
      contended: false,
      score: 0,
      since: w.clock.now() - 5 * MINUTE,
      updatedAt: w.clock.now(),
    });
    const start = w.clock.now();
    const stopped = await run(
      w,
      'return',
      { workloadId: ID },
      { name: 'paused', crashAfter: (state) => state === 'Plan' },
    );
    expect(stopped.outcome).toMatchObject({ status: 'failed', error: 'ExecutionAbortedError' });
    await w.cosim.advanceTo(start + 4 * MINUTE);
    let firstShiftAt: number | undefined;
    const r = await run(
      w,
      'return',
      { workloadId: ID },
      {
        name: 'paused',
        wrap: (state, task) =>
          state !== 'Shift'
            ? task
            : async (input) => {
                firstShiftAt ??= w.clock.now();
                return task(input);
              },
      },
    );
    expect(r.outcome.status).toBe('succeeded');
    expect((firstShiftAt ?? 0) - start).toBeGreaterThanOrEqual(10 * MINUTE);
    expect((firstShiftAt ?? 0) - start).toBeLessThan(11 * MINUTE);
  });

  it('refuses to return while contention is still predicted (unless forced)', async () => {
    const w = await migrated();
    await w.repos.predictions.putDecision({
      workloadId: ID,
      contended: true,
      score: 0.4,
      since: w.clock.now(),
      updatedAt: w.clock.now(),
    });
    const refused = await run(w, 'return', { workloadId: ID }, { name: 'too-soon' });
    expect(refused.outcome).toMatchObject({ status: 'failed', error: 'ReturnRolledBack' });
    expect((refused.outcome as { cause: string }).cause).toMatch(
      /PlanRejectedError: .*contention is still predicted/,
    );
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 0, shadow: 100 });
    expect(w.fleet.describe(ID, 'shadow').desired).toBe(10);

    const forced = await run(w, 'return', { workloadId: ID, force: true }, { name: 'forced' });
    expect(forced.outcome.status).toBe('succeeded');
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 100, shadow: 0 });
  });

  it('a failed gate on the way home restores the weights the return started from', async () => {
    const w = await migrated();
    const r = await run(
      w,
      'return',
      { workloadId: ID, force: true },
      {
        name: 'bad-home',
        wrap: (state, task) =>
          state !== 'Gate'
            ? task
            : async () => {
                throw Object.assign(new Error('gate at 10% failed: p99 5000 ms > 1000 ms'), {
                  name: 'GateFailedError',
                });
              },
      },
    );
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'ReturnRolledBack' });
    expect(w.fleet.getWeights(ID)).toEqual({ primary: 0, shadow: 100 });
    // A failed return keeps the shadow pool: it still carries the traffic.
    expect(w.fleet.describe(ID, 'shadow').desired).toBe(10);
  });
});
