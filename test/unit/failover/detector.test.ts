import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/failover/detector';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { resetRegionalStarterCache } from '../../../functions/runtime/regional-starter';
import { ManualClock } from '../../../shared/clock';
import { ValidationError } from '../../../shared/errors';
import { observeWorkload, regionalExecutionName } from '../../../shared/failover/detector';
import type { TargetHealthResult } from '../../../shared/ports/metrics';
import type { RegionalExecutionStarter, RegionalHealthSource } from '../../../shared/ports/regions';
import { Workload } from '../../../shared/schemas/workload';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { failoverWorkloadInput, HOME, STANDBY } from '../../helpers/failover';

const T0 = Date.UTC(2030, 0, 1);
const good: TargetHealthResult = {
  kind: 'data',
  sample: { requestCount: 1_000, errors5xx: 0, p99LatencyMs: 100, unhealthyHosts: 0, healthyHosts: 4 },
};
const down: TargetHealthResult = { kind: 'no-data', reason: 'not answering' };

/** Health per region, changed by the test between observations. */
function scriptedHealth(): RegionalHealthSource & { set(region: string, r: TargetHealthResult): void } {
  const now = new Map<string, TargetHealthResult>([
    [HOME, good],
    [STANDBY, good],
  ]);
  return {
    set: (region, r) => now.set(region, r),
    read: async (_w, region) => now.get(region) ?? down,
  };
}

/** Starts nothing twice under one name, as Step Functions. */
function recordingStarter(): RegionalExecutionStarter & { calls: string[] } {
  const calls: string[] = [];
  const names = new Set<string>();
  return {
    calls,
    start: async (_kind, name) => {
      calls.push(name);
      if (names.has(name)) return { started: false };
      names.add(name);
      return { started: true, executionArn: name };
    },
  };
}

async function world(detection: Record<string, number> = {}) {
  const clock = new ManualClock(T0);
  const repositories = makeMemoryRepositories({ clock });
  const input = failoverWorkloadInput();
  if (input.failover) input.failover.detection = { ...detection };
  const workload = Workload.parse(input);
  await repositories.workloads.create(workload);
  const health = scriptedHealth();
  const starter = recordingStarter();
  return { clock, repositories, workload, health, starter, deps: { clock, repositories, health, starter } };
}

describe('observeWorkload', () => {
  it('fails over after three bad 10 s observations of the home region, once per episode', async () => {
    // Prepare
    const w = await world();
    w.health.set(HOME, down);

    // Act
    const seen = [];
    for (let i = 0; i < 5; i++) {
      seen.push(await observeWorkload(w.deps, w.workload));
      w.clock.advance(10_000);
    }

    // Assess
    expect(seen.map((s) => s.home.status)).toEqual([
      'healthy',
      'healthy',
      'degraded',
      'degraded',
      'degraded',
    ]);
    const name = regionalExecutionName(
      w.workload.workloadId,
      'failover',
      'observed-degradation',
      T0 + 20_000,
    );
    expect(w.starter.calls).toEqual([name, name, name]);
    expect(seen.filter((s) => s.start?.started)).toHaveLength(1);
    expect(
      (await w.repositories.predictions.getRegionalState(w.workload.workloadId))?.regions[HOME],
    ).toMatchObject({ status: 'degraded', since: T0 + 20_000 });
  });

  it.each([
    ['one bad observation among good ones', [down, good, down, good, good]],
    ['two bad in a row, then good', [down, down, good, good, good]],
  ])('%s: no status change, nothing started', async (_name, script) => {
    const w = await world();
    for (const r of script) {
      w.health.set(HOME, r);
      await observeWorkload(w.deps, w.workload);
      w.clock.advance(10_000);
    }
    expect(w.starter.calls).toEqual([]);
  });

  it('a 5xx burst (a peak the home region still serves) must last three minutes, not 30 s', async () => {
    const w = await world();
    w.health.set(HOME, {
      kind: 'data',
      sample: { requestCount: 1_000, errors5xx: 200, p99LatencyMs: 300, unhealthyHosts: 0, healthyHosts: 4 },
    });
    const statuses: string[] = [];
    for (let i = 0; i < 18; i++) {
      statuses.push((await observeWorkload(w.deps, w.workload)).home.status);
      w.clock.advance(10_000);
    }
    expect(statuses.indexOf('degraded')).toBe(17);
    expect(w.starter.calls).toHaveLength(1);
  });

  it('a 5xx burst the forecast explains (demand beyond the healthy hosts) is overload: no failover', async () => {
    // Prepare: 4 healthy hosts; the forecast's p95 needs 10 units at 0.7, i.e. 7 at 100 %.
    const w = await world();
    for (const metric of w.workload.metrics) {
      const perUnit = metric.capacityPerUnit * w.workload.capacity.targetUtilization;
      await w.repositories.predictions.putPrediction({
        workloadId: w.workload.workloadId,
        metric: metric.name,
        generatedAt: T0,
        startMs: T0 - 300_000,
        intervalMs: 300_000,
        point: Array(12).fill(5 * perUnit),
        quantiles: [{ q: 0.95, values: Array(12).fill(metric.name === 'requests' ? 10 * perUnit : perUnit) }],
        model: 'ets',
        confidence: 'high',
        signals: [],
      });
    }
    w.health.set(HOME, {
      kind: 'data',
      sample: {
        requestCount: 1_000,
        errors5xx: 200,
        p99LatencyMs: 2_500,
        unhealthyHosts: 0,
        healthyHosts: 4,
      },
    });

    // Act
    const seen = [];
    for (let i = 0; i < 24; i++) {
      seen.push(await observeWorkload(w.deps, w.workload));
      w.clock.advance(10_000);
    }

    // Assess: never degraded; the only run is the forecast's (a predicted shortfall), not a detection.
    expect(seen.every((s) => s.home.status === 'healthy')).toBe(true);
    expect(seen.at(-1)?.home.reasons.at(-1)).toMatch(/overloaded, not degraded/);
    expect(w.starter.calls.every((name) => name.includes('predicted-shortfall'))).toBe(true);
  });

  it('stays when the standby region is degraded too', async () => {
    const w = await world({ badObservations: 1 });
    w.health.set(HOME, down);
    w.health.set(STANDBY, down);
    const seen = await observeWorkload(w.deps, w.workload);
    expect(seen.action).toEqual({ kind: 'none', reason: 'standby region degraded too: staying' });
    expect(w.starter.calls).toEqual([]);
  });

  it('an open AWS Health issue degrades the region without waiting for its metrics', async () => {
    const w = await world({ badObservations: 1 });
    const seen = await observeWorkload(w.deps, w.workload, { healthIssues: [{ region: HOME, open: true }] });
    expect(seen.home.reasons).toContain('an AWS Health issue is open for the region');
    expect(seen.start?.started).toBe(true);
  });

  it('observes at most once per sample period when asked (overlapping invocations)', async () => {
    const w = await world({ badObservations: 2 });
    w.health.set(HOME, down);
    await observeWorkload(w.deps, w.workload, { dueOnly: true });
    w.clock.advance(2_000);
    const again = await observeWorkload(w.deps, w.workload, { dueOnly: true });
    expect(again.skipped).toBe(true);
    expect(again.home.status).toBe('healthy');
  });
});

describe('regionalExecutionName', () => {
  it.each([
    ['a short id', 'checkout-api', 'checkout-api-failover-observed-degradation-1000'],
    ['a 120-character id (cut and hashed)', 'a'.repeat(120), undefined],
  ])('%s: a valid Step Functions name', (_label, id, expected) => {
    const name = regionalExecutionName(id, 'failover', 'observed-degradation', 1_000);
    if (expected) expect(name).toBe(expected);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name).not.toBe(regionalExecutionName(id, 'failover', 'observed-degradation', 2_000));
  });
});

describe('regional detector handler', () => {
  const sfn = mockClient(SFNClient);
  const context = { functionName: 'detector', awsRequestId: 'req-1' } as unknown as Context;
  const FAILOVER_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:shadowscale-regional-failover';

  beforeEach(() => {
    sfn.reset();
    resetRegionalStarterCache();
    process.env.FAILOVER_STATE_MACHINE_ARN = FAILOVER_ARN;
    process.env.FAILBACK_STATE_MACHINE_ARN = FAILOVER_ARN.replace('failover', 'failback');
  });
  afterEach(() => {
    resetRuntime();
    delete process.env.FAILOVER_STATE_MACHINE_ARN;
    delete process.env.FAILBACK_STATE_MACHINE_ARN;
  });

  async function install() {
    const w = await world({ badObservations: 1 });
    setRuntime({ clock: w.clock, repositories: w.repositories, regionalHealth: w.health });
    return w;
  }

  it('an AWS Health issue for the home region starts regional-failover under an event-derived name', async () => {
    const w = await install();
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${FAILOVER_ARN}:x`, startDate: new Date() });

    const out = await handler(
      {
        source: 'aws.health',
        'detail-type': 'AWS Health Event',
        region: HOME,
        detail: {
          service: 'EC2',
          eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE',
          eventTypeCategory: 'issue',
          statusCode: 'open',
        },
      },
      context,
    );

    const name = regionalExecutionName(w.workload.workloadId, 'failover', 'observed-degradation', T0);
    expect(out).toEqual({ observations: 1, started: [name] });
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call).toMatchObject({ stateMachineArn: FAILOVER_ARN, name });
    expect(JSON.parse(call?.input ?? '{}')).toMatchObject({
      workloadId: w.workload.workloadId,
      trigger: 'observed-degradation',
    });
  });

  it('a duplicate of the same event starts nothing new (ExecutionAlreadyExists is not a failure)', async () => {
    const w = await install();
    w.health.set(HOME, down);
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${FAILOVER_ARN}:x`, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    const first = await handler({ workloadId: w.workload.workloadId }, context);
    w.clock.advance(10_000);
    const second = await handler({ workloadId: w.workload.workloadId }, context);

    expect((first as { started: string[] }).started).toHaveLength(1);
    expect(second).toEqual({ observations: 1, started: [] });
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names[0]).toBe(names[1]);
  });

  it('a throttled start is a TransientError (the invocation retries)', async () => {
    const w = await install();
    w.health.set(HOME, down);
    sfn.on(StartExecutionCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(handler({ workloadId: w.workload.workloadId }, context)).rejects.toMatchObject({
      name: 'TransientError',
    });
  });

  it('a bad event is a ValidationError naming the field, before any call', async () => {
    await install();
    const error = await handler({ workloadId: 42 }, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(String((error as Error).message)).toMatch(/workloadId/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
